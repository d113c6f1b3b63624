// ForgettingKernels: the fused CPU kernels of the forgetting sites (part ← z ⊙ part + update), one pass over
// the tensors' memory per site instead of ~60 small LibTorch ops and several host synchronisations.
//
// Guarantees: for finite gates and updates, every integer the kernels write (next or previous states,
// registers, chunk depths, spilled chunk words, reference-scheme registers) is bit-identical to the tensor-op
// reference (ReversibleCell.Site / InverseSite over InformationBuffer.Multiply / Divide), because each step
// replicates LibTorch's own arithmetic:
//  * float32 → fixed point is torch's x.mul(2^k) (a float32 product, exact for a power of two) then round
//    (round half to even) then .to(int64) (x86 truncation: NaN and out-of-range values give long.MinValue);
//  * z* = max(1, round(z·2^s)) clamps in float32 before converting, as QuantizeForget does;
//  * integer floor_divide / remainder floor toward −∞ (C#'s / and % truncate), shifts are arithmetic and
//    int64 arithmetic wraps, as in LibTorch;
//  * spilled words and refills are taken in row-major order, as masked_select / masked_scatter take them.
// The optimal-bits sum (a float64 statistic, not part of reversal) is the same quantity computed in the pass
// (−log2 of row products): equal to the reference's LibTorch log2 and sum up to rounding, not bit for bit.
// The kernels only read and write spans; InformationBuffer (InformationBuffer.Fused.cs) owns the tensors and
// the accounting. A non-finite gate (which quantizes to long.MinValue in LibTorch and leaves the reference's
// results undefined) is reported as an out-of-range state instead: see ForwardOutcome.MaxAbs.
using System.Runtime.CompilerServices;

namespace Seq2SeqRev.Reversible;

/// <summary>Which code computes the forgetting sites: LibTorch tensor ops (the reference implementation) or the
/// fused CPU kernels of <see cref="ForgettingKernels"/>. Both produce bit-identical states and buffer contents
/// (the optimal-bits statistic up to float64 rounding) on the same <see cref="InformationBuffer"/> data structures,
/// so a buffer may even switch between them mid-run.</summary>
public enum ForgettingImplementation { Tensor, Fused }

/// <summary>Scalar conversions bit-identical to LibTorch's, and the fused site kernels over spans.</summary>
public static class ForgettingKernels
{
    private const float TwoTo63 = 9223372036854775808f;
    internal const int ChunkBits = InformationBuffer.ChunkBits;
    internal const long ChunkMask = (1L << ChunkBits) - 1;
    internal const long ReferenceOverflow = 1L << 53;

    /// <summary>LibTorch's float32 → int64 conversion on x86-64 (cvttss2si): truncation toward zero, and
    /// long.MinValue for NaN and for values outside [−2^63, 2^63).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long TorchToInt64(float x) => x >= -TwoTo63 && x < TwoTo63 ? (long)x : long.MinValue;

    /// <summary>round(x·<paramref name="scale"/>) as int64, exactly as <c>x.mul(scale).round_().to(int64)</c>
    /// computes it on a float32 tensor (<see cref="FixedPointFormat.ToFixed"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ToFixed(float x, float scale) => TorchToInt64(MathF.Round(x * scale, MidpointRounding.ToEven));

    /// <summary>max(1, round(z·<paramref name="scale"/>)) as int64, exactly as
    /// <see cref="FixedPointFormat.QuantizeForget"/> computes it (the clamp happens in float32; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long QuantizeForget(float z, float scale)
    {
        var q = MathF.Round(z * scale, MidpointRounding.ToEven);
        if (q < 1f) q = 1f;
        return TorchToInt64(q);
    }

    /// <summary>⌊a / b⌋ (LibTorch's integer floor_divide), for b ≠ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0) & ((a ^ b) < 0) ? q - 1 : q;
    }

    /// <summary>a − b·⌊a / b⌋ (LibTorch's integer remainder: the sign of b), for b ≠ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FloorMod(long a, long b)
    {
        var r = a % b;
        return r != 0 && (r ^ b) < 0 ? r + b : r;
    }

    /// <summary>⌊a / b⌋ and a − b·⌊a / b⌋ with one hardware division, for b &gt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long DivModPositive(long a, long b, out long remainder)
    {
        var q = a / b;
        var r = a - q * b;
        if (r < 0) { r += b; q--; }
        remainder = r;
        return q;
    }

    private const double ProductLow = 1.0 / (1L << 62) / (1L << 62) / (1L << 62) / (1L << 62), ProductHigh = 1 / ProductLow;

    /// <summary>product·2^exponent unchanged, with product brought back to [1, 2) (exact: a power-of-two scaling).</summary>
    private static void Renormalize(ref double product, ref int exponent)
    {
        if (!double.IsFinite(product) || product == 0) return;   // a NaN or infinite gate: the site fails anyway
        var e = Math.ILogB(product);
        product = Math.ScaleB(product, -e);
        exponent += e;
    }

    /// <summary>|x| saturated at long.MaxValue (so long.MinValue counts as out of range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Magnitude(long x) => x >= 0 ? x : x == long.MinValue ? long.MaxValue : -x;

    /// <summary>The quantized gate z*, or 1 with <paramref name="bad"/> set when z quantizes to no usable
    /// divisor (NaN or infinite gates: LibTorch would give long.MinValue).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Gate(float z, float scale, ref bool bad)
    {
        var q = QuantizeForget(z, scale);
        if (q >= 1) return q;
        bad = true;
        return 1;
    }

    /// <summary>The memory of one site call. Row-major [Rows, Columns] blocks: H, Z, Update, Out; the register,
    /// depth and reference register are [Rows, RegisterStride] with the site's column c at index c; Active is one
    /// byte per row (empty: every row active).</summary>
    internal ref struct SiteSpans
    {
        public int Rows, Columns, Exempt, RegisterStride, ForgetRadix, HiddenRadix;
        public ReadOnlySpan<long> H;
        public ReadOnlySpan<float> Z, Update;
        public ReadOnlySpan<byte> Active;
        public Span<long> Out, Register, Depth, ReferenceRegister;
        /// <summary>Forward: room for the spilled words (Rows·(Columns − Exempt)). Inverse: the stored chunk.</summary>
        public Span<int> Words;
        /// <summary>Inverse only: the restored exempt columns [Rows, Exempt] (empty: divide them like the rest).</summary>
        public ReadOnlySpan<long> Restore;
        /// <summary>Inverse only: room for Rows·(Columns − Exempt) registers before refill.</summary>
        public Span<long> Scratch;
    }

    /// <summary>What a forward site call found.</summary>
    /// <param name="Spilled">chunk words written to <see cref="SiteSpans.Words"/></param>
    /// <param name="MaxAbs">max |next| over all rows and columns, saturated; long.MaxValue when a gate is not finite</param>
    /// <param name="ReferenceReset">the simulated reference scheme pushed a level (its registers were zeroed)</param>
    /// <param name="OptimalBits">Σ −log2 max(z, 2^−s) over the active rows' buffered columns, as −log2 of each row's
    /// float64 product, summed over rows: equal to the reference's LibTorch log2 and sum up to rounding (a
    /// product of k factors is exact to k·2^−53 relative, so each row's term to about k·1.6e-16 bits), not bit for
    /// bit</param>
    internal readonly record struct ForwardOutcome(int Spilled, long MaxAbs, bool ReferenceReset, double OptimalBits);

    /// <summary>
    /// part ← z ⊙ part + update, exactly as ReversibleCell.Site over InformationBuffer.Multiply: inactive rows are
    /// copied; exempt columns are multiplied lossily ((h ≫ s)·z*); buffered columns spill a chunk when the register
    /// reaches z*·2^W, move h's s low bits into the register and give register mod z* back; then the fixed-point
    /// update is added. Also sums the optimal bits and simulates the reference scheme when its register is given.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    internal static ForwardOutcome Forward(SiteSpans a)
    {
        int rows = a.Rows, n = a.Columns, exempt = a.Exempt, stride = a.RegisterStride, s = a.ForgetRadix, m = n - exempt;
        long lowMask = (1L << s) - 1;
        float zScale = MathF.ScaleB(1f, s), uScale = MathF.ScaleB(1f, a.HiddenRadix);
        double gateFloor = Math.ScaleB(1.0, -s), optimal = 0;
        bool all = a.Active.IsEmpty, tracked = !a.ReferenceRegister.IsEmpty && m > 0, bad = false, reset = false;
        long maxAbs = 0;
        var spilled = 0;

        // The reference scheme pushes a level for the whole buffer when any active unit of this site nears overflow.
        if (tracked)
        {
            for (var r = 0; r < rows && !reset; r++)
            {
                if (!all && a.Active[r] == 0) continue;
                var refRow = a.ReferenceRegister.Slice(r * stride + exempt, m);
                foreach (var v in refRow)
                    if (v >= ReferenceOverflow) { reset = true; break; }
            }
            if (reset) a.ReferenceRegister.Clear();
        }

        for (var r = 0; r < rows; r++)
        {
            var h = a.H.Slice(r * n, n);
            var output = a.Out.Slice(r * n, n);
            if (!all && a.Active[r] == 0)
            {
                h.CopyTo(output);
                foreach (var v in h) maxAbs = Math.Max(maxAbs, Magnitude(v));
                continue;
            }
            var z = a.Z.Slice(r * n, n);
            var update = a.Update.Slice(r * n, n);
            for (var c = 0; c < exempt; c++)
            {
                var next = (h[c] >> s) * Gate(z[c], zScale, ref bad) + ToFixed(update[c], uScale);
                output[c] = next;
                maxAbs = Math.Max(maxAbs, Magnitude(next));
            }
            if (m == 0) continue;
            var register = a.Register.Slice(r * stride, n);
            var depth = a.Depth.Slice(r * stride, n);
            var reference = tracked ? a.ReferenceRegister.Slice(r * stride, n) : default;
            // Σ log2 c over the row = log2 Π c: one float64 product (kept in range by exact power-of-two rescaling)
            // and one Math.Log2 per row instead of one per unit.
            double product = 1;
            var exponent = 0;
            for (var c = exempt; c < n; c++)
            {
                var zf = z[c];
                var zq = Gate(zf, zScale, ref bad);
                var hv = h[c];
                var low = hv & lowMask;
                if (tracked) reference[c] = DivModPositive((reference[c] << s) | low, zq, out _);

                // 1. renormalize: a register that would outgrow 2^(W+s) spills its W low bits.
                var reg = register[c];
                if (reg >= zq << ChunkBits)
                {
                    a.Words[spilled++] = (int)(reg & ChunkMask);
                    reg >>= ChunkBits;
                    depth[c]++;
                }
                // 2. the multiply: low bits into the register, register mod z* back into h; then the update.
                register[c] = DivModPositive((reg << s) | low, zq, out var remainder);
                var next = (hv >> s) * zq + remainder + ToFixed(update[c], uScale);
                output[c] = next;
                maxAbs = Math.Max(maxAbs, Magnitude(next));

                double g = zf;
                product *= g < gateFloor ? gateFloor : g;
                if (product < ProductLow || product > ProductHigh) Renormalize(ref product, ref exponent);
            }
            optimal -= exponent + Math.Log2(product);
        }
        return new ForwardOutcome(spilled, bad ? long.MaxValue : maxAbs, reset, optimal);
    }

    /// <summary>
    /// part ← z ⊙ part + update without the buffer (inference: the multiply's low bits are dropped), exactly as the
    /// tensor reference (ReversibleCell's lossy site: QuantizeForget, (h ≫ s)·z*, ToFixed, add, row mask): active
    /// rows get (h ≫ s)·z* + round(2^r·update), inactive rows are copied. Uses H, Z, Update, Active and Out only.
    /// Returns max |next| over all rows and columns, saturated; long.MaxValue when a gate is not finite.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static long Lossy(SiteSpans a)
    {
        int rows = a.Rows, n = a.Columns, s = a.ForgetRadix;
        float zScale = MathF.ScaleB(1f, s), uScale = MathF.ScaleB(1f, a.HiddenRadix);
        bool all = a.Active.IsEmpty, bad = false;
        long maxAbs = 0;
        for (var r = 0; r < rows; r++)
        {
            var h = a.H.Slice(r * n, n);
            var output = a.Out.Slice(r * n, n);
            if (!all && a.Active[r] == 0)
            {
                h.CopyTo(output);
                foreach (var v in h) maxAbs = Math.Max(maxAbs, Magnitude(v));
                continue;
            }
            var z = a.Z.Slice(r * n, n);
            var update = a.Update.Slice(r * n, n);
            for (var c = 0; c < n; c++)
            {
                var next = (h[c] >> s) * Gate(z[c], zScale, ref bad) + ToFixed(update[c], uScale);
                output[c] = next;
                maxAbs = Math.Max(maxAbs, Magnitude(next));
            }
        }
        return bad ? long.MaxValue : maxAbs;
    }

    /// <summary>The memory of one site-gradient call: row-major [Rows, Columns] blocks; Active is one byte per row
    /// (empty: every row active).</summary>
    internal ref struct GradientSpans
    {
        public int Rows, Columns, ForgetRadix, HiddenRadix;
        /// <summary>dL/d(next part), the gate z (float, before quantization) and the previous part (fixed point).</summary>
        public ReadOnlySpan<float> Grad, Z;
        public ReadOnlySpan<long> Previous;
        public ReadOnlySpan<byte> Active;
        /// <summary>dL/d(previous part), dL/dz and dL/d(update).</summary>
        public Span<float> DPrevious, DGate, DUpdate;
    }

    /// <summary>
    /// The straight-through gradient of one forgetting site next = z ⊙ part + update (MacKay et al. 2018 §2.1:
    /// rounding is the identity, d next/d part = z*/2^s, d next/dz = part, d next/d update = 1), exactly as autograd
    /// computes it through ReversibleCell's straight-through graph: for active rows dPrevious = g·float(z*/2^s),
    /// dGate = g·float(part), dUpdate = g (float32 products rounded once, as autograd's mul backward rounds them);
    /// inactive rows are frozen, so dPrevious = g and dGate = dUpdate = 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Gradient(GradientSpans a)
    {
        int rows = a.Rows, n = a.Columns;
        float zScale = MathF.ScaleB(1f, a.ForgetRadix), zUnit = MathF.ScaleB(1f, -a.ForgetRadix), hUnit = MathF.ScaleB(1f, -a.HiddenRadix);
        var all = a.Active.IsEmpty;
        for (var r = 0; r < rows; r++)
        {
            var g = a.Grad.Slice(r * n, n);
            var dPrevious = a.DPrevious.Slice(r * n, n);
            var dGate = a.DGate.Slice(r * n, n);
            var dUpdate = a.DUpdate.Slice(r * n, n);
            if (!all && a.Active[r] == 0)
            {
                g.CopyTo(dPrevious);
                dGate.Clear();
                dUpdate.Clear();
                continue;
            }
            var z = a.Z.Slice(r * n, n);
            var previous = a.Previous.Slice(r * n, n);
            for (var c = 0; c < n; c++)
            {
                var gc = g[c];
                dPrevious[c] = gc * ((float)QuantizeForget(z[c], zScale) * zUnit);
                dGate[c] = gc * ((float)previous[c] * hUnit);
            }
            g.CopyTo(dUpdate);
        }
    }

    /// <summary>
    /// The inverse of <see cref="Forward"/> for one site call, exactly as ReversibleCell.InverseSite over
    /// InformationBuffer.Divide: subtracts the update (active rows), divides by z* with the remainder going into
    /// the register, takes the s low bits back from it, and refills from the stored chunk every unit whose
    /// register fell below 2^s while it still holds chunks. Exempt columns get <see cref="SiteSpans.Restore"/> when
    /// given (every row), else ⌊h/z*⌋·2^s (active rows). Returns the number of units that want a chunk word; when
    /// it differs from <see cref="SiteSpans.Words"/>' length, or a gate is not finite (<paramref name="badGate"/>),
    /// nothing but <see cref="SiteSpans.Out"/> and <see cref="SiteSpans.Scratch"/> has been written (the caller
    /// reports the error).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Inverse(SiteSpans a, out bool badGate)
    {
        int rows = a.Rows, n = a.Columns, exempt = a.Exempt, stride = a.RegisterStride, s = a.ForgetRadix, m = n - exempt;
        long lowMask = (1L << s) - 1, radixOne = 1L << s;
        float zScale = MathF.ScaleB(1f, s), uScale = MathF.ScaleB(1f, a.HiddenRadix);
        bool all = a.Active.IsEmpty, restoring = !a.Restore.IsEmpty, bad = false;
        var wanted = 0;

        for (var r = 0; r < rows; r++)
        {
            var next = a.H.Slice(r * n, n);
            var output = a.Out.Slice(r * n, n);
            var active = all || a.Active[r] != 0;
            if (!active) next.CopyTo(output);
            if (restoring) a.Restore.Slice(r * exempt, exempt).CopyTo(output);
            if (!active) continue;
            var z = a.Z.Slice(r * n, n);
            var update = a.Update.Slice(r * n, n);
            if (!restoring)
                for (var c = 0; c < exempt; c++)
                    output[c] = FloorDiv(next[c] - ToFixed(update[c], uScale), Gate(z[c], zScale, ref bad)) << s;
            if (m == 0) continue;
            var register = a.Register.Slice(r * stride, n);
            var depth = a.Depth.Slice(r * stride, n);
            var scratch = a.Scratch.Slice(r * m, m);   // scratch[c − exempt] for c in [exempt, n)
            for (var c = exempt; c < n; c++)
            {
                var zq = Gate(z[c], zScale, ref bad);
                var hz = next[c] - ToFixed(update[c], uScale);
                var quotient = DivModPositive(hz, zq, out var remainder);
                var r1 = register[c] * zq + remainder;
                output[c] = (quotient << s) | (r1 & lowMask);
                var reg = r1 >> s;
                scratch[c - exempt] = reg;
                if (reg < radixOne && depth[c] > 0) wanted++;
            }
        }
        badGate = bad;
        if (bad || wanted != a.Words.Length || m == 0) return wanted;

        // Commit: registers from the scratch, refilled in row-major order from the stored chunk.
        var word = 0;
        for (var r = 0; r < rows; r++)
        {
            if (!all && a.Active[r] == 0) continue;
            var register = a.Register.Slice(r * stride, n);
            var depth = a.Depth.Slice(r * stride, n);
            var scratch = a.Scratch.Slice(r * m, m);
            for (var c = exempt; c < n; c++)
            {
                var reg = scratch[c - exempt];
                if (reg < radixOne && depth[c] > 0)
                {
                    reg = (reg << ChunkBits) | (a.Words[word++] & ChunkMask);
                    depth[c]--;
                }
                register[c] = reg;
            }
        }
        return wanted;
    }
}
