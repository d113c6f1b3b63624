// InputWindows: the bottom layer's input projections (x·W_x^T + b of every gate layer) computed for aligned windows of
// steps [kP, min(kP + P, T)): one product per gate layer and window instead of one per step.
// Guarantees: every pass over a sequence (Forward, ForwardWithGraph, the reversal's rebuilds) computes step t's
// projection as rows of the same product (the same window rows, the same weights, the same shapes), so the forward and
// reverse passes see bit-identical gates whatever row blocking the product uses. For reversal the steps' projection
// gradients are gathered, and once the window's first step is backpropagated the window is backpropagated once
// (written out: W_x's and b's gradients accumulate in the walk's GateGradients, dL/dx_t goes to the caller's sink or
// into the inputs' graph). At most the windows of the steps in flight are alive; each is freed when done.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>How a pass uses its input windows.</summary>
internal enum InputWindowMode
{
    /// <summary>No graph (Forward, rebuilds for checks): one window alive at a time.</summary>
    NoGraph,
    /// <summary>Ordinary autograd (ForwardWithGraph): the windows' graphs lead to the inputs and weights; the caller's
    /// dispose scope owns them.</summary>
    Graph,
    /// <summary>Reversal: no graph; the steps' projection gradients gathered, each window backpropagated once.</summary>
    Reversal,
}

internal sealed class InputWindows : IDisposable
{
    private readonly GateWeights _weights;
    private readonly GateGradients? _grads;
    private readonly Func<int, Tensor> _inputAt;
    private readonly int _size, _steps;
    private readonly InputWindowMode _mode;
    private readonly Action<int, Tensor>? _inputGradient;
    private readonly Dictionary<int, Window> _open = [];

    /// <param name="weights">The bottom layer's gate weights (views of the parameters).</param>
    /// <param name="grads">Reversal: where W_x's and b's gradients accumulate.</param>
    /// <param name="inputAt">The input of step t [B, input size] (recomputed: the same values on every pass).</param>
    /// <param name="size">Steps per window (P ≥ 1).</param>
    /// <param name="steps">Steps of the sequence (the last window may be shorter).</param>
    /// <param name="mode">See <see cref="InputWindowMode"/>.</param>
    /// <param name="inputGradient">Reversal: the sink of dL/dx_t (then the inputs are evaluated without graph); null: the
    /// gradient goes into the inputs' graph, if they have one.</param>
    public InputWindows(GateWeights weights, Func<int, Tensor> inputAt, int size, int steps, InputWindowMode mode,
        GateGradients? grads = null, Action<int, Tensor>? inputGradient = null)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "an input window needs at least one step");
        if (mode == InputWindowMode.Reversal && grads is null) throw new ArgumentNullException(nameof(grads), "reversal needs gradient accumulators");
        _weights = weights;
        _grads = grads;
        _inputAt = inputAt;
        _size = size;
        _steps = steps;
        _mode = mode;
        _inputGradient = inputGradient;
    }

    /// <summary>The bottom layer's input of step <paramref name="t"/>: its rows of the window's projections.</summary>
    public CellInput At(int t)
    {
        var w = WindowOf(t);
        return new CellInput([.. w.Projected.Select(p => p.narrow(0, w.Rows(t), w.Batch))], _weights);
    }

    /// <summary>Reversal: takes dL/d(step <paramref name="t"/>'s projections) ([B, out] per gate layer); after the
    /// window's first step, backpropagates and frees the window.</summary>
    public void Gather(int t, Tensor[] dProjected)
    {
        var w = _open[Start(t)];
        using (no_grad())
            for (var g = 0; g < dProjected.Length; g++) w.Grads![g].narrow(0, w.Rows(t), w.Batch).copy_(dProjected[g]);
        if (t != w.Start) return;
        using (var scope = NewDisposeScope())
        {
            var dx = _grads!.AddProjection(w.Input!, w.Grads!, _weights);
            if (_inputGradient is not null)
                for (var s = w.End - 1; s >= w.Start; s--) _inputGradient(s, dx.narrow(0, w.Rows(s), w.Batch));
            else if (w.Input!.requires_grad)
                using (enable_grad()) torch.autograd.backward([w.Input], [dx]);
        }
        _open.Remove(w.Start);
        w.Dispose();
    }

    private int Start(int t) => t / _size * _size;

    private Window WindowOf(int t)
    {
        var start = Start(t);
        if (_open.TryGetValue(start, out var w)) return w;
        if (_mode == InputWindowMode.NoGraph)
        {
            foreach (var old in _open.Values) old.Dispose();
            _open.Clear();
        }
        w = Open(start, Math.Min(start + _size, _steps));
        _open[start] = w;
        return w;
    }

    private Window Open(int start, int end)
    {
        var keep = _mode != InputWindowMode.Graph;
        using var scope = keep ? NewDisposeScope() : null;
        Tensor input;
        // The inputs keep their graph where their gradient goes into it (ForwardWithGraph; reversal without a sink),
        // even when the caller runs without gradients.
        var inputGraph = _mode == InputWindowMode.Graph || (_mode == InputWindowMode.Reversal && _inputGradient is null);
        using (inputGraph ? enable_grad() : no_grad())
            input = cat([.. Enumerable.Range(start, end - start).Select(_inputAt)], 0);
        var batch = (int)(input.shape[0] / (end - start));
        Tensor[] projected;
        using (_mode == InputWindowMode.Graph ? null : no_grad()) projected = ReversibleCell.Project(input, _weights);
        if (_mode == InputWindowMode.Reversal)
        {
            var grads = projected.Select(p => zeros_like(p)).ToArray();
            foreach (var t in projected.Concat(grads).Append(input)) t.DetachFromDisposeScope();
            return new Window(start, end, batch, projected, input, grads);
        }
        if (keep) foreach (var p in projected) p.DetachFromDisposeScope();
        return new Window(start, end, batch, projected, null, null);
    }

    /// <summary>Frees the windows still open (a reversal that stopped early).</summary>
    public void Dispose()
    {
        if (_mode == InputWindowMode.Graph) return;
        foreach (var w in _open.Values) w.Dispose();
        _open.Clear();
    }

    /// <summary>One window: steps [Start, End), their inputs stacked by step ([n·B, input size]) and their projections
    /// ([n·B, out] per gate layer); for reversal also the inputs and the gathered gradients.</summary>
    private sealed record Window(int Start, int End, int Batch, Tensor[] Projected, Tensor? Input, Tensor[]? Grads) : IDisposable
    {
        public long Rows(int t) => (long)(t - Start) * Batch;

        public void Dispose()
        {
            foreach (var p in Projected) p.Dispose();
            if (Grads is not null) foreach (var g in Grads) g.Dispose();
            Input?.Dispose();
        }
    }
}
