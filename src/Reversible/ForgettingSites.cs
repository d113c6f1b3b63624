// ForgettingSites: the operations of one forgetting site (part ← z ⊙ part + update) that the reversible cells compose —
// lossy (inference, no buffer), buffered (exact), inverse, the straight-through graph, and the straight-through
// gradient — each in two implementations: the fused kernels (ForgettingKernels, one pass over the tensors' memory, no
// host synchronisation) and the LibTorch tensor-op reference.
// Guarantees: for finite gates and updates both implementations give bit-identical integers (states, buffers) and
// bit-identical site gradients (up to the sign of zero gradients); a state leaving the 32-bit container raises
// StateRangeException naming the site and step in both; no method here builds a graph except StraightThrough.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

internal static class ForgettingSites
{
    /// <summary>Inference: active rows (h ≫ s)·z* + round(2^r·update), inactive rows unchanged; no buffer.</summary>
    public static Tensor Lossy(ReversibleCell cell, Tensor h, Tensor z, Tensor update, Tensor? active, int index, int step)
    {
        var format = cell.Format;
        if (cell.Forgetting == ForgettingImplementation.Fused)
        {
            CheckShapes(h, z, update, active);
            Tensor? zCopy = null, uCopy = null;
            try
            {
                var zd = TensorSpans.Dense(z, ScalarType.Float32, ref zCopy);
                var ud = TensorSpans.Dense(update, ScalarType.Float32, ref uCopy);
                return LossySpans(cell, h, TensorSpans.Elements<float>(zd), TensorSpans.Elements<float>(ud), active, index, step);
            }
            finally
            {
                zCopy?.Dispose(); uCopy?.Dispose();
                GC.KeepAlive(z); GC.KeepAlive(update);
            }
        }
        using var scope = NewDisposeScope();
        var multiplied = LossyMultiply(format, h, format.QuantizeForget(z), active);
        var sum = multiplied.add(format.ToFixed(update), Scalars.UnitAlpha);
        var result = active is null ? sum : where(active.unsqueeze(1), sum, multiplied);
        FixedPointFormat.CheckRange(result, cell.SiteName(index), step);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Lossy"/> by the fused kernel, with
    /// the gate and the update as row-major spans [rows, n] (GateSites computes them without tensors).</summary>
    public static Tensor LossySpans(ReversibleCell cell, Tensor h, ReadOnlySpan<float> z, ReadOnlySpan<float> update, Tensor? active, int index, int step)
    {
        var format = cell.Format;
        var shape = h.shape;
        if (shape.Length != 2 || z.Length != shape[0] * shape[1] || update.Length != z.Length)
            throw new ArgumentException($"site gate and update must match the state [{string.Join(", ", shape)}]");
        if (active is not null && (active.dim() != 1 || active.size(0) != shape[0] || active.dtype != ScalarType.Bool))
            throw new ArgumentException($"active must be bool [{shape[0]}]");
        Tensor? hCopy = null;
        try
        {
            var hd = TensorSpans.Dense(h, ScalarType.Int64, ref hCopy);
            int rows = (int)shape[0], n = (int)shape[1];
            var next = empty(rows, n, ScalarType.Int64);
            var maxAbs = ForgettingKernels.Lossy(new ForgettingKernels.SiteSpans
            {
                Rows = rows, Columns = n, ForgetRadix = format.ForgetRadix, HiddenRadix = format.HiddenRadix,
                H = TensorSpans.Elements<long>(hd), Z = z, Update = update,
                Active = TensorSpans.ActiveRows(active), Out = TensorSpans.Elements<long>(next),
            });
            if (maxAbs >= FixedPointFormat.StateLimit) throw new StateRangeException(cell.SiteName(index), step, maxAbs);
            return next;
        }
        finally
        {
            hCopy?.Dispose();
            GC.KeepAlive(h); GC.KeepAlive(active);
        }
    }

    /// <summary>Exact: h·z through <paramref name="buffer"/> (columns [exempt, n); [0, exempt) lossily) + update.</summary>
    public static Tensor Buffered(ReversibleCell cell, InformationBuffer buffer, Tensor h, Tensor z, Tensor update, Tensor? active,
        int exempt, int index, int step)
    {
        var format = cell.Format;
        if (buffer.Implementation == ForgettingImplementation.Fused)
        {
            var next = buffer.MultiplyAdd(h, z, update, active, exempt, out var maxAbs);
            if (maxAbs >= FixedPointFormat.StateLimit) throw new StateRangeException(cell.SiteName(index), step, maxAbs);
            return next;
        }
        using var scope = NewDisposeScope();
        var multiplied = buffer.Multiply(h, format.QuantizeForget(z), z.detach(), active, exempt);
        var sum = multiplied.add(format.ToFixed(update.detach()), Scalars.UnitAlpha);
        var result = active is null ? sum : where(active.unsqueeze(1), sum, multiplied);
        FixedPointFormat.CheckRange(result, cell.SiteName(index), step);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Inverse of <see cref="Buffered"/>: the previous part from the next one. Exempt columns (whose low bits
    /// were not buffered) are replaced by their saved values <paramref name="restore"/>.</summary>
    public static Tensor Inverse(ReversibleCell cell, InformationBuffer buffer, Tensor next, Tensor z, Tensor update, Tensor? active,
        int exempt, Tensor? restore)
    {
        if (exempt > 0 && restore is null) throw new InvalidOperationException($"{cell.Label}: exempt columns need their saved values to reverse");
        if (buffer.Implementation == ForgettingImplementation.Fused)
            return buffer.SubtractDivide(next, z, update, active, exempt, restore);
        var format = cell.Format;
        using var scope = NewDisposeScope();
        var zq = format.QuantizeForget(z);
        var sub = format.ToFixed(update);
        var hz = active is null ? next.sub(sub) : where(active.unsqueeze(1), next.sub(sub), next);
        var prev = buffer.Divide(hz, zq, active, exempt);
        if (exempt > 0)
            prev = exempt == prev.shape[1] ? restore! : cat([restore!, prev.narrow(1, exempt, prev.shape[1] - exempt)], 1);
        return ReferenceEquals(prev, restore) ? prev : prev.MoveToOuterDisposeScope();
    }

    /// <summary>The straight-through graph of one site (tensor ops, the reference): a float whose value is exactly
    /// float(<paramref name="nextInt"/>) and whose gradient is that of z*/2^s ⊙ part + update on active rows and the
    /// identity to the old part on inactive rows.</summary>
    public static Tensor StraightThrough(FixedPointFormat format, Tensor nextInt, Tensor partFloat, Tensor z, Tensor update, Tensor? active)
    {
        var zq = format.QuantizeForget(z);
        var zST = format.ForgetToFloat(zq).add(z.sub(z.detach()), Scalars.UnitAlpha);
        var surrogate = zST.mul(partFloat).add(update, Scalars.UnitAlpha);
        var exact = format.ToFloat(nextInt).add(surrogate.sub(surrogate.detach()), Scalars.UnitAlpha);
        return active is null ? exact : where(active.unsqueeze(1), exact, partFloat);
    }

    /// <summary>The gradient <see cref="StraightThrough"/> gives, computed directly from dL/d(next) <paramref name="grad"/>,
    /// the previous part's integers and the gate: (dL/d previous, dL/dz, dL/d update). No graph.</summary>
    public static (Tensor DPrevious, Tensor DGate, Tensor DUpdate) Gradient(ForgettingImplementation implementation, FixedPointFormat format,
        Tensor grad, Tensor previousInt, Tensor z, Tensor? active)
    {
        using var noGrad = no_grad();
        if (implementation == ForgettingImplementation.Fused)
        {
            var n = CheckShapes(previousInt, z, grad, active);
            Tensor? gCopy = null, pCopy = null, zCopy = null;
            try
            {
                var gd = TensorSpans.Dense(grad, ScalarType.Float32, ref gCopy);
                var pd = TensorSpans.Dense(previousInt, ScalarType.Int64, ref pCopy);
                var zd = TensorSpans.Dense(z, ScalarType.Float32, ref zCopy);
                var rows = (int)previousInt.shape[0];
                var dPrevious = empty(rows, n, ScalarType.Float32);
                var dGate = empty(rows, n, ScalarType.Float32);
                var dUpdate = empty(rows, n, ScalarType.Float32);
                ForgettingKernels.Gradient(new ForgettingKernels.GradientSpans
                {
                    Rows = rows, Columns = n, ForgetRadix = format.ForgetRadix, HiddenRadix = format.HiddenRadix,
                    Grad = TensorSpans.Elements<float>(gd), Z = TensorSpans.Elements<float>(zd), Previous = TensorSpans.Elements<long>(pd),
                    Active = TensorSpans.ActiveRows(active),
                    DPrevious = TensorSpans.Elements<float>(dPrevious), DGate = TensorSpans.Elements<float>(dGate), DUpdate = TensorSpans.Elements<float>(dUpdate),
                });
                return (dPrevious, dGate, dUpdate);
            }
            finally
            {
                gCopy?.Dispose(); pCopy?.Dispose(); zCopy?.Dispose();
                GC.KeepAlive(grad); GC.KeepAlive(previousInt); GC.KeepAlive(z); GC.KeepAlive(active);
            }
        }
        using var scope = NewDisposeScope();
        var zST = format.ForgetToFloat(format.QuantizeForget(z));
        var g = active is null ? grad : where(active.unsqueeze(1), grad, zeros_like(grad));
        var dPrev = g.mul(zST);
        if (active is not null) dPrev = where(active.unsqueeze(1), dPrev, grad);
        var dz = g.mul(format.ToFloat(previousInt));
        var du = active is null ? grad.clone() : g;
        return (dPrev.MoveToOuterDisposeScope(), dz.MoveToOuterDisposeScope(), du.MoveToOuterDisposeScope());
    }

    private static Tensor LossyMultiply(FixedPointFormat format, Tensor h, Tensor zq, Tensor? active)
    {
        var result = h.bitwise_right_shift(Scalars.Int64Tensor(format.ForgetRadix)).mul(zq);
        return active is null ? result : where(active.unsqueeze(1), result, h);
    }

    /// <summary>Checks that the state, the gate and the update (or gradient) are [rows, n] and the mask bool [rows].</summary>
    private static int CheckShapes(Tensor h, Tensor z, Tensor other, Tensor? active)
    {
        var shape = h.shape;
        if (shape.Length != 2 || !z.shape.SequenceEqual(shape) || !other.shape.SequenceEqual(shape))
            throw new ArgumentException($"site tensors must share one [rows, n] shape, got [{string.Join(", ", shape)}], " +
                $"[{string.Join(", ", z.shape)}] and [{string.Join(", ", other.shape)}]");
        if (active is not null && (active.dim() != 1 || active.size(0) != shape[0] || active.dtype != ScalarType.Bool))
            throw new ArgumentException($"active must be bool [{shape[0]}]");
        return (int)shape[1];
    }
}
