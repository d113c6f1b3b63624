// InformationBuffer.Fused: the buffer's fused entry points, one whole forgetting site per call, computed by
// ForgettingKernels directly in the tensors' memory (zero-copy spans over contiguous CPU tensors).
//
// Guarantees (for finite gates and updates):
//  * MultiplyAdd returns exactly the next state ReversibleCell.Site computes through Multiply (QuantizeForget,
//    Multiply, ToFixed, add, row mask) and leaves the buffer exactly as Multiply does: registers, depths, the
//    chunk list (same words, same order, null for a call without spills), chunk words, the reference scheme,
//    multiply count and used columns. Optimal bits (a statistic, not part of reversal) are the same sum
//    computed in the pass with Math.Log2: they agree with the reference to about 1e-15 relative but not bit for
//    bit, because the reference's LibTorch log2 (MKL VML, split over the intra-op threads by parallel_for with a
//    grain of 2048) rounds differently in the last place, and calling it costs an OpenMP fork/join per site.
//  * SubtractDivide returns exactly what ReversibleCell.InverseSite computes through Divide, with the same
//    refill and the same out-of-step check, and on that error leaves registers and depths untouched.
//  * No host synchronisation: spills, refills and the state range are found in the single pass; the range comes
//    back as maxAbs for the caller to report (with its site name and step).
// Inputs may be any CPU tensors of the right dtype; non-contiguous ones are copied first.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

public sealed partial class InformationBuffer
{
    private int[]? _wordScratch;      // the spilled words of one forward call
    private long[]? _registerScratch; // the registers of one inverse call, before refill

    /// <summary>
    /// One fused forgetting site: h·z + update for h [rows, n] (int64), the bounded gate z and the update
    /// (float32 [rows, n]), with columns [exempt, n) through the buffer and [0, exempt) multiplied lossily, rows
    /// where <paramref name="active"/> (bool [rows]) is false unchanged. Same result and buffer effect as
    /// <c>where(active, Multiply(h, QuantizeForget(z), z, active, exempt) + ToFixed(update), Multiply(...))</c>
    /// with the buffer's <see cref="FixedPointFormat"/> (the cells share their stack's format with its buffer).
    /// <paramref name="maxAbs"/> is max |next| (long.MaxValue when a gate is not finite): the caller raises
    /// <see cref="StateRangeException"/> when it reaches <see cref="FixedPointFormat.StateLimit"/>.
    /// </summary>
    internal Tensor MultiplyAdd(Tensor h, Tensor z, Tensor update, Tensor? active, int exempt, out long maxAbs)
    {
        ThrowIfSealed();
        CheckSite(h, z, update, active, exempt);
        Tensor? zCopy = null, uCopy = null;
        try
        {
            var zd = Dense(z, ScalarType.Float32, ref zCopy);
            var ud = Dense(update, ScalarType.Float32, ref uCopy);
            return MultiplyAddSpans(h, Elements<float>(zd), Elements<float>(ud), active, exempt, out maxAbs);
        }
        finally
        {
            zCopy?.Dispose(); uCopy?.Dispose();
            GC.KeepAlive(z); GC.KeepAlive(update);
        }
    }

    /// <summary><see cref="MultiplyAdd"/> with the gate and the update
    /// given as row-major spans [rows, n] (the fused gate arithmetic, GateSites, computes them without tensors); the
    /// caller has checked their length.</summary>
    internal Tensor MultiplyAddSpans(Tensor h, ReadOnlySpan<float> z, ReadOnlySpan<float> update, Tensor? active, int exempt, out long maxAbs)
    {
        ThrowIfSealed();
        var n = CheckState(h, active, exempt);
        var m = n - exempt;
        Tensor? hCopy = null;
        try
        {
            var hd = Dense(h, ScalarType.Int64, ref hCopy);
            var next = empty(Rows, n, ScalarType.Int64);
            var outcome = ForgettingKernels.Forward(new ForgettingKernels.SiteSpans
            {
                Rows = Rows, Columns = n, Exempt = exempt, RegisterStride = Columns,
                ForgetRadix = _format.ForgetRadix, HiddenRadix = _format.HiddenRadix,
                H = Elements<long>(hd), Z = z, Update = update, Active = ActiveRows(active),
                Out = Elements<long>(next),
                Register = m > 0 ? Elements<long>(_register!) : default,
                Depth = m > 0 ? Elements<long>(_depth!) : default,
                ReferenceRegister = m > 0 && _refRegister is not null ? Elements<long>(_refRegister) : default,
                Words = m > 0 ? (_wordScratch ??= new int[Rows * Columns]) : default,
            });
            maxAbs = outcome.MaxAbs;
            if (m == 0) return next;

            for (var c = exempt; c < n; c++) _columnUsed[c] = true;
            if (outcome.ReferenceReset) _referenceLevels++;
            if (outcome.Spilled > 0)
            {
                var chunk = empty(outcome.Spilled, ScalarType.Int32).DetachFromDisposeScope();
                _wordScratch.AsSpan(0, outcome.Spilled).CopyTo(Elements<int>(chunk));
                _chunkWords += outcome.Spilled;
                _chunks.Add(chunk);
            }
            else _chunks.Add(null);
            Elements<double>(_optimal!)[0] += outcome.OptimalBits;   // as Multiply's add_: one site sum at a time
            _multiplies++;
            return next;
        }
        finally
        {
            hCopy?.Dispose();
            GC.KeepAlive(h); GC.KeepAlive(active);
        }
    }

    /// <summary>
    /// Inverse of <see cref="MultiplyAdd"/> (call in reverse order): the previous h from the next one and the same
    /// gate and update. Same result and buffer effect as <c>Divide(where(active, next − ToFixed(update), next),
    /// QuantizeForget(z), active, exempt)</c>, except that with <paramref name="restore"/> (int64 [rows, exempt])
    /// the exempt columns are those saved values (as InverseSite does; a fully exempt site then returns
    /// <paramref name="restore"/> itself).
    /// </summary>
    internal Tensor SubtractDivide(Tensor next, Tensor z, Tensor update, Tensor? active, int exempt, Tensor? restore = null)
    {
        ThrowIfSealed();
        CheckSite(next, z, update, active, exempt);
        Tensor? zCopy = null, uCopy = null;
        try
        {
            var zd = Dense(z, ScalarType.Float32, ref zCopy);
            var ud = Dense(update, ScalarType.Float32, ref uCopy);
            return SubtractDivideSpans(next, Elements<float>(zd), Elements<float>(ud), active, exempt, restore);
        }
        finally
        {
            zCopy?.Dispose(); uCopy?.Dispose();
            GC.KeepAlive(z); GC.KeepAlive(update);
        }
    }

    /// <summary><see cref="SubtractDivide"/> with the gate and the update
    /// given as row-major spans [rows, n] (GateSites); the caller has checked their length.</summary>
    internal Tensor SubtractDivideSpans(Tensor next, ReadOnlySpan<float> z, ReadOnlySpan<float> update, Tensor? active, int exempt, Tensor? restore)
    {
        ThrowIfSealed();
        var n = CheckState(next, active, exempt);
        var m = n - exempt;
        if (restore is not null && (restore.dim() != 2 || restore.size(0) != Rows || restore.size(1) != exempt))
            throw new ArgumentException($"restore must be [{Rows}, {exempt}], got [{string.Join(", ", restore.shape)}]");
        if (m == 0 && restore is not null) return restore;
        if (m > 0 && _chunks.Count == 0) throw new InvalidOperationException("information buffer: more divides than multiplies");
        Tensor? hCopy = null, rCopy = null, chunk = null;
        try
        {
            var hd = Dense(next, ScalarType.Int64, ref hCopy);
            var rd = restore is null ? null : Dense(restore, ScalarType.Int64, ref rCopy);
            var prev = empty(Rows, n, ScalarType.Int64);
            if (m > 0)
            {
                chunk = _chunks[^1];
                _chunks.RemoveAt(_chunks.Count - 1);
            }
            var wanted = ForgettingKernels.Inverse(new ForgettingKernels.SiteSpans
            {
                Rows = Rows, Columns = n, Exempt = exempt, RegisterStride = Columns,
                ForgetRadix = _format.ForgetRadix, HiddenRadix = _format.HiddenRadix,
                H = Elements<long>(hd), Z = z, Update = update, Active = ActiveRows(active),
                Out = Elements<long>(prev),
                Register = m > 0 ? Elements<long>(_register!) : default,
                Depth = m > 0 ? Elements<long>(_depth!) : default,
                Words = chunk is null ? default : Elements<int>(chunk),
                Restore = rd is null ? default : Elements<long>(rd),
                Scratch = m > 0 ? (_registerScratch ??= new long[Rows * Columns]) : default,
            }, out var badGate);
            if (badGate)
                throw new InvalidOperationException("information buffer: a forget gate is not finite during reversal");
            var stored = chunk is null ? 0 : (int)chunk.shape[0];
            if (wanted != stored)
                throw new InvalidOperationException(
                    $"information buffer out of step: {wanted} units want a chunk, {stored} were stored " +
                    "(the reverse pass did not mirror the forward pass exactly)");
            if (m == 0) return prev;
            _chunkWords -= stored;
            _multiplies--;
            return prev;
        }
        finally
        {
            hCopy?.Dispose(); rCopy?.Dispose(); chunk?.Dispose();
            GC.KeepAlive(next); GC.KeepAlive(active); GC.KeepAlive(restore);
        }
    }

    /// <summary>Checks the shapes of one site call; returns its column count n.</summary>
    private int CheckSite(Tensor h, Tensor z, Tensor update, Tensor? active, int exempt)
    {
        var n = CheckState(h, active, exempt);
        var shape = h.shape;
        if (!z.shape.SequenceEqual(shape) || !update.shape.SequenceEqual(shape))
            throw new ArgumentException($"gate and update must be [{Rows}, {n}] like the state");
        return n;
    }

    /// <summary>Checks the state, the exempt columns and the row mask of one site call; returns its column count n.</summary>
    private int CheckState(Tensor h, Tensor? active, int exempt)
    {
        var shape = h.shape;
        if (shape.Length != 2 || shape[0] != Rows || shape[1] > Columns)
            throw new ArgumentException($"state must be [{Rows}, ≤ {Columns}], got [{string.Join(", ", shape)}]");
        var n = (int)shape[1];
        if (exempt < 0 || exempt > n) throw new ArgumentOutOfRangeException(nameof(exempt), exempt, $"must be in 0..{n}");
        if (active is not null && (active.dim() != 1 || active.size(0) != Rows || active.dtype != ScalarType.Bool))
            throw new ArgumentException($"active must be bool [{Rows}]");
        return n;
    }

    private static ReadOnlySpan<byte> ActiveRows(Tensor? active) => TensorSpans.ActiveRows(active);

    private static Tensor Dense(Tensor t, ScalarType type, ref Tensor? copy) => TensorSpans.Dense(t, type, ref copy);

    private static Span<T> Elements<T>(Tensor t) where T : unmanaged => TensorSpans.Elements<T>(t);

    /// <summary>Every field of the buffer, copied (for the differential tests).</summary>
    internal BufferSnapshot Snapshot() => new(
        _register?.data<long>().ToArray(), _depth?.data<long>().ToArray(),
        [.. _chunks.Select(c => c?.data<int>().ToArray())], _chunkWords,
        BitConverter.DoubleToInt64Bits(_optimal?.item<double>() ?? 0), _refRegister?.data<long>().ToArray(),
        _referenceLevels, _multiplies, [.. _columnUsed], _sealed is null ? null : [.. _sealed]);
}

/// <summary>A copy of every field of an <see cref="InformationBuffer"/>; <see cref="Difference"/> compares them all,
/// bit for bit except the optimal bits (a float64 statistic the two implementations round differently; equal
/// within <see cref="OptimalBitsTolerance"/> relative).</summary>
internal sealed record BufferSnapshot(
    long[]? Register, long[]? Depth, List<int[]?> Chunks, long ChunkWords, long OptimalBits, long[]? ReferenceRegister,
    long ReferenceLevels, long Multiplies, bool[] ColumnUsed, byte[]? Sealed)
{
    public const double OptimalBitsTolerance = 1e-12;

    /// <summary>The first field that differs from <paramref name="other"/>, or null when all are equal.</summary>
    public string? Difference(BufferSnapshot other)
    {
        static bool Eq<T>(T[]? a, T[]? b) where T : IEquatable<T> => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
        if (!Eq(Register, other.Register)) return "registers";
        if (!Eq(Depth, other.Depth)) return "depths";
        if (Chunks.Count != other.Chunks.Count) return $"chunk count {Chunks.Count} vs {other.Chunks.Count}";
        for (var i = 0; i < Chunks.Count; i++)
            if (!Eq(Chunks[i], other.Chunks[i])) return $"chunk {i}";
        if (ChunkWords != other.ChunkWords) return "chunk words";
        double optimal = BitConverter.Int64BitsToDouble(OptimalBits), otherOptimal = BitConverter.Int64BitsToDouble(other.OptimalBits);
        if (!(Math.Abs(optimal - otherOptimal) <= OptimalBitsTolerance * Math.Abs(optimal)))
            return $"optimal bits {optimal:R} vs {otherOptimal:R}";
        if (!Eq(ReferenceRegister, other.ReferenceRegister)) return "reference registers";
        if (ReferenceLevels != other.ReferenceLevels) return "reference levels";
        if (Multiplies != other.Multiplies) return "multiplies";
        if (!Eq(ColumnUsed, other.ColumnUsed)) return "used columns";
        if (!Eq(Sealed, other.Sealed)) return "sealed bytes";
        return null;
    }
}
