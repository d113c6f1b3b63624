// Settings of the `score` command. Guarantees: defaults equal sacreBLEU's CLI (BLEU, 13a, mixed
// case, exp smoothing, width 1, text output); "-" as the hypothesis path means standard input.
namespace Seq2SeqRev.Scoring;

/// <summary>What <see cref="ScoreRunner.Execute"/> scores and how it prints the result.</summary>
public sealed record ScoreOptions
{
    /// <summary>Hypothesis file, or "-" for standard input.</summary>
    public required string HypPath { get; init; }

    /// <summary>One or more reference files, one reference stream each.</summary>
    public required IReadOnlyList<string> RefPaths { get; init; }

    /// <summary>"bleu" or "chrf".</summary>
    public string Metric { get; init; } = "bleu";

    /// <summary>BLEU tokenizer: "13a", "intl", "none" or "char".</summary>
    public string Tokenize { get; init; } = "13a";

    public bool Lowercase { get; init; }

    /// <summary>BLEU smoothing: "exp", "floor", "add-k" or "none".</summary>
    public string Smooth { get; init; } = "exp";

    public double? SmoothValue { get; init; }

    /// <summary>chrF word n-gram order (2 gives chrF++).</summary>
    public int ChrfWordOrder { get; init; }

    /// <summary>Decimals of the printed score.</summary>
    public int Width { get; init; } = 1;

    /// <summary>Print sacreBLEU's JSON instead of the text line.</summary>
    public bool Json { get; init; }
}
