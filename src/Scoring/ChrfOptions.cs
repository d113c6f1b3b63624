// chrF / chrF++ settings with sacreBLEU's defaults (6 character orders, 0 word orders, beta 2).
// Guarantees: Validate() rejects a character order below 1, a negative word order and a beta
// below 1 with ArgumentException.
namespace Seq2SeqRev.Scoring;

/// <summary>Options of <see cref="Chrf"/>, mirroring sacreBLEU's <c>CHRF(...)</c> arguments.</summary>
public sealed record ChrfOptions
{
    public static ChrfOptions Default { get; } = new();

    /// <summary>chrF++ defaults (word order 2).</summary>
    public static ChrfOptions ChrfPlusPlus { get; } = new() { WordOrder = 2 };

    public int CharOrder { get; init; } = 6;

    /// <summary>Word n-gram orders; 2 gives chrF++.</summary>
    public int WordOrder { get; init; }

    /// <summary>Recall weight of the F-score (an integer, as in sacreBLEU's name "chrF2").</summary>
    public int Beta { get; init; } = 2;

    public bool Lowercase { get; init; }

    /// <summary>Keep whitespace inside character n-grams.</summary>
    public bool Whitespace { get; init; }

    /// <summary>chrF++.py/NLTK/Moses epsilon smoothing instead of sacreBLEU's effective order.</summary>
    public bool EpsSmoothing { get; init; }

    public void Validate()
    {
        if (CharOrder < 1) throw new ArgumentException("character order must be at least 1", nameof(CharOrder));
        if (WordOrder < 0) throw new ArgumentException("word order must be at least 0", nameof(WordOrder));
        if (Beta < 1) throw new ArgumentException("beta must be at least 1", nameof(Beta));
    }
}
