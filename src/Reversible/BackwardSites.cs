// BackwardSites: the tensor side of BackwardKernels — checks the shapes, gives the kernels the memory of contiguous
// float32/int64 CPU tensors (a strided input is copied once, never converted), allocates the results in the caller's
// dispose scope, and keeps every tensor alive while the kernels read or write its memory.
// Guarantees: the results are the tensors the reference backward (RevGRUCell/RevLSTMCell with
// ForgettingImplementation.Tensor) computes, bit for bit (BackwardKernels' header); wrong shapes or dtypes are
// ArgumentExceptions.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

internal static class BackwardSites
{
    /// <summary>RevGRU, one half's site and gate chain: dL/d(previous part), dL/d candidate pre-activation [rows, n] and
    /// the zr layer's gradient [rows, 2n] with its keep-gate columns written (the reset columns by <see cref="GruReset"/>).
    /// <paramref name="grad"/> (+ <paramref name="addend"/>, rounded once) is dL/d(next part).</summary>
    public static (Tensor DPrevious, Tensor DCandidate, Tensor DZr) GruSite(ReversibleCell cell, Tensor grad, Tensor? addend,
        Tensor previousInt, Tensor z, Tensor sigma, Tensor candidate, Tensor? active)
    {
        using var inputs = new DenseInputs(previousInt, active);
        var (rows, n) = inputs.Shape;
        var dPrevious = empty(rows, n, ScalarType.Float32);
        var dCandidate = empty(rows, n, ScalarType.Float32);
        var dZr = empty(rows, 2 * n, ScalarType.Float32);
        BackwardKernels.GruSite(new BackwardKernels.GruSiteSpans
        {
            Rows = rows, Columns = n,
            Grad = inputs.Floats(grad), Addend = addend is null ? default : inputs.Floats(addend),
            Previous = inputs.Longs(previousInt), Z = inputs.Floats(z), Sigma = inputs.Floats(sigma), Candidate = inputs.Floats(candidate),
            Active = TensorSpans.ActiveRows(active),
            DPrevious = TensorSpans.Elements<float>(dPrevious), DCandidate = TensorSpans.Elements<float>(dCandidate),
            DZr = TensorSpans.Elements<float>(dZr),
        }, Scales(cell));
        return (dPrevious, dCandidate, dZr);
    }

    /// <summary>RevGRU, the reset gate's columns of <paramref name="dZr"/> from dL/d(r ⊙ other); returns dL/d(r ⊙ other)
    /// ⊙ r, other's gradient through the product.</summary>
    public static Tensor GruReset(Tensor dROther, Tensor other, Tensor reset, Tensor dZr)
    {
        using var inputs = new DenseInputs(other, null);
        var (rows, n) = inputs.Shape;
        if (!dZr.shape.SequenceEqual(new long[] { rows, 2 * n }) || !dZr.is_contiguous() || dZr.dtype != ScalarType.Float32)
            throw new ArgumentException($"the zr gradient must be contiguous float32 [{rows}, {2 * n}]");
        var dOther = empty(rows, n, ScalarType.Float32);
        BackwardKernels.GruReset(rows, n, inputs.Floats(dROther), inputs.Floats(other), inputs.Floats(reset),
            TensorSpans.Elements<float>(dZr), TensorSpans.Elements<float>(dOther));
        GC.KeepAlive(dZr);
        return dOther;
    }

    /// <summary>RevLSTM, one half: dL/d h^{t−1}, dL/d c^{t−1} and the layer's pre-activation gradient [rows, 5n].</summary>
    public static (Tensor DH, Tensor DC, Tensor DA) LstmHalf(ReversibleCell cell, Tensor gradH, Tensor? addend, Tensor gradC,
        Tensor previousH, Tensor previousC, Tensor p, Tensor z, Tensor tanhC, Tensor sigmaZ, Tensor g, Tensor f, Tensor o,
        Tensor sigmaP, Tensor? active)
    {
        using var inputs = new DenseInputs(previousH, active);
        var (rows, n) = inputs.Shape;
        var dH = empty(rows, n, ScalarType.Float32);
        var dC = empty(rows, n, ScalarType.Float32);
        var dA = empty(rows, 5 * n, ScalarType.Float32);
        BackwardKernels.LstmHalf(new BackwardKernels.LstmSpans
        {
            Rows = rows, Columns = n,
            GradH = inputs.Floats(gradH), Addend = addend is null ? default : inputs.Floats(addend), GradC = inputs.Floats(gradC),
            PreviousH = inputs.Longs(previousH), PreviousC = inputs.Longs(previousC),
            P = inputs.Floats(p), Z = inputs.Floats(z), TanhC = inputs.Floats(tanhC), SigmaZ = inputs.Floats(sigmaZ),
            G = inputs.Floats(g), F = inputs.Floats(f), O = inputs.Floats(o), SigmaP = inputs.Floats(sigmaP),
            Active = TensorSpans.ActiveRows(active),
            DH = TensorSpans.Elements<float>(dH), DC = TensorSpans.Elements<float>(dC), DA = TensorSpans.Elements<float>(dA),
        }, Scales(cell));
        return (dH, dC, dA);
    }

    /// <summary><paramref name="target"/> (a contiguous float32 tensor this code allocated) += <paramref name="addend"/>.</summary>
    public static Tensor AddInPlace(Tensor target, Tensor addend)
    {
        if (!target.is_contiguous() || target.dtype != ScalarType.Float32 || !target.shape.SequenceEqual(addend.shape))
            throw new ArgumentException("the sum's target must be contiguous float32 of the addend's shape");
        using var inputs = new DenseInputs(target, null);
        BackwardKernels.AddInPlace(TensorSpans.Elements<float>(target), inputs.Floats(addend));
        return target;
    }

    private static BackwardKernels.Scales Scales(ReversibleCell cell) => new(cell.Format.ForgetRadix, cell.Format.HiddenRadix, cell.Limit.Scale);

    /// <summary>The inputs of one kernel call: [rows, n] each (checked), their dense memory (copies freed on dispose) and
    /// the tensors kept alive until then.</summary>
    private sealed class DenseInputs : IDisposable
    {
        private readonly List<Tensor> _kept = [], _copies = [];

        public DenseInputs(Tensor like, Tensor? active)
        {
            if (like.dim() != 2) throw new ArgumentException($"backward tensors must be [rows, n], got [{string.Join(", ", like.shape)}]");
            Shape = ((int)like.shape[0], (int)like.shape[1]);
            if (active is not null && (active.dim() != 1 || active.size(0) != Shape.Rows || active.dtype != ScalarType.Bool))
                throw new ArgumentException($"active must be bool [{Shape.Rows}]");
            if (active is not null) _kept.Add(active);
        }

        public (int Rows, int N) Shape { get; }

        public ReadOnlySpan<float> Floats(Tensor t) => TensorSpans.Elements<float>(Dense(t, ScalarType.Float32));
        public ReadOnlySpan<long> Longs(Tensor t) => TensorSpans.Elements<long>(Dense(t, ScalarType.Int64));

        private Tensor Dense(Tensor t, ScalarType type)
        {
            if (t.dim() != 2 || t.shape[0] != Shape.Rows || t.shape[1] != Shape.N)
                throw new ArgumentException($"backward tensors must share one [{Shape.Rows}, {Shape.N}] shape, got [{string.Join(", ", t.shape)}]");
            Tensor? copy = null;
            var dense = TensorSpans.Dense(t, type, ref copy);
            _kept.Add(t);
            if (copy is not null) _copies.Add(copy);
            return dense;
        }

        public void Dispose()
        {
            foreach (var c in _copies) c.Dispose();
            GC.KeepAlive(_kept);
        }
    }
}
