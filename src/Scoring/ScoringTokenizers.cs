// BLEU tokenizer registry. Guarantees: the names are exactly sacreBLEU's ("13a", "intl", "none",
// "char"); an unknown name throws ArgumentException listing the valid ones.
namespace Seq2SeqRev.Scoring;

/// <summary>A sacreBLEU BLEU tokenizer: maps one line to a space-separated token string.</summary>
public interface IScoringTokenizer
{
    /// <summary>The name shown in the signature's <c>tok:</c> field.</summary>
    string Name { get; }

    /// <summary>Tokenizes one (already lowercased and rstripped) line.</summary>
    string Tokenize(string line);
}

/// <summary>Creates tokenizers by their sacreBLEU name.</summary>
public static class ScoringTokenizers
{
    /// <summary>The supported tokenizer names, default first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["13a", "intl", "none", "char"];

    public static IScoringTokenizer Create(string name) => name switch
    {
        "13a" => Tokenizer13a.Instance,
        "intl" => TokenizerIntl.Instance,
        "none" => TokenizerNone.Instance,
        "char" => TokenizerChar.Instance,
        _ => throw new ArgumentException(
            $"unknown tokenizer '{name}' (expected one of: {string.Join(", ", Names)})", nameof(name)),
    };
}
