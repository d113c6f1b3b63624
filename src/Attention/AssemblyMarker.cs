namespace Seq2SeqRev.Attention;
/// <summary>Assembly marker (lets the assembly build before its first real type exists).</summary>
internal static class AssemblyMarker { }
