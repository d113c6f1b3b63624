// BpeModel: the learned byte-level BPE as plain data (token strings in byte-level alphabet + ordered merges).
// Guarantees: Tokens[0..255] are the 256 single-byte symbols in byte order; every merge's parts and result are
// in Tokens; token strings are distinct. Ids here are "model ids"; SubwordTokenizer shifts them past the specials.
namespace Seq2SeqRev.Model.Tokenization;

public sealed record BpeMerge(string Left, string Right);

public sealed class BpeModel
{
    public IReadOnlyList<string> Tokens { get; }
    public IReadOnlyList<BpeMerge> Merges { get; }

    public BpeModel(IReadOnlyList<string> tokens, IReadOnlyList<BpeMerge> merges)
    {
        if (tokens.Count < 256)
            throw new ArgumentException("a byte-level BPE model needs at least the 256 byte symbols", nameof(tokens));
        for (int b = 0; b < 256; b++)
            if (tokens[b] != ByteLevel.ByteToChar[b].ToString())
                throw new ArgumentException($"token {b} must be the byte symbol for byte {b}", nameof(tokens));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tokens)
            if (!seen.Add(t)) throw new ArgumentException($"duplicate token '{t}'", nameof(tokens));
        foreach (var m in merges)
            if (!seen.Contains(m.Left) || !seen.Contains(m.Right) || !seen.Contains(m.Left + m.Right))
                throw new ArgumentException($"merge '{m.Left} {m.Right}' refers to unknown tokens", nameof(merges));
        Tokens = tokens;
        Merges = merges;
    }
}
