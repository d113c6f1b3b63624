// MemoryBits: the memory one part of the model (encoder or decoder) holds for its backward pass, in bits, in the
// paper's convention and as held part by part; the reduction factors ("savings") are ratios of these.
// Guarantees: a plain value (no tensors); Add sums part by part, keeping the parts' first-seen order.
namespace Seq2SeqRev.Memory;

/// <summary>One part of what training by reversal holds between its forward and its backward pass, in bits.</summary>
public sealed record BitPart(string Name, double Bits);

/// <summary>
/// Memory bits of one part of the model (encoder or decoder) in two conventions.
/// <para><b>Paper</b> (MacKay et al. 2018, §2.6 of the digest): <see cref="Baseline"/> = 32 bits per hidden value (h and c
/// for LSTM) per step over the padded batch (B × T_max); <see cref="Actual"/> = the information buffer plus the saved
/// attention columns (plus 32-bit source ids for banks with embeddings); <see cref="Optimal"/> = Σ −log2 z plus the same.</para>
/// <para><b>Held</b>: <see cref="HeldParts"/> = every bit kept between forward and backward, part by part, as stored
/// (<see cref="HeldAccounting"/>); <see cref="BaselineUnpadded"/> = 32 bits per hidden value per layer (h and c for LSTM) at
/// every real (unpadded) step, the hidden states ordinary backprop of a packed batch keeps; <see cref="LimitParts"/> = the
/// same parts at their floor (final state and saved slices at each unit's range width without headers, the buffer at
/// Σ −log2 z, ids at ⌈log2 V⌉ bits per real token, masks at 1 bit per element, what is derived at 0).</para>
/// </summary>
public sealed record MemoryBits(long Baseline, long Actual, double Optimal)
{
    public long BaselineUnpadded { get; init; }
    public IReadOnlyList<BitPart> HeldParts { get; init; } = [];
    public IReadOnlyList<BitPart> LimitParts { get; init; } = [];

    public double SavingActual => Actual == 0 ? 0 : (double)Baseline / Actual;
    public double SavingOptimal => Optimal == 0 ? 0 : Baseline / Optimal;
    /// <summary>Whether the held convention was counted (training by reversal counts it; hand-made values may not).</summary>
    public bool HasHeld => HeldParts.Count > 0;
    public double Held => HeldParts.Sum(p => p.Bits);
    public double HeldLimit => LimitParts.Sum(p => p.Bits);
    public double SavingHeld => Held == 0 ? 0 : BaselineUnpadded / Held;
    public double SavingHeldLimit => HeldLimit == 0 ? 0 : BaselineUnpadded / HeldLimit;

    public MemoryBits Add(MemoryBits o) => new(Baseline + o.Baseline, Actual + o.Actual, Optimal + o.Optimal)
    {
        BaselineUnpadded = BaselineUnpadded + o.BaselineUnpadded,
        HeldParts = Merge(HeldParts, o.HeldParts),
        LimitParts = Merge(LimitParts, o.LimitParts),
    };

    /// <summary>Part-wise sums, in first-seen order.</summary>
    private static List<BitPart> Merge(IReadOnlyList<BitPart> a, IReadOnlyList<BitPart> b)
    {
        var result = a.ToList();
        foreach (var p in b)
        {
            var i = result.FindIndex(x => x.Name == p.Name);
            if (i < 0) result.Add(p);
            else result[i] = result[i] with { Bits = result[i].Bits + p.Bits };
        }
        return result;
    }
}
