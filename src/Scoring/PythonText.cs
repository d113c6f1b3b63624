// Python-compatible string primitives used by scoring: str.split(), str.rstrip(), str.lower() and
// code-point iteration. Guarantees: whitespace is exactly Python's str.isspace() set (which adds
// U+001C..U+001F to .NET's Char.IsWhiteSpace); lowercasing applies Python's final-sigma rule and
// maps U+0130 to "i\u0307"; code points are Runes, never UTF-16 halves.
using System.Globalization;
using System.Text;

namespace Seq2SeqRev.Scoring;

/// <summary>Python <c>str</c> semantics needed to reproduce sacreBLEU exactly.</summary>
public static class PythonText
{
    /// <summary>True when Python's <c>str.isspace()</c> holds for <paramref name="c"/>.</summary>
    /// <remarks>Every Python whitespace code point is in the BMP, so a UTF-16 char test is exact.</remarks>
    public static bool IsWhitespace(char c) => char.IsWhiteSpace(c) || (c >= '\u001C' && c <= '\u001F');

    /// <summary>Python <c>s.split()</c>: split on runs of whitespace, dropping empty pieces.</summary>
    public static List<string> Split(string s)
    {
        var parts = new List<string>();
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && IsWhitespace(s[i])) i++;
            var start = i;
            while (i < s.Length && !IsWhitespace(s[i])) i++;
            if (i > start) parts.Add(s[start..i]);
        }
        return parts;
    }

    /// <summary>Python <c>' '.join(s.split())</c>: collapse whitespace runs to one space and trim.</summary>
    public static string NormalizeSpaces(string s) => string.Join(' ', Split(s));

    /// <summary>Python <c>''.join(s.split())</c>: remove every whitespace character.</summary>
    public static string RemoveWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (!IsWhitespace(c)) sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Python <c>s.rstrip()</c>.</summary>
    public static string RStrip(string s)
    {
        var end = s.Length;
        while (end > 0 && IsWhitespace(s[end - 1])) end--;
        return end == s.Length ? s : s[..end];
    }

    /// <summary>The code points of <paramref name="s"/> (a lone surrogate becomes U+FFFD).</summary>
    public static Rune[] CodePoints(string s)
    {
        var runes = new List<Rune>(s.Length);
        foreach (var r in s.EnumerateRunes()) runes.Add(r);
        return runes.ToArray();
    }

    /// <summary>Number of code points, as Python's <c>len(s)</c>.</summary>
    public static int CodePointLength(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>
    /// Python <c>str.lower()</c>: invariant simple lowercase per code point, plus the two full
    /// mappings that differ: U+0130 becomes "i" + U+0307, and a capital sigma that ends a word
    /// (preceded by a cased letter, not followed by one, case-ignorable marks skipped) becomes
    /// final sigma U+03C2.
    /// </summary>
    public static string Lower(string s)
    {
        var runes = CodePoints(s);
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < runes.Length; i++)
        {
            var r = runes[i];
            if (r.Value == 0x0130) sb.Append("i\u0307");
            else if (r.Value == 0x03A3) sb.Append(IsFinalSigma(runes, i) ? '\u03C2' : '\u03C3');
            else sb.Append(Rune.ToLowerInvariant(r).ToString());
        }
        return sb.ToString();
    }

    private static bool IsFinalSigma(Rune[] runes, int index)
    {
        var j = index - 1;
        while (j >= 0 && IsCaseIgnorable(runes[j])) j--;
        if (j < 0 || !IsCased(runes[j])) return false;
        var k = index + 1;
        while (k < runes.Length && IsCaseIgnorable(runes[k])) k++;
        return k >= runes.Length || !IsCased(runes[k]);
    }

    private static bool IsCased(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            || Rune.ToLowerInvariant(r) != r || Rune.ToUpperInvariant(r) != r;
    }

    private static bool IsCaseIgnorable(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol)
        {
            return true;
        }
        // Word_Break MidLetter / MidNumLet / Single_Quote characters.
        return r.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x05F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
    }
}
