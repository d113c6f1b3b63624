// sacreBLEU's default "13a" tokenizer (mteval-v13a): fixed string replacements, one-space padding,
// then four ASCII regex substitutions applied in order, then whitespace normalization.
// Guarantees: identical output to sacreBLEU 2.6.0 for any input (all classes are ASCII, so UTF-16
// vs code-point matching cannot change the result).
using System.Text.RegularExpressions;

namespace Seq2SeqRev.Scoring;

/// <summary>The mteval-v13a tokenizer.</summary>
public sealed class Tokenizer13a : IScoringTokenizer
{
    public static Tokenizer13a Instance { get; } = new();

    private const RegexOptions Opts = RegexOptions.CultureInvariant | RegexOptions.Compiled;

    // ASCII symbols that always become separate tokens: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
    private static readonly Regex Symbols = new(@"([{-~\[-` -&(-+:-@/])", Opts);
    // A period or comma not preceded by a digit.
    private static readonly Regex PunctAfterNonDigit = new(@"([^0-9])([.,])", Opts);
    // A period or comma not followed by a digit.
    private static readonly Regex PunctBeforeNonDigit = new(@"([.,])([^0-9])", Opts);
    // A dash preceded by a digit.
    private static readonly Regex DashAfterDigit = new(@"([0-9])(-)", Opts);

    private Tokenizer13a() { }

    public string Name => "13a";

    public string Tokenize(string line)
    {
        line = line.Replace("<skipped>", "", StringComparison.Ordinal)
            .Replace("-\n", "", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal);
        if (line.Contains('&'))
        {
            line = line.Replace("&quot;", "\"", StringComparison.Ordinal)
                .Replace("&amp;", "&", StringComparison.Ordinal)
                .Replace("&lt;", "<", StringComparison.Ordinal)
                .Replace("&gt;", ">", StringComparison.Ordinal);
        }
        line = $" {line} ";
        line = Symbols.Replace(line, " $1 ");
        line = PunctAfterNonDigit.Replace(line, "$1 $2 ");
        line = PunctBeforeNonDigit.Replace(line, " $1 $2");
        line = DashAfterDigit.Replace(line, "$1 $2 ");
        return PythonText.NormalizeSpaces(line);
    }
}
