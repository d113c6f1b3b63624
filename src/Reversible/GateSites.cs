// GateSites: one forgetting site together with its gate arithmetic — the bounded keep gate z = m·σ(a) + (1 − m) and the
// update ((1 − z) ⊙ c for RevGRU, a ⊙ b for RevLSTM) — either in one managed pass over the tensors' memory (GateKernels)
// feeding the fused site kernel (ForgettingKernels) with no tensor in between, or composed of LibTorch tensor ops (the
// reference, chosen by ForgettingImplementation.Tensor).
// Guarantees: both give bit-identical keep gates, updates, states, buffers and errors. The kernel performs the float32
// operations LibTorch's mul, add and neg perform, each rounded once in the same order (.NET never contracts a product
// and a sum into a fused multiply-add; LibTorch's add of a constant with alpha 1 rounds the same sum once). σ, tanh and
// the products with the weights stay in LibTorch: its vectorised sigmoid (SLEEF exp) and MKL's tanh round in ways C#
// cannot reproduce bit for bit.
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>The gate values one site needs, before the gate arithmetic: σ of the keep gate's pre-activation and the
/// update's factors. <see cref="B"/> null: update = (1 − z) ⊙ <see cref="A"/> (RevGRU, A = the candidate); else
/// update = A ⊙ B (RevLSTM: f ⊙ g on c, o ⊙ tanh(c) on h). Float32 [rows, n] each.</summary>
internal readonly record struct SiteGates(Tensor Sigma, Tensor A, Tensor? B)
{
    /// <summary>RevGRU's site: update (1 − z) ⊙ <paramref name="candidate"/>.</summary>
    public static SiteGates Complement(Tensor sigma, Tensor candidate) => new(sigma, candidate, null);

    /// <summary>RevLSTM's sites: update <paramref name="a"/> ⊙ <paramref name="b"/>.</summary>
    public static SiteGates Product(Tensor sigma, Tensor a, Tensor b) => new(sigma, a, b);

    /// <summary>The update as tensor ops (the reference, and the graph of ForwardWithGraph) from the keep gate
    /// <paramref name="z"/>.</summary>
    public Tensor Update(Tensor z) => B is null
        ? z.neg().add(Scalars.Float32(1f), Scalars.UnitAlpha).mul(A)
        : A.mul(B);
}

/// <summary>The fused gate arithmetic over spans (see the file header).</summary>
internal static class GateKernels
{
    /// <summary>z = m·σ + (1 − m) (σ itself when m = 1) and the update, element by element, as LibTorch rounds them:
    /// round(round(σ·m) + (1 − m)), round(round(1 − z)·a) or round(a·b). <paramref name="b"/> empty: the complement
    /// form. All spans have the same length.</summary>
    public static void Compute(ReadOnlySpan<float> sigma, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float m,
        Span<float> z, Span<float> update)
    {
        var n = sigma.Length;
        if (a.Length != n || z.Length != n || update.Length != n || (!b.IsEmpty && b.Length != n))
            throw new ArgumentException("gate spans must have one length");
        float c = 1f - m;
        bool bounded = m != 1f, product = !b.IsEmpty;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var width = Vector<float>.Count;
            Vector<float> vm = new(m), vc = new(c), one = Vector<float>.One;
            for (; i <= n - width; i += width)
            {
                var zv = new Vector<float>(sigma[i..]);
                if (bounded) zv = zv * vm + vc;
                zv.CopyTo(z[i..]);
                var av = new Vector<float>(a[i..]);
                (product ? av * new Vector<float>(b[i..]) : (one - zv) * av).CopyTo(update[i..]);
            }
        }
        for (; i < n; i++)
        {
            var zi = bounded ? sigma[i] * m + c : sigma[i];
            z[i] = zi;
            update[i] = product ? a[i] * b[i] : (1f - zi) * a[i];
        }
    }

    /// <summary>float(h)·2^−<paramref name="radix"/> for a contiguous int64 CPU tensor, as a new float32 tensor of its
    /// shape: the value <c>h.to(float32).mul_(2^−radix)</c> gives (the same round-to-nearest conversion, then an exact
    /// power-of-two scaling), in one pass without LibTorch ops; null for any other tensor (the caller uses the tensor
    /// ops).</summary>
    public static Tensor? FixedToFloat(Tensor h, int radix)
    {
        if (h.dtype != ScalarType.Int64 || h.device_type != DeviceType.CPU || !h.is_contiguous()) return null;
        var result = empty(h.shape, ScalarType.Float32);
        var source = TensorSpans.Elements<long>(h);
        var target = TensorSpans.Elements<float>(result);
        var scale = MathF.ScaleB(1f, -radix);
        for (var i = 0; i < source.Length; i++) target[i] = (float)source[i] * scale;
        GC.KeepAlive(h);
        return result;
    }

    [ThreadStatic] private static float[]? t_z, t_update;

    /// <summary>This thread's scratch for a site's keep gate and update (at least <paramref name="length"/> each).</summary>
    public static (float[] Z, float[] Update) Scratch(int length)
    {
        if (t_z is null || t_z.Length < length)
        {
            t_z = new float[length];
            t_update = new float[length];
        }
        return (t_z, t_update!);
    }
}

/// <summary>One forgetting site with its gate arithmetic, fused (GateKernels, then ForgettingKernels) or as tensor ops
/// (the reference: <see cref="ReversibleCell.Bound"/>, <see cref="SiteGates.Update"/>, then ForgettingSites).</summary>
internal static class GateSites
{
    /// <summary>Inference: the next part without a buffer (the low bits dropped); see ForgettingSites.Lossy.</summary>
    public static Tensor Lossy(ReversibleCell cell, Tensor h, SiteGates gates, Tensor? active, int index, int step)
    {
        if (cell.Forgetting == ForgettingImplementation.Tensor)
        {
            var z = cell.Bound(gates.Sigma);
            return ForgettingSites.Lossy(cell, h, z, gates.Update(z), active, index, step);
        }
        using var values = new GateValues(cell, h, gates, keepZ: false);
        return ForgettingSites.LossySpans(cell, h, values.Z, values.Update, active, index, step);
    }

    /// <summary>Training's forward: the next part through <paramref name="buffer"/>; see ForgettingSites.Buffered.</summary>
    public static Tensor Buffered(ReversibleCell cell, InformationBuffer buffer, Tensor h, SiteGates gates, Tensor? active,
        int exempt, int index, int step)
    {
        if (buffer.Implementation == ForgettingImplementation.Tensor)
        {
            var z = cell.Bound(gates.Sigma);
            return ForgettingSites.Buffered(cell, buffer, h, z, gates.Update(z), active, exempt, index, step);
        }
        using var values = new GateValues(cell, h, gates, keepZ: false);
        var next = buffer.MultiplyAddSpans(h, values.Z, values.Update, active, exempt, out var maxAbs);
        if (maxAbs >= FixedPointFormat.StateLimit) throw new StateRangeException(cell.SiteName(index), step, maxAbs);
        return next;
    }

    /// <summary>Reversal: the previous part from <paramref name="next"/> (see ForgettingSites.Inverse) and the keep gate
    /// z it used (kept for the step's backward).</summary>
    public static (Tensor Previous, Tensor Z) Inverse(ReversibleCell cell, InformationBuffer buffer, Tensor next, SiteGates gates,
        Tensor? active, int exempt, Tensor? restore)
    {
        if (buffer.Implementation == ForgettingImplementation.Tensor)
        {
            var z = cell.Bound(gates.Sigma);
            return (ForgettingSites.Inverse(cell, buffer, next, z, gates.Update(z), active, exempt, restore), z);
        }
        if (exempt > 0 && restore is null) throw new InvalidOperationException($"{cell.Label}: exempt columns need their saved values to reverse");
        using var values = new GateValues(cell, next, gates, keepZ: true);
        return (buffer.SubtractDivideSpans(next, values.Z, values.Update, active, exempt, restore), values.KeptZ!);
    }

    /// <summary>The keep gate and update of one site computed by <see cref="GateKernels.Compute"/>: in this thread's
    /// scratch, or the gate in a new tensor (<see cref="KeptZ"/>, in the caller's dispose scope) when it is kept. Valid
    /// until disposed; keeps the gate tensors alive while their memory is read.</summary>
    private readonly ref struct GateValues
    {
        private readonly SiteGates _gates;
        private readonly Tensor? _sigmaCopy, _aCopy, _bCopy;

        public GateValues(ReversibleCell cell, Tensor state, SiteGates gates, bool keepZ)
        {
            _gates = gates;
            var shape = state.shape;
            if (shape.Length != 2 || !gates.Sigma.shape.SequenceEqual(shape) || !gates.A.shape.SequenceEqual(shape)
                || (gates.B is not null && !gates.B.shape.SequenceEqual(shape)))
                throw new ArgumentException($"{cell.Label}: site gates must be [{string.Join(", ", shape)}] like the state");
            var length = checked((int)(shape[0] * shape[1]));
            var sigma = TensorSpans.Dense(gates.Sigma, ScalarType.Float32, ref _sigmaCopy);
            var a = TensorSpans.Dense(gates.A, ScalarType.Float32, ref _aCopy);
            var b = gates.B is null ? null : TensorSpans.Dense(gates.B, ScalarType.Float32, ref _bCopy);
            var (zScratch, updateScratch) = GateKernels.Scratch(length);
            KeptZ = keepZ ? empty(shape, ScalarType.Float32) : null;
            Z = KeptZ is null ? zScratch.AsSpan(0, length) : TensorSpans.Elements<float>(KeptZ);
            Update = updateScratch.AsSpan(0, length);
            GateKernels.Compute(TensorSpans.Elements<float>(sigma), TensorSpans.Elements<float>(a),
                b is null ? default : TensorSpans.Elements<float>(b), cell.Limit.Scale, Z, Update);
        }

        /// <summary>The keep gate z, row-major [rows, n].</summary>
        public Span<float> Z { get; }
        /// <summary>The update, row-major [rows, n].</summary>
        public Span<float> Update { get; }
        /// <summary>The tensor holding <see cref="Z"/> when it is kept, else null.</summary>
        public Tensor? KeptZ { get; }

        public void Dispose()
        {
            _sigmaCopy?.Dispose(); _aCopy?.Dispose(); _bCopy?.Dispose();
            GC.KeepAlive(_gates.Sigma); GC.KeepAlive(_gates.A); GC.KeepAlive(_gates.B); GC.KeepAlive(KeptZ);
        }
    }
}
