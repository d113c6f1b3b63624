// BackwardKernels: the elementwise part of a reversed cell step's written-out backward (RevGRU, RevLSTM) in managed,
// vectorised passes over the tensors' memory: the forgetting sites' straight-through gradients, the chain through the
// update, σ and tanh (from the values the step kept) and the bound on the keep gates, with no tensor in between.
// Guarantees: every value is the one the tensor path (ForgettingKernels.Gradient for the sites, then LibTorch's mul,
// add, sub and neg in RevGRUCell/RevLSTMCell's reference backward) computes, bit for bit, on every CPU: each float32
// operation is performed once, in the same order, rounded to nearest (.NET never contracts a product and a sum into a
// fused multiply-add, and LibTorch's mul/add/sub/neg round each result once whichever of its CPU kernels runs). The
// reference uses no fused LibTorch op (addcmul rounds a product and a sum once or twice depending on the CPU kernel
// LibTorch picks: an FMA on AVX2, not in its baseline kernel), so no CPU can round the two paths apart
// (BackwardKernelTests and GateKernelTests check it, vector tails included; ATEN_CPU_CAPABILITY=default runs them on
// LibTorch's baseline kernels). Inactive rows are frozen as the site gradient freezes them: dPrevious = g, and the
// gate and update gradients are +0 before the chain. The products with the weights stay in LibTorch.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Seq2SeqRev.Reversible;

/// <summary>The fused backward arithmetic over spans (see the file header). All spans are row-major; a row of the
/// [rows, n] inputs is <c>n</c> long, a row of a gate-layer gradient is <c>width</c> long and the half's chunk starts at
/// the given column.</summary>
internal static class BackwardKernels
{
    private static int W => Vector<float>.Count;

    /// <summary>The fixed-point rounding of a site and the gate bound.</summary>
    internal readonly record struct Scales(int ForgetRadix, int HiddenRadix, float M)
    {
        public float ZScale => MathF.ScaleB(1f, ForgetRadix);
        public float ZUnit => MathF.ScaleB(1f, -ForgetRadix);
        public float HUnit => MathF.ScaleB(1f, -HiddenRadix);
        public bool Bounded => M != 1f;
    }

    // ---- loads and stores: whole vectors, or a zero-padded tail (lanes are independent, so the bits are the same) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ReadOnlySpan<float> s, int i)
    {
        if (i + W <= s.Length) return new Vector<float>(s[i..]);
        Span<float> t = stackalloc float[W];
        s[i..].CopyTo(t);
        return new Vector<float>(t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> v, Span<float> d, int i)
    {
        if (i + W <= d.Length) { v.CopyTo(d[i..]); return; }
        Span<float> t = stackalloc float[W];
        v.CopyTo(t);
        t[..(d.Length - i)].CopyTo(d[i..]);
    }

    /// <summary>float(h)·unit of fixed-point integers, as <c>h.to(float32).mul(unit)</c>: the int64 → float32
    /// conversion rounds once (exact narrowing through int32 when every lane fits it, else lane by lane).</summary>
    private static Vector<float> LoadFixed(ReadOnlySpan<long> s, int i, float unit)
    {
        Span<float> t = stackalloc float[W];
        var count = Math.Min(W, s.Length - i);
        for (var k = 0; k < count; k++) t[k] = (float)s[i + k];
        return new Vector<float>(t) * new Vector<float>(unit);
    }

    /// <summary>float(max(1, round(z·2^s)))·2^−s as LibTorch's QuantizeForget then ForgetToFloat give it (NaN and
    /// out-of-range values as long.MinValue, like ForgettingKernels.TorchToInt64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ForgetScale(Vector<float> z, float zScale, float zUnit)
    {
        var q = Vector.Round(z * new Vector<float>(zScale));
        q = Vector.ConditionalSelect(Vector.LessThan(q, Vector<float>.One), Vector<float>.One, q);
        const float twoTo63 = 9223372036854775808f;
        var inRange = Vector.BitwiseAnd(Vector.GreaterThanOrEqual(q, new Vector<float>(-twoTo63)), Vector.LessThan(q, new Vector<float>(twoTo63)));
        q = Vector.ConditionalSelect(inRange, q, new Vector<float>(-twoTo63));
        return q * new Vector<float>(zUnit);
    }

    /// <summary>dL/da of a bounded gate: ((dz·σ)·(1 − σ))·m, as SigmoidBackward then mul_(m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Bounded(Vector<float> dz, Vector<float> sigma, Scales s)
    {
        var d = Sigmoid(dz, sigma);
        return s.Bounded ? d * new Vector<float>(s.M) : d;
    }

    /// <summary>dL/da of y = σ(a): (dy·y)·(1 − y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Sigmoid(Vector<float> dy, Vector<float> y) => dy * y * (Vector<float>.One - y);

    /// <summary>dL/da of y = tanh(a): dy·(1 − y·y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Tanh(Vector<float> dy, Vector<float> y) => dy * (Vector<float>.One - y * y);

    /// <summary>One site's gradient inputs for a row: g (plus an addend, rounded once), the keep gate and the previous
    /// part's integers.</summary>
    private static (Vector<float> DPrevious, Vector<float> DGate, Vector<float> DUpdate) Site(Vector<float> g,
        Vector<float> z, ReadOnlySpan<long> previous, int i, bool active, Scales s)
    {
        if (!active) return (g, Vector<float>.Zero, Vector<float>.Zero);
        return (g * ForgetScale(z, s.ZScale, s.ZUnit), g * LoadFixed(previous, i, s.HUnit), g);
    }

    /// <summary>The memory of one RevGRU half's first pass.</summary>
    internal ref struct GruSiteSpans
    {
        public int Rows, Columns;
        /// <summary>dL/d(next part); optional addend (empty: none), added first (one rounding).</summary>
        public ReadOnlySpan<float> Grad, Addend;
        public ReadOnlySpan<long> Previous;
        public ReadOnlySpan<float> Z, Sigma, Candidate;
        public ReadOnlySpan<byte> Active;
        /// <summary>dL/d(previous part) [rows, n], dL/d candidate pre-activation [rows, n], and the keep gate's
        /// pre-activation gradient written into columns [0, n) of the zr layer's [rows, 2n] gradient.</summary>
        public Span<float> DPrevious, DCandidate, DZr;
    }

    /// <summary>RevGRU, one half: the site's gradient, then u = (1 − z) ⊙ c: dc = du·(1 − z), dz_total = dz − du·c
    /// (the product rounded, then the difference), the candidate's tanh and the keep gate's bounded σ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GruSite(GruSiteSpans a, Scales s)
    {
        int rows = a.Rows, n = a.Columns;
        bool all = a.Active.IsEmpty, add = !a.Addend.IsEmpty;
        var one = Vector<float>.One;
        for (var r = 0; r < rows; r++)
        {
            int o = r * n;
            var active = all || a.Active[r] != 0;
            var grad = a.Grad.Slice(o, n);
            var addend = add ? a.Addend.Slice(o, n) : default;
            var previous = a.Previous.Slice(o, n);
            ReadOnlySpan<float> z = a.Z.Slice(o, n), sigma = a.Sigma.Slice(o, n), candidate = a.Candidate.Slice(o, n);
            Span<float> dPrevious = a.DPrevious.Slice(o, n), dCandidate = a.DCandidate.Slice(o, n), dZr = a.DZr.Slice(r * 2 * n, n);
            for (var i = 0; i < n; i += W)
            {
                var g = add ? Load(grad, i) + Load(addend, i) : Load(grad, i);
                var zv = Load(z, i);
                var (dp, dz, du) = Site(g, zv, previous, i, active, s);
                var c = Load(candidate, i);
                Store(dp, dPrevious, i);
                Store(Tanh(du * (one - zv), c), dCandidate, i);
                Store(Bounded(dz - du * c, Load(sigma, i), s), dZr, i);
            }
        }
    }

    /// <summary>RevGRU, one half after the candidate's product with its weights gave dL/d(r ⊙ other): the reset gate's
    /// pre-activation gradient σ'(r)·(dL/d(r ⊙ other) ⊙ other) into columns [n, 2n) of <paramref name="dZr"/> [rows, 2n],
    /// and dL/d(r ⊙ other) ⊙ r (other's gradient through the product) into <paramref name="dOther"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GruReset(int rows, int n, ReadOnlySpan<float> dROther, ReadOnlySpan<float> other, ReadOnlySpan<float> reset,
        Span<float> dZr, Span<float> dOther)
    {
        for (var r = 0; r < rows; r++)
        {
            int o = r * n;
            ReadOnlySpan<float> d = dROther.Slice(o, n), h = other.Slice(o, n), rr = reset.Slice(o, n);
            Span<float> dr = dZr.Slice(r * 2 * n + n, n), dh = dOther.Slice(o, n);
            for (var i = 0; i < n; i += W)
            {
                var dv = Load(d, i);
                var rv = Load(rr, i);
                Store(Sigmoid(dv * Load(h, i), rv), dr, i);
                Store(dv * rv, dh, i);
            }
        }
    }

    /// <summary>The memory of one RevLSTM half.</summary>
    internal ref struct LstmSpans
    {
        public int Rows, Columns;
        /// <summary>dL/d h^t (plus an optional addend, rounded once) and dL/d c^t.</summary>
        public ReadOnlySpan<float> GradH, Addend, GradC;
        public ReadOnlySpan<long> PreviousH, PreviousC;
        /// <summary>The keep gates p (h site) and z (c site), tanh(c^t), and the kept gates σ(z), g, f, o, σ(p).</summary>
        public ReadOnlySpan<float> P, Z, TanhC, SigmaZ, G, F, O, SigmaP;
        public ReadOnlySpan<byte> Active;
        /// <summary>dL/d h^{t−1}, dL/d c^{t−1} [rows, n] and the layer's pre-activation gradient [rows, 5n] ([z; g; f; o; p]).</summary>
        public Span<float> DH, DC, DA;
    }

    /// <summary>RevLSTM, one half: the h site (update o ⊙ tanh(c^t)), its gradient into c^t joined to c^t's own, the c
    /// site (update f ⊙ g), and the five chunks' pre-activation gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void LstmHalf(LstmSpans a, Scales s)
    {
        int rows = a.Rows, n = a.Columns;
        bool all = a.Active.IsEmpty, add = !a.Addend.IsEmpty;
        var one = Vector<float>.One;
        for (var r = 0; r < rows; r++)
        {
            int o = r * n;
            var active = all || a.Active[r] != 0;
            ReadOnlySpan<float> gh = a.GradH.Slice(o, n), addend = add ? a.Addend.Slice(o, n) : default, gc = a.GradC.Slice(o, n);
            ReadOnlySpan<long> ph = a.PreviousH.Slice(o, n), pc = a.PreviousC.Slice(o, n);
            ReadOnlySpan<float> p = a.P.Slice(o, n), z = a.Z.Slice(o, n), tc = a.TanhC.Slice(o, n), sz = a.SigmaZ.Slice(o, n),
                gg = a.G.Slice(o, n), ff = a.F.Slice(o, n), oo = a.O.Slice(o, n), sp = a.SigmaP.Slice(o, n);
            Span<float> dh = a.DH.Slice(o, n), dc = a.DC.Slice(o, n), dA = a.DA.Slice(r * 5 * n, 5 * n);
            Span<float> dA0 = dA[..n], dA1 = dA.Slice(n, n), dA2 = dA.Slice(2 * n, n), dA3 = dA.Slice(3 * n, n), dA4 = dA.Slice(4 * n, n);
            for (var i = 0; i < n; i += W)
            {
                var g = add ? Load(gh, i) + Load(addend, i) : Load(gh, i);
                var (dhv, dp, du) = Site(g, Load(p, i), ph, i, active, s);
                var tanhC = Load(tc, i);
                var ov = Load(oo, i);
                var dO = du * tanhC;
                var gcTotal = Load(gc, i) + du * ov * (one - tanhC * tanhC);
                var (dcv, dz, dCell) = Site(gcTotal, Load(z, i), pc, i, active, s);
                var gv = Load(gg, i);
                var fv = Load(ff, i);
                Store(dhv, dh, i);
                Store(dcv, dc, i);
                Store(Bounded(dz, Load(sz, i), s), dA0, i);
                Store(Tanh(dCell * fv, gv), dA1, i);
                Store(Sigmoid(dCell * gv, fv), dA2, i);
                Store(Sigmoid(dO, ov), dA3, i);
                Store(Bounded(dp, Load(sp, i), s), dA4, i);
            }
        }
    }

    /// <summary><paramref name="target"/> += <paramref name="addend"/>, each sum rounded once (LibTorch's add, alpha 1).</summary>
    internal static void AddInPlace(Span<float> target, ReadOnlySpan<float> addend)
    {
        if (target.Length != addend.Length) throw new ArgumentException("spans must have one length");
        for (var i = 0; i < target.Length; i += W) Store(Load(target, i) + Load(addend, i), target, i);
    }
}
