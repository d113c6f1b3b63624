// ByteLevel: the GPT-2 byte-to-unicode alphabet and the pre-tokenizer shared by BpeLearner and SubwordTokenizer.
// Guarantees: every byte 0..255 maps to exactly one printable char (and back); the pre-tokenizer regex matches
// every char of any string (the pieces concatenate to the input), so nothing is dropped before BPE, and it
// never splits a surrogate pair (both halves are category Cs and always land in the same piece).
using System.Text.RegularExpressions;

namespace Seq2SeqRev.Model.Tokenization;

public static class ByteLevel
{
    /// <summary>Byte value -> its printable stand-in char (bytes that are printable Latin-1 map to themselves).</summary>
    public static IReadOnlyList<char> ByteToChar => s_byteToChar;

    /// <summary>
    /// Pieces: an optional leading space glued to a run of letters(+combining marks), of digits, or of other
    /// symbols; whitespace runs leave their last space to the following word (GPT-2 style).
    /// </summary>
    public static Regex PreTokenizerRegex { get; } = new(
        @" ?[\p{L}\p{M}]+| ?\p{N}+| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private static readonly char[] s_byteToChar = BuildByteToChar();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }

    /// <summary>Splits text into the pieces BPE works on (same regex the wrapped library tokenizer uses).</summary>
    public static IEnumerable<string> PreTokenize(string text)
    {
        for (var m = PreTokenizerRegex.Match(text); m.Success; m = m.NextMatch())
            yield return m.Value;
    }
}
