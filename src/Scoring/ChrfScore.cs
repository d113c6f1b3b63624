// A chrF result. Guarantees: Name is sacreBLEU's ("chrF" + beta + one "+" per word order);
// there is no verbose part, so the text line is "NAME|SIGNATURE = SCORE".
namespace Seq2SeqRev.Scoring;

/// <summary>Corpus or sentence chrF as computed by <see cref="Chrf"/>.</summary>
/// <param name="Statistics">Summed [hyp, ref, match] triples, character orders first, then word orders.</param>
public sealed record ChrfScore(
    double Score, int Beta, int WordOrder, IReadOnlyList<long> Statistics,
    IReadOnlyList<KeyValuePair<string, string>> SignatureFields) : MetricScore
{
    public override string Name => $"chrF{Beta.ToString(System.Globalization.CultureInfo.InvariantCulture)}" + new string('+', WordOrder);

    public override double Score { get; } = Score;

    public override IReadOnlyList<KeyValuePair<string, string>> SignatureFields { get; } = SignatureFields;

    public override string VerboseScore => "";
}
