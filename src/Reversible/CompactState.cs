// CompactState: a stack's state kept between forward and backward pass, every part packed by significant bits
// (PackedInts) on the host. Guarantees: Expand gives back the exact fixed-point state as int64 parts.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>A state kept compactly between the forward and the backward pass: every part [B, H/2] of every layer packed
/// by significant bits (<see cref="PackedInts"/>: each unit at the width of its range over the batch; the range check
/// guarantees every value fits int32), held on the host, owned by no dispose scope.</summary>
internal sealed class CompactState(PackedInts[][] parts)
{
    public static CompactState From(RnnState state) =>
        new([.. state.Layers.Select(c => c.Parts.Select(p => PackedInts.Pack(p.Int)).ToArray())]);

    /// <summary>Bits held: the packed bytes of every part.</summary>
    public long Bits => parts.Sum(l => l.Sum(p => p.Bits));

    /// <summary>The values at their units' widths, without the per-unit headers.</summary>
    public long FloorBits => parts.Sum(l => l.Sum(p => p.FloorBits));

    /// <summary>Values held (layers × parts × batch × H/2).</summary>
    public long Values => parts.Sum(l => l.Sum(p => p.Values));

    /// <summary>The state as int64 parts, new tensors in the caller's dispose scope.</summary>
    public RnnState Expand(FixedPointFormat format) =>
        new([.. parts.Select(l => new CellState([.. l.Select(p => new Part(p.Unpack(), null, format))]))]);
}
