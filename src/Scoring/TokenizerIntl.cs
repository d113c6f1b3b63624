// sacreBLEU's "intl" tokenizer (mteval-v14 international): split punctuation (\p{P}) from a
// neighbour that is not a number (\P{N}), and isolate every symbol (\p{S}). Guarantees: the three
// substitutions have sacreBLEU's leftmost, non-overlapping two-character regex semantics, evaluated
// over code points (Runes) so that characters outside the BMP keep their Unicode category; .NET's
// Regex would see such characters as two surrogates and never match them.
using System.Globalization;
using System.Text;

namespace Seq2SeqRev.Scoring;

/// <summary>The mteval-v14 international tokenizer.</summary>
public sealed class TokenizerIntl : IScoringTokenizer
{
    public static TokenizerIntl Instance { get; } = new();

    private TokenizerIntl() { }

    public string Name => "intl";

    public string Tokenize(string line)
    {
        var runes = PythonText.CodePoints(line);
        // (\P{N})(\p{P}) -> "\1 \2 "
        runes = ReplacePairs(runes, (a, b) => !IsNumber(a) && IsPunctuation(b), (sb, a, b) =>
            sb.Append(a.ToString()).Append(' ').Append(b.ToString()).Append(' '));
        // (\p{P})(\P{N}) -> " \1 \2"
        runes = ReplacePairs(runes, (a, b) => IsPunctuation(a) && !IsNumber(b), (sb, a, b) =>
            sb.Append(' ').Append(a.ToString()).Append(' ').Append(b.ToString()));
        // (\p{S}) -> " \1 "
        var sb = new StringBuilder(line.Length * 2);
        foreach (var r in runes)
        {
            if (IsSymbol(r)) sb.Append(' ').Append(r.ToString()).Append(' ');
            else sb.Append(r.ToString());
        }
        return PythonText.NormalizeSpaces(sb.ToString());
    }

    /// <summary>Leftmost non-overlapping replacement of every adjacent pair matching <paramref name="match"/>.</summary>
    private static Rune[] ReplacePairs(Rune[] runes, Func<Rune, Rune, bool> match, Action<StringBuilder, Rune, Rune> emit)
    {
        var sb = new StringBuilder(runes.Length * 2);
        var i = 0;
        while (i < runes.Length)
        {
            if (i + 1 < runes.Length && match(runes[i], runes[i + 1]))
            {
                emit(sb, runes[i], runes[i + 1]);
                i += 2;
            }
            else
            {
                sb.Append(runes[i].ToString());
                i++;
            }
        }
        return PythonText.CodePoints(sb.ToString());
    }

    private static bool IsNumber(Rune r) => Rune.GetUnicodeCategory(r) is
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    private static bool IsPunctuation(Rune r) => Rune.GetUnicodeCategory(r) is
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
        or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
        or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsSymbol(Rune r) => Rune.GetUnicodeCategory(r) is
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
        or UnicodeCategory.OtherSymbol;
}
