// Sufficient statistics of corpus BLEU. Guarantees: the fields are sacreBLEU's integer sums
// (hypothesis length, closest-reference length, clipped matches and hypothesis n-gram totals per
// order) and Add() merges two sets element-wise, so per-batch statistics can be accumulated.
namespace Seq2SeqRev.Scoring;

/// <summary>Summed BLEU statistics; <see cref="Correct"/> and <see cref="Total"/> have one entry per order.</summary>
/// <param name="NRefs">The signature's nrefs value: a count, or "var" when it varies per segment.</param>
public sealed record BleuStatistics(
    long SysLen, long RefLen, IReadOnlyList<long> Correct, IReadOnlyList<long> Total, string NRefs)
{
    public int MaxNgramOrder => Correct.Count;

    /// <summary>Element-wise sum; nrefs becomes "var" when the two differ.</summary>
    public BleuStatistics Add(BleuStatistics other)
    {
        if (other.MaxNgramOrder != MaxNgramOrder) throw new ArgumentException("n-gram orders differ", nameof(other));
        return new BleuStatistics(
            SysLen + other.SysLen,
            RefLen + other.RefLen,
            Correct.Zip(other.Correct, (a, b) => a + b).ToArray(),
            Total.Zip(other.Total, (a, b) => a + b).ToArray(),
            NRefs == other.NRefs ? NRefs : "var");
    }
}
