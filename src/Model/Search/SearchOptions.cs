// SearchOptions and Hypothesis: the knobs of beam/greedy search and their results.
// Guarantees: Validate() rejects every inconsistent option with an ArgumentException whose message is fit for
// the command line; MaxOutputLength is always >= 1; LengthPenalty is 1 when alpha = 0.
namespace Seq2SeqRev.Model.Search;

/// <summary>
/// Search options. Max output length per sentence = floor(MaxLengthRatio * srcLen) + MaxLengthOffset (at least 1),
/// counted in tokens without EOS. EOS is masked while fewer than MinLength tokens have been produced.
/// LengthPenaltyAlpha is the GNMT alpha (0 = raw log-probability). KeepAttention fills <see cref="Hypothesis.Attention"/>.
/// </summary>
public sealed record SearchOptions(
    int BeamSize = 5,
    double LengthPenaltyAlpha = 0.0,
    double MaxLengthRatio = 2.0,
    int MaxLengthOffset = 10,
    int NBest = 1,
    int MinLength = 0,
    bool KeepAttention = false)
{
    /// <summary>Throws <see cref="ArgumentException"/> with a user-facing message when the options are inconsistent.</summary>
    public void Validate()
    {
        if (BeamSize < 1) throw new ArgumentException($"--beam must be at least 1 (got {BeamSize})");
        if (NBest < 1) throw new ArgumentException($"--nbest must be at least 1 (got {NBest})");
        if (NBest > BeamSize) throw new ArgumentException($"--nbest {NBest} is larger than --beam {BeamSize}");
        if (!double.IsFinite(LengthPenaltyAlpha) || LengthPenaltyAlpha < 0)
            throw new ArgumentException($"--length-penalty alpha must be a finite number >= 0 (got {LengthPenaltyAlpha})");
        if (!double.IsFinite(MaxLengthRatio) || MaxLengthRatio < 0)
            throw new ArgumentException($"--max-length-ratio must be a finite number >= 0 (got {MaxLengthRatio})");
        if (MinLength < 0) throw new ArgumentException($"--min-length must be >= 0 (got {MinLength})");
    }

    /// <summary>Maximum number of output tokens (EOS excluded) for a source of <paramref name="sourceLength"/> tokens.</summary>
    public int MaxOutputLength(int sourceLength) =>
        (int)Math.Max(1, Math.Min(int.MaxValue, Math.Floor(MaxLengthRatio * sourceLength) + MaxLengthOffset));

    /// <summary>
    /// GNMT length penalty lp = ((5 + length) / 6)^alpha. <paramref name="length"/> counts the EOS token when the
    /// hypothesis ended with one (tokens + 1); a hypothesis forced to end at max length counts its tokens only.
    /// </summary>
    public double LengthPenalty(int length) =>
        LengthPenaltyAlpha == 0 ? 1.0 : Math.Pow((5.0 + length) / 6.0, LengthPenaltyAlpha);
}

/// <summary>A finished translation: tokens without BOS/EOS, length-penalised score, raw log-probability.</summary>
public sealed record Hypothesis(int[] Tokens, double Score, double LogProb)
{
    /// <summary>
    /// With <see cref="SearchOptions.KeepAttention"/> (and a model with attention): the attention weights the search
    /// used for each output token of this hypothesis, one row per token over the source positions (the source's own
    /// length), and one more row for the EOS when the hypothesis ended with it. Null otherwise.
    /// </summary>
    public float[][]? Attention { get; init; }
}
