// BLEU settings with sacreBLEU's defaults (13a, mixed case, exp smoothing, no effective order,
// 4-grams). Guarantees: Validate() rejects an unknown tokenizer, an order below 1 and a
// non-finite or negative smoothing value with ArgumentException.
namespace Seq2SeqRev.Scoring;

/// <summary>Options of <see cref="Bleu"/>, mirroring sacreBLEU's <c>BLEU(...)</c> arguments.</summary>
public sealed record BleuOptions
{
    /// <summary>Corpus-level defaults: sacreBLEU's <c>BLEU()</c>.</summary>
    public static BleuOptions Default { get; } = new();

    /// <summary>Sentence-level defaults: sacreBLEU's <c>sentence_bleu()</c> (effective order on).</summary>
    public static BleuOptions SentenceDefault { get; } = new() { EffectiveOrder = true };

    /// <summary>Tokenizer name: "13a" (default), "intl", "none" or "char".</summary>
    public string Tokenize { get; init; } = "13a";

    /// <summary>Lowercase hypotheses and references (Python <c>str.lower()</c>) before tokenizing.</summary>
    public bool Lowercase { get; init; }

    public SmoothMethod Smooth { get; init; } = SmoothMethod.Exp;

    /// <summary>Floor epsilon or add-k's k; null means the method's default (0.1 or 1).</summary>
    public double? SmoothValue { get; init; }

    /// <summary>Average only over orders for which the hypothesis has n-grams.</summary>
    public bool EffectiveOrder { get; init; }

    public int MaxNgramOrder { get; init; } = 4;

    /// <summary>sacreBLEU's <c>force</c>: it only silences a tokenized-input warning; no effect on scores here.</summary>
    public bool Force { get; init; }

    public void Validate()
    {
        ScoringTokenizers.Create(Tokenize);
        if (MaxNgramOrder < 1) throw new ArgumentException("max n-gram order must be at least 1", nameof(MaxNgramOrder));
        if (SmoothValue is { } v && (!double.IsFinite(v) || v < 0))
        {
            throw new ArgumentException("smoothing value must be a finite number >= 0", nameof(SmoothValue));
        }
    }
}
