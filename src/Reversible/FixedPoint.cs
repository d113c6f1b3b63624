// FixedPoint: the fixed-point format of reversible hidden states and keep gates. Guarantees: deterministic
// float ⇄ integer conversions (the same floats give the same integers in every pass); states outside the signed
// 32-bit container raise StateRangeException; quantized keep gates are at least 1.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// Fixed-point representation of reversible hidden states (MacKay et al. 2018, §2).
/// Hidden and cell values are integers h* = round(h·2^HiddenRadix) held in int64 tensors but
/// required to fit a signed 32-bit container (|h| &lt; 2^(31-HiddenRadix), i.e. 256 at radix 23):
/// <see cref="CheckRange"/> raises <see cref="StateRangeException"/> instead of wrapping silently.
/// Forget gates are quantized to z* = round(z·2^ForgetRadix), at least 1 (so a multiply never
/// divides by zero; this caps forgetting at ForgetRadix bits per step even with no limit).
/// Gate arithmetic stays in float32; conversions are deterministic, so the same float inputs always
/// give the same integers in the forward, reverse and recompute passes.
/// </summary>
public sealed record FixedPointFormat(int HiddenRadix = 23, int ForgetRadix = 10)
{
    /// <summary>Radix 23 for states and 10 for keep gates, the paper's settings.</summary>
    public static FixedPointFormat Default { get; } = new();

    /// <summary>Largest magnitude (exclusive) of a stored integer: a signed 32-bit container.</summary>
    public const long StateLimit = 1L << 31;

    /// <summary>2^ForgetRadix: a keep gate of 1 (nothing forgotten) in quantized form.</summary>
    public long ForgetOne => 1L << ForgetRadix;

    // Float scale factors and an integer clamp floor, exactly as the plain numbers were, but with a lifetime (Scalars).
    /// <summary>round(x·2^HiddenRadix) as int64 (x float32; rounding half to even).</summary>
    public Tensor ToFixed(Tensor x) => x.mul(Scalars.Float32(MathF.ScaleB(1f, HiddenRadix))).round_().to(ScalarType.Int64);

    /// <summary>h/2^HiddenRadix as float32 (h int64 fixed point); contiguous CPU tensors in one managed pass
    /// (GateKernels.FixedToFloat, the same values).</summary>
    public Tensor ToFloat(Tensor h) => GateKernels.FixedToFloat(h, HiddenRadix) ?? ToFloatByTensorOps(h);

    /// <summary><see cref="ToFloat"/> as LibTorch ops (the reference).</summary>
    internal Tensor ToFloatByTensorOps(Tensor h) => h.to(ScalarType.Float32).mul_(Scalars.Float32(MathF.ScaleB(1f, -HiddenRadix)));

    /// <summary>z* = max(1, round(z·2^ForgetRadix)) as int64.</summary>
    public Tensor QuantizeForget(Tensor z) =>
        z.mul(Scalars.Float32(MathF.ScaleB(1f, ForgetRadix))).round_().clamp_(min: Scalars.Int64(1)).to(ScalarType.Int64);

    /// <summary>z*/2^ForgetRadix as float32 (exact).</summary>
    public Tensor ForgetToFloat(Tensor zq) => zq.to(ScalarType.Float32).mul_(Scalars.Float32(MathF.ScaleB(1f, -ForgetRadix)));

    /// <summary>Throws when any value of <paramref name="h"/> leaves the 32-bit container.</summary>
    public static void CheckRange(Tensor h, string site, int step)
    {
        using var _ = NewDisposeScope();
        var max = h.abs().max().item<long>();
        if (max >= StateLimit)
            throw new StateRangeException(site, step, max);
    }
}

/// <summary>A fixed-point state value left the representable range (it would have wrapped).</summary>
public sealed class StateRangeException(string site, int step, long value) : Exception(
    $"fixed-point state out of range at {site}, step {step}: |value| = {value} >= 2^31 " +
    "(the hidden state grew beyond the fixed-point range; lower the learning rate or clip gradients)")
{
    /// <summary>Where the value left the range: the layer and state part, e.g. "rnn.layer0.h1".</summary>
    public string Site { get; } = site;
    /// <summary>The time step at which it did.</summary>
    public int Step { get; } = step;
}
