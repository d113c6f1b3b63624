namespace Seq2SeqRev.Decoder;
/// <summary>Assembly marker (lets the assembly build before its first real type exists).</summary>
internal static class AssemblyMarker { }
