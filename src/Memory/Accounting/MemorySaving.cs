// MemorySaving: how a memory reduction factor (a run's or a measurement's "saving") is written in tables.
// Guarantees: one decimal and an "x" (e.g. "9.4x"), invariant culture; an unknown factor is "n/a".
using System.Globalization;

namespace Seq2SeqRev.Memory;

public static class MemorySaving
{
    public static string Text(double? x) => x is double v ? v.ToString("F1", CultureInfo.InvariantCulture) + "x" : "n/a";
}
