// MemoryTables: the report as tables — text (Spectre.Console) for the terminal and GitHub markdown for docs.
// Two tables: the accounting (savings = baseline bits / actual or optimal bits, like the paper's table; "n/a"
// for models not trained by reversal) and, when measured, the activation peak (MiB) and the step time (ms)
// per sequence length ("act"/"opt" = savings by actual/optimal bits). Guarantees: both renderers print the same cells, formatted by the functions below.
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Spectre.Console;

namespace Seq2SeqRev.Training.Memory;

public static class MemoryTables
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private const int LeftColumns = 2;

    public static string Saving(double? x) => x is double v ? v.ToString("F1", C) + "x" : "n/a";
    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", C);
    public static string Ms(double ms) => ms.ToString("F0", C);

    public static IReadOnlyList<string> AccountingHeader { get; } =
        ["config", "cell", "attention", "bits", "training", "weights", "enc act", "enc opt", "dec act", "dec opt"];

    public static IEnumerable<string[]> AccountingRows(MemoryReport r) => r.Configs.Select(c => new[]
    {
        c.Name, c.Cell, c.Attention, c.MaxForgetBits ?? "n/a", c.TrainingMemory,
        c.Encoder is null ? "n/a" : c.Trained ? "trained" : "untrained",
        Saving(c.Encoder?.SavingActual), Saving(c.Encoder?.SavingOptimal), Saving(c.Decoder?.SavingActual), Saving(c.Decoder?.SavingOptimal),
    });

    public static bool HasMeasurements(MemoryReport r) => r.Configs.Any(c => c.Measured.Count > 0);

    public static IReadOnlyList<string> MeasuredHeader(MemoryReport r) =>
        ["config", "training", .. r.SeqLengths.Select(t => $"MiB T={t}"), .. r.SeqLengths.Select(t => $"ms T={t}")];

    public static IEnumerable<string[]> MeasuredRows(MemoryReport r) => r.Configs.Select(c =>
    {
        string Cell(int t, Func<Measurement, string> f) => c.Measured.FirstOrDefault(m => m.SeqLen == t) is { } m ? f(m) : "-";
        return new[] { c.Name, c.TrainingMemory }
            .Concat(r.SeqLengths.Select(t => Cell(t, m => Mib(m.PeakBytes))))
            .Concat(r.SeqLengths.Select(t => Cell(t, m => Ms(m.StepMs))))
            .ToArray();
    });

    public static string Markdown(MemoryReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Memory savings (baseline bits / stored bits), {r.Data} data, batch {r.Batch}:").AppendLine();
        TextTables.Markdown(sb, AccountingHeader, AccountingRows(r), LeftColumns);
        if (HasMeasurements(r))
        {
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"Measured activation memory of one training step (peak resident set above parameters, gradients and optimizer state) and forward+backward time, batch {r.Batch}:").AppendLine();
            TextTables.Markdown(sb, MeasuredHeader(r), MeasuredRows(r), LeftColumns);
        }
        return sb.ToString();
    }

    /// <summary>Renders the tables with Spectre.Console to <paramref name="console"/>.</summary>
    public static void Write(MemoryReport r, IAnsiConsole console)
    {
        console.Write(TextTables.Spectre($"memory savings ({r.Data} data, batch {r.Batch})", AccountingHeader, AccountingRows(r), LeftColumns));
        if (HasMeasurements(r))
            console.Write(TextTables.Spectre($"measured activation peak and step time (batch {r.Batch})", MeasuredHeader(r), MeasuredRows(r), LeftColumns));
    }

    /// <summary>The Spectre tables as plain text (no colours, no wrapping), e.g. for tests or a redirected stdout.</summary>
    public static string Text(MemoryReport r) => TextTables.PlainText(console => Write(r, console));
}
