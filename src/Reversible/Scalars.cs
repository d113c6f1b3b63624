// Scalars: the one home of the TorchSharp Scalars (and 0-dim constant tensors) that src hands to native ops.
// Guarantees: everything returned here is rooted in a static for the life of the process, so no finalizer can
// free it while LibTorch reads it; asking twice for the same value gives the same object; each Scalar holds exactly
// what the implicit conversion it replaces held (a float keeps its float rounding, integers stay integral: LibTorch
// stores floating Scalars as double and integral ones as int64), so results are bit-identical to plain numbers.
//
// Why: in TorchSharp 0.107 a Scalar is a plain class around a native pointer with a finalizer (~Scalar frees the
// native c10::Scalar). A C# number passed where a Scalar is expected (t.add(1f), t.gt(step), clamp(min: 1),
// masked_fill(m, -inf), ...) becomes a temporary Scalar, and TorchSharp passes only its IntPtr to LibTorch without
// keeping the object alive (no SafeHandle, no GC.KeepAlive). A GC started by any other thread during the native
// call can then finalize the temporary and free the scalar while LibTorch still reads it: a rare native error or a
// silently wrong operand. TorchSharp itself makes such temporaries inside add(Tensor), add_(Tensor), add(Scalar),
// add_(Scalar) and tensor + tensor (alpha = 1) and inside arange(stop) (start 0, step 1). Temporary tensors are
// only safe while a DisposeScope holds them, and 0.107 offers bitwise_and/or and the shifts with Tensor operands
// only, so a number there silently becomes a temporary 0-dim tensor.
//
// The rule for src (checked on the compiled assemblies by tests/Seq2SeqRev.Tests/Reversible/ScalarLifetimeTests):
//  * never pass a C# number where TorchSharp wants a Scalar or a Tensor;
//  * constants and values from a small fixed set (format radices, forget-limit scales) come from this class;
//  * a value known only at run time (a step index, a batch size, a dropout rate) is a local
//    `using var s = value.ToScalar();` declared before the call, so it lives to the end of its block;
//  * add/add_ always get their alpha explicitly: x.add(y, Scalars.UnitAlpha).
// TorchSharp's own optimizers break the rule inside step() (optim.Adam: mul_(beta1), add_(eps), addcdiv_(value:
// -step_size), ...; optim.SGD: add_(grad, alpha: -lr)), so training uses src/Training/Optimizers (the same
// arithmetic and saved state, every Scalar held), which the scan covers; nn.utils.clip_grad_norm_ hands plain
// doubles to a single native call and makes no Scalar.
using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>Cached TorchSharp Scalars and 0-dim constant tensors that live for the whole process (see the file header).</summary>
public static class Scalars
{
    /// <summary>Integer 1: the alpha of add/add_ (exactly what TorchSharp's one-argument overloads would create
    /// as a temporary). Call <c>x.add(y, Scalars.UnitAlpha)</c>, never <c>x.add(y)</c>.</summary>
    public static readonly Scalar UnitAlpha = 1.ToScalar();

    private static readonly ConcurrentDictionary<int, Scalar> Floats = new();
    private static readonly ConcurrentDictionary<long, Scalar> Doubles = new();
    private static readonly ConcurrentDictionary<long, Scalar> Longs = new();
    private static readonly ConcurrentDictionary<long, Tensor> LongTensors = new();

    /// <summary>The Scalar of the float <paramref name="value"/> (what <c>t.mul(value)</c> would wrap), cached and
    /// keyed by its bits, so −0 and NaNs stay distinct. For constants and small fixed sets only, never for
    /// per-step or per-batch values.</summary>
    public static Scalar Float32(float value) =>
        Floats.GetOrAdd(BitConverter.SingleToInt32Bits(value), static (_, v) => v.ToScalar(), value);

    /// <summary>The Scalar of the double <paramref name="value"/>, cached like <see cref="Float32"/>.</summary>
    public static Scalar Float64(double value) =>
        Doubles.GetOrAdd(BitConverter.DoubleToInt64Bits(value), static (_, v) => v.ToScalar(), value);

    /// <summary>The integral Scalar of <paramref name="value"/> (an int converts to the same one), cached.</summary>
    public static Scalar Int64(long value) => Longs.GetOrAdd(value, static v => v.ToScalar());

    /// <summary>A 0-dim int64 CPU tensor of <paramref name="value"/>, cached and owned by no dispose scope, for the
    /// ops 0.107 offers with a Tensor operand only (bitwise_and/or, bitwise_left/right_shift). Against an int64
    /// tensor it gives the same dtype and values as the number did. Read-only: never modify or dispose it.</summary>
    public static Tensor Int64Tensor(long value) =>
        LongTensors.GetOrAdd(value, static v => tensor(v).DetachFromDisposeScope());
}
