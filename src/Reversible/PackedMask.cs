// PackedMask: a locked dropout mask [B, dim] (every entry 0 or one scale value, 1/(1 − p)) held as one bit per entry
// (uint8 [B, ⌈dim/8⌉]) plus the scale, between the forward and the backward pass.
// Guarantees: Expand gives back a float32 tensor bit-identical to the mask packed (entries kept: the scale itself; dropped:
// +0), so training with packed masks computes exactly what it computed with the float masks; a mask with any other value
// (not a locked dropout mask) is an ArgumentException; Bits counts the bytes held plus the 32-bit scale.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>A locked dropout mask held as one bit per element plus its scale (see the file header).</summary>
public sealed class PackedMask : IDisposable
{
    private static readonly Tensor BitWeights = tensor(new byte[] { 1, 2, 4, 8, 16, 32, 64, 128 }).DetachFromDisposeScope();
    private readonly Tensor _bits;   // uint8 [B, ⌈dim/8⌉], owned (no dispose scope)
    private readonly float _scale;

    private PackedMask(Tensor bits, long dim, float scale)
    {
        _bits = bits;
        Dim = dim;
        _scale = scale;
    }

    /// <summary>Rows (batch) of the mask.</summary>
    public long Rows => _bits.shape[0];
    /// <summary>Elements per row.</summary>
    public long Dim { get; }
    /// <summary>Bits held: the bit bytes and the 32-bit scale.</summary>
    public long Bits => _bits.numel() * 8 + 32;

    /// <summary>The packed form of <paramref name="mask"/> [B, dim] (float32, entries 0 or one scale), or null for none.</summary>
    public static PackedMask? Pack(Tensor? mask)
    {
        if (mask is null) return null;
        if (mask.dim() != 2 || mask.dtype != ScalarType.Float32)
            throw new ArgumentException($"a locked dropout mask is float32 [B, dim], got {mask.dtype} of {mask.dim()} dimensions");
        using var scope = NewDisposeScope();
        var kept = mask.ne(Scalars.Float32(0f));
        var scale = kept.any().item<bool>() ? mask.max().item<float>() : 0f;
        using (var s = scale.ToScalar())
            if (kept.logical_and(mask.ne(s)).any().item<bool>())
                throw new ArgumentException("not a locked dropout mask: its nonzero entries differ");
        long rows = mask.shape[0], dim = mask.shape[1], bytes = (dim + 7) / 8;
        var padded = bytes * 8 == dim ? kept : cat([kept, zeros(rows, bytes * 8 - dim, ScalarType.Bool)], 1);
        var bits = padded.view(rows, bytes, 8).to(ScalarType.Byte).mul(BitWeights).sum(2, type: ScalarType.Byte);
        return new PackedMask(bits.DetachFromDisposeScope(), dim, scale);
    }

    /// <summary>The mask as float32 [B, dim], a new tensor in the caller's dispose scope.</summary>
    public Tensor Expand()
    {
        using var scope = NewDisposeScope();
        var kept = _bits.unsqueeze(2).bitwise_and(BitWeights).ne(Scalars.Int64(0)).view(Rows, -1).narrow(1, 0, Dim);
        using var s = _scale.ToScalar();
        return kept.to(ScalarType.Float32).mul_(s).MoveToOuterDisposeScope();
    }

    /// <summary>Bits held by an optional mask (0 for none).</summary>
    public static long BitsOf(PackedMask? mask) => mask?.Bits ?? 0;

    /// <summary>Elements of an optional mask (0 for none): its floor at one bit each.</summary>
    public static long ElementsOf(PackedMask? mask) => mask is null ? 0 : mask.Rows * mask.Dim;

    /// <summary>Frees the bits.</summary>
    public void Dispose() => _bits.Dispose();
}
