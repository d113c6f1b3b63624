// A BLEU result with sacreBLEU's fields and text. Guarantees: VerboseScore is sacreBLEU's
// "p1/p2/.../pN (BP = b ratio = r hyp_len = h ref_len = l)" with 1/3/3 decimals; Counts and Totals
// are what sacreBLEU returns (add-k smoothing includes its k in orders >= 2).
namespace Seq2SeqRev.Scoring;

/// <summary>Corpus or sentence BLEU as computed by <see cref="Bleu"/>.</summary>
public sealed record BleuScore(
    double Score,
    IReadOnlyList<double> Counts,
    IReadOnlyList<double> Totals,
    IReadOnlyList<double> Precisions,
    double Bp,
    long SysLen,
    long RefLen,
    IReadOnlyList<KeyValuePair<string, string>> SignatureFields) : MetricScore
{
    public override string Name => "BLEU";

    public override double Score { get; } = Score;

    public override IReadOnlyList<KeyValuePair<string, string>> SignatureFields { get; } = SignatureFields;

    /// <summary>Hypothesis length over reference length, 0 when the reference length is 0.</summary>
    public double Ratio => RefLen > 0 ? (double)SysLen / RefLen : 0.0;

    public override string VerboseScore =>
        string.Join('/', Precisions.Select(p => ScoreFormatting.Fixed(p, 1)))
        + $" (BP = {ScoreFormatting.Fixed(Bp, 3)} ratio = {ScoreFormatting.Fixed(Ratio, 3)}"
        + $" hyp_len = {SysLen.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        + $" ref_len = {RefLen.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
}
