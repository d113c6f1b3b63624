namespace Seq2SeqRev.Reversible;
/// <summary>Assembly marker (lets the assembly build before its first real type exists).</summary>
internal static class AssemblyMarker { }
