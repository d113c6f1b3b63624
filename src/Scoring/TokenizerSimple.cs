// The two trivial sacreBLEU tokenizers. Guarantees: "none" returns its input unchanged; "char"
// puts one space between every code point (Rune), as Python's " ".join(line) does.
namespace Seq2SeqRev.Scoring;

/// <summary>sacreBLEU's "none" tokenizer: the identity.</summary>
public sealed class TokenizerNone : IScoringTokenizer
{
    public static TokenizerNone Instance { get; } = new();

    private TokenizerNone() { }

    public string Name => "none";

    public string Tokenize(string line) => line;
}

/// <summary>sacreBLEU's "char" tokenizer: every code point becomes a token.</summary>
public sealed class TokenizerChar : IScoringTokenizer
{
    public static TokenizerChar Instance { get; } = new();

    private TokenizerChar() { }

    public string Name => "char";

    public string Tokenize(string line) => string.Join(' ', PythonText.CodePoints(line));
}
