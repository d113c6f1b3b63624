// ReversibleRnn: a stack of reversible cells run over a sequence and trained by reversal (MacKay et al. 2018).
// Guarantees: Forward keeps no per-step hidden state (final state as int32, sealed buffer, saved columns); Backward and
// its block variant rebuild every state bit for bit (the bottom layer's input projections come from the same windows as
// in Forward: InputWindows) and give the gradients ordinary autograd gives through ForwardWithGraph (to float rounding),
// written out without a graph, holding one step's kept gates and one input window (block variant: K states and K steps'
// gates); Step without a buffer is inference with the same cells.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>The reversible cell of every layer of a <see cref="ReversibleRnn"/>.</summary>
public enum ReversibleCellKind
{
    /// <summary>Reversible GRU (MacKay et al. 2018 §3.1): two state parts h1, h2 of hidden/2 columns each.</summary>
    RevGRU,
    /// <summary>Reversible LSTM (§3.2): four state parts h1, h2, c1, c2 of hidden/2 columns each.</summary>
    RevLSTM,
}

/// <summary>The loss of a block of decoder steps: <c>outputs</c> are the top layer's outputs after steps
/// firstStep … firstStep + K − 1, as one leaf [K, B, H] that requires grad; returns a scalar with graph, or null.</summary>
public delegate Tensor? BlockLoss(int firstStep, Tensor outputs);

/// <summary>
/// A stack of reversible cells run over a sequence, trained by reversal.
///
/// <see cref="Forward"/> keeps no per-step hidden states: only the final state, the sealed
/// <see cref="InformationBuffer"/> (one per stack, H/2 columns shared by every layer and half, used in a
/// fixed order) and, when <see cref="SavedColumns"/> &gt; 0, the top layer's saved columns at every step
/// (h1[:, :k] for k ≤ H/2, the whole top state for k = H) — the attention slice, exempt from the buffer.
/// <see cref="Backward(ReversalTape, Func{int, Tensor}, Func{int, Tensor, Tensor}, IReadOnlyList{IReadOnlyList{Tensor}}, bool, Action{int, RnnState}, Action{int, Tensor})"/> walks back from the last step: it rebuilds each layer's previous state exactly
/// (bit for bit), evaluating each gate once and keeping its values, and backpropagates through that step (written out,
/// no autograd graph), so at most one step's activations (and one window of input projections) are alive at a time. Rows past their length (<c>lengths</c>) are frozen: no bits are
/// consumed and gradients pass through unchanged.
/// </summary>
public sealed class ReversibleRnn : nn.Module
{
    private readonly ModuleList<ReversibleCell> cells;
    private ForgettingImplementation _forgetting = ForgettingImplementation.Fused;

    /// <summary>
    /// A stack of <paramref name="layers"/> cells of <paramref name="kind"/>: the first takes inputs of
    /// <paramref name="inputSize"/> columns, the others the layer below's output; every layer's output has
    /// <paramref name="hiddenSize"/> columns (even: two halves h1, h2). <paramref name="limit"/> bounds the bits each
    /// unit may forget per step (keep gates z ≥ 2^−k). <paramref name="savedColumns"/> (0 … hidden/2, or hidden) top-layer
    /// columns of every step are kept outside the buffer in <see cref="ReversalTape.Saved"/> (e.g. for attention);
    /// <paramref name="format"/> defaults to <see cref="FixedPointFormat.Default"/>. <paramref name="name"/> prefixes
    /// the layers' names in range errors.
    /// </summary>
    /// <exception cref="ArgumentException">No layer, an odd or non-positive hidden size, or saved columns out of range.</exception>
    public ReversibleRnn(string name, ReversibleCellKind kind, int inputSize, int hiddenSize, int layers,
        ForgetLimit limit, int savedColumns = 0, FixedPointFormat? format = null) : base(name)
    {
        if (layers < 1) throw new ArgumentException("a reversible stack needs at least one layer");
        if (savedColumns < 0 || (savedColumns > hiddenSize / 2 && savedColumns != hiddenSize))
            throw new ArgumentException($"saved columns must be in 0..{hiddenSize / 2} or exactly {hiddenSize}, got {savedColumns}");
        Kind = kind;
        Format = format ?? FixedPointFormat.Default;
        HiddenSize = hiddenSize;
        SavedColumns = savedColumns;
        cells = new ModuleList<ReversibleCell>();
        for (var l = 0; l < layers; l++)
        {
            var inSize = l == 0 ? inputSize : hiddenSize;
            ReversibleCell cell = kind == ReversibleCellKind.RevGRU
                ? new RevGRUCell(inSize, hiddenSize, limit, Format)
                : new RevLSTMCell(inSize, hiddenSize, limit, Format);
            cell.Label = $"{name}.layer{l}";
            cells.Add(cell);
        }
        RegisterComponents();
    }

    /// <summary>The cell of every layer.</summary>
    public ReversibleCellKind Kind { get; }
    /// <summary>The fixed-point format of the states.</summary>
    public FixedPointFormat Format { get; }
    /// <summary>Columns of each layer's output [h1; h2] (even).</summary>
    public int HiddenSize { get; }
    /// <summary>Number of layers.</summary>
    public int Layers => cells.Count;
    /// <summary>Top-layer columns of every step kept by <see cref="Forward"/> in <see cref="ReversalTape.Saved"/>.</summary>
    public int SavedColumns { get; }
    /// <summary>State parts per layer: 2 for RevGRU (h1, h2), 4 for RevLSTM (h1, h2, c1, c2).</summary>
    public int PartCount => cells[0].PartCount;

    /// <summary>Steps per window of the bottom layer's input projection (<see cref="InputWindows"/>): one product per
    /// gate layer and window. Forward records it in its tape, and the reversal uses the tape's windows.</summary>
    public int InputWindow
    {
        get => _inputWindow;
        set => _inputWindow = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "an input window needs at least one step");
    }
    private int _inputWindow = 4;

    /// <summary>The cell of layer <paramref name="layer"/>.</summary>
    internal ReversibleCell CellAt(int layer) => cells[layer];

    /// <summary>The implementation of the forgetting sites (default: fused kernels): of the buffers this stack
    /// creates, of its inference steps and of the site gradients of its reversal.</summary>
    public ForgettingImplementation Forgetting
    {
        get => _forgetting;
        set
        {
            _forgetting = value;
            foreach (var c in cells) c.Forgetting = value;
        }
    }

    /// <summary>All-zero fixed-point state for <paramref name="batch"/> rows.</summary>
    public RnnState ZeroState(int batch) => new([.. cells.Select(c => new CellState(
        [.. Enumerable.Range(0, c.PartCount).Select(_ => new Part(zeros(batch, HiddenSize / 2, ScalarType.Int64), null, Format))]))]);

    /// <summary>One inference step of every layer (no gradients, no buffer: the forgotten low bits are dropped) from
    /// <paramref name="input"/> [batch, input size] and <paramref name="state"/>: the same cells as training, each step's
    /// input projected on its own; rows where <paramref name="active"/> is false keep their state.
    /// <paramref name="step"/> names the step in range errors.</summary>
    public RnnState Step(Tensor input, RnnState state, Tensor? active = null, int step = 0)
    {
        using var _ = no_grad();
        var next = new CellState[Layers];
        for (var l = 0; l < Layers; l++)
            next[l] = cells[l].Infer(l == 0 ? input : next[l - 1].Output, state[l], active, step);
        return new RnnState(next);
    }

    /// <summary>One exact step of every layer through <paramref name="buffer"/> (no gradients): the bottom layer's input
    /// <paramref name="bottom"/> (its window's projection rows), the others' projected here.</summary>
    private RnnState StepBuffered(CellInput bottom, RnnState state, Tensor? active, int step, InformationBuffer buffer,
        IReadOnlyList<Tensor?>? layerInputMasks, GateWeights[] weights)
    {
        var next = new CellState[Layers];
        for (var l = 0; l < Layers; l++)
        {
            var input = l == 0 ? bottom : Projected(Dropped(next[l - 1].Output, layerInputMasks, l), weights[l]);
            next[l] = cells[l].Forward(input, state[l], buffer, active, ExemptionsOf(l), step);
        }
        return new RnnState(next);
    }

    /// <summary>The gate weights of every layer as views of the parameters.</summary>
    private GateWeights[] Weights() => [.. cells.Select(c => c.Weights())];

    /// <summary>A layer's input <paramref name="x"/> [B, size] projected on its own (layers above the bottom).</summary>
    private static CellInput Projected(Tensor x, GateWeights weights) => new(ReversibleCell.Project(x, weights), weights);

    /// <summary>The top layer's saved (attention) columns of a state, as int32 [B, k].</summary>
    public Tensor SavedOf(RnnState state)
    {
        var top = state[Layers - 1];
        var cols = SavedColumns <= HiddenSize / 2
            ? top[0].Int.narrow(1, 0, SavedColumns)
            : cat([top[0].Int, top[1].Int], 1);
        return cols.to(ScalarType.Int32);
    }

    /// <summary>
    /// Forward pass for training by reversal (no gradients, no per-step states kept).
    /// <paramref name="inputAt"/>(t) gives the input of step t [batch, input size]; it is called again during
    /// <see cref="Backward(ReversalTape, Func{int, Tensor}, Func{int, Tensor, Tensor}, IReadOnlyList{IReadOnlyList{Tensor}}, bool, Action{int, RnnState}, Action{int, Tensor})"/> and must return the same values (recompute embeddings from token ids).
    /// Rows past their <paramref name="lengths"/> (int64 [batch]; null: all rows run every step) keep their state.
    /// <paramref name="layerInputMasks"/>: locked dropout masks on the input of layer l ≥ 1 (index = layer, each
    /// [batch, hidden], reused at every step and by the reversal; see <see cref="LockedDropout"/>).
    /// <paramref name="trackReferenceScheme"/> also counts the reference code's 64-bit scheme
    /// (<see cref="ReversalTape.ReferenceSchemeBits"/>); <paramref name="onState"/>(t, state) sees the state before step t
    /// (and after the last), e.g. for checks.
    /// </summary>
    /// <exception cref="StateRangeException">A state value left the 32-bit range (lower the learning rate or clip gradients).</exception>
    public ReversalTape Forward(Func<int, Tensor> inputAt, int steps, Tensor? lengths, RnnState initial,
        IReadOnlyList<Tensor?>? layerInputMasks = null, bool trackReferenceScheme = false,
        Action<int, RnnState>? onState = null)
    {
        using var _ = no_grad();
        using var phase = PhaseProfiler.Measure(Phase.Forward);
        var batch = (int)initial[0][0].Int.shape[0];
        var buffer = new InformationBuffer(batch, HiddenSize / 2, Format, trackReferenceScheme) { Implementation = Forgetting };
        var saved = SavedColumns > 0 ? empty(steps + 1, batch, SavedColumns, ScalarType.Int32).DetachFromDisposeScope() : null;
        saved?[0].copy_(SavedOf(initial));
        onState?.Invoke(0, initial);
        var state = initial;
        var weights = Weights();
        using var windows = new InputWindows(weights[0], inputAt, InputWindow, steps, InputWindowMode.NoGraph);
        for (var t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            var next = StepBuffered(windows.At(t), state, ActiveAt(lengths, t), t, buffer, layerInputMasks, weights);
            saved?[t + 1].copy_(SavedOf(next));
            onState?.Invoke(t + 1, next);
            next.MoveToOuterDisposeScope();
            if (!ReferenceEquals(state, initial)) state.Dispose();
            state = next;
        }
        buffer.Seal();
        var final = CompactState.From(state);
        if (!ReferenceEquals(state, initial)) state.Dispose();
        return new ReversalTape(this, steps, batch, final, buffer, saved, lengths, layerInputMasks, InputWindow);
    }

    /// <summary>
    /// Training by reversal. For t = T−1 … 0: <paramref name="stepLoss"/>(t, output) may return a scalar
    /// loss on the top layer's output after step t (a leaf with requires_grad); its gradient and the
    /// gradient flowing back from step t+1 are backpropagated through step t, rebuilt from the exactly
    /// reconstructed states with each gate evaluated once. Parameter gradients accumulate in .grad as usual.
    /// The input's gradient dL/dx_t goes to <paramref name="inputGradient"/>(t, grad) when given (then
    /// <paramref name="inputAt"/> is evaluated without graph), else into <paramref name="inputAt"/>'s graph (e.g.
    /// embeddings). Returns dL/d(initial state) as float tensors [layer][part]. With
    /// <paramref name="computeGradients"/> false it only reconstructs (for checks).
    /// <paramref name="finalGradients"/> is dL/d(final state) [layer][part] when the final state feeds something else
    /// (e.g. a decoder); <paramref name="onReconstructed"/>(t, state) sees each rebuilt state before step t. To give the
    /// gradient g_t of the loss with respect to the output instead of a loss, return <c>output.mul(g_t).sum()</c>.
    /// The tape is consumed (its buffer empties); dispose it afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer did not empty exactly (forward and reverse diverged).</exception>
    public Tensor[][] Backward(ReversalTape tape, Func<int, Tensor> inputAt, Func<int, Tensor, Tensor?>? stepLoss = null,
        IReadOnlyList<IReadOnlyList<Tensor>>? finalGradients = null, bool computeGradients = true,
        Action<int, RnnState>? onReconstructed = null, Action<int, Tensor>? inputGradient = null)
    {
        using var walk = new ReverseWalk(this, tape, finalGradients, inputAt, inputGradient, computeGradients);
        for (var t = tape.Steps - 1; t >= 0; t--)
        {
            using var scope = NewDisposeScope();
            if (computeGradients && stepLoss is not null)
            {
                var output = walk.State[Layers - 1].Output.detach().requires_grad_(true);
                var loss = stepLoss(t, output);
                if (loss is not null)
                {
                    using (PhaseProfiler.Measure(Phase.Backward)) loss.backward();
                    using var g = output.grad!;
                    walk.AddOutputGradient(g);
                }
            }
            if (computeGradients) walk.ReverseStep(t);
            else walk.Rebuild(t);
            onReconstructed?.Invoke(t, walk.State);
            walk.EndStep();
        }
        return walk.Finish();
    }

    /// <summary>
    /// Training by reversal in blocks of <paramref name="block"/> steps: for each block, last first, the states are
    /// rebuilt, each gate evaluated once (K + 1 states and K steps' gates kept), <paramref name="loss"/> is evaluated
    /// once on the block's top outputs [K, B, H] (one batched attention, generator and loss instead of K) and
    /// backpropagated, then the K steps are backpropagated last to first. Same gradients as the per-step
    /// <see cref="Backward(ReversalTape, Func{int, Tensor}, Func{int, Tensor, Tensor}, IReadOnlyList{IReadOnlyList{Tensor}}, bool, Action{int, RnnState}, Action{int, Tensor})"/>; with <paramref name="block"/> = 1 it is that method (each gate evaluated once).
    /// <paramref name="finalGradients"/>, <paramref name="inputGradient"/> and <paramref name="onReconstructed"/> as there.
    /// </summary>
    public Tensor[][] Backward(ReversalTape tape, Func<int, Tensor> inputAt, int block, BlockLoss loss,
        IReadOnlyList<IReadOnlyList<Tensor>>? finalGradients = null, Action<int, Tensor>? inputGradient = null,
        Action<int, RnnState>? onReconstructed = null)
    {
        if (block < 1) throw new ArgumentOutOfRangeException(nameof(block), block, "a reversal block needs at least one step");
        if (block == 1)
            return Backward(tape, inputAt, (t, output) => loss(t, output.unsqueeze(0)), finalGradients,
                onReconstructed: onReconstructed, inputGradient: inputGradient);

        using var walk = new ReverseWalk(this, tape, finalGradients, inputAt, inputGradient, gradients: true);
        for (var end = tape.Steps; end > 0;)
        {
            var start = (end - 1) / block * block;
            using var scope = NewDisposeScope();
            // 1. Rebuild the block's states, each gate evaluated once, keeping the steps' gates:
            //    states[i] is the state before step start + i.
            var states = new RnnState[end - start + 1];
            var kept = new KeptStep[end - start][];
            states[^1] = walk.State;
            for (var t = end - 1; t >= start; t--)
            {
                kept[t - start] = walk.Rebuild(t);
                onReconstructed?.Invoke(t, walk.State);
                states[t - start] = walk.State;
            }
            // 2. The block's loss on its top outputs (the outputs of steps start … end − 1), backpropagated once.
            Tensor? outputGrads = null;
            var outputs = stack(states.Skip(1).Select(s => s[Layers - 1].Output)).requires_grad_(true);
            var blockLoss = loss(start, outputs);
            if (blockLoss is not null)
            {
                using (PhaseProfiler.Measure(Phase.Backward)) blockLoss.backward();
                outputGrads = outputs.grad;
            }
            // 3. Backpropagate through the kept steps, last to first.
            for (var t = end - 1; t >= start; t--)
            {
                using var stepScope = NewDisposeScope();
                if (outputGrads is not null) walk.AddOutputGradient(outputGrads[t - start]);
                walk.BackpropagateKept(t, kept[t - start]);
                walk.KeepGradients();
            }
            walk.EndBlock(states);
            end = start;
        }
        return walk.Finish();
    }

    /// <summary>Ordinary autograd through the same fixed-point forward (straight-through rounding), keeping
    /// every step's graph: the reference the reversal gradients must match, and the "backprop" mode. Returns the top
    /// layer's output after every step (with graph) and the final state; arguments as in <see cref="Forward"/>.</summary>
    public (List<Tensor> Outputs, RnnState Final) ForwardWithGraph(Func<int, Tensor> inputAt, int steps,
        Tensor? lengths, RnnState initial, IReadOnlyList<Tensor?>? layerInputMasks = null)
    {
        var batch = (int)initial[0][0].Int.shape[0];
        using var buffer = new InformationBuffer(batch, HiddenSize / 2, Format) { Implementation = Forgetting };
        var state = new RnnState([.. initial.Layers.Select(c => new CellState([.. c.Parts.Select(p => new Part(p.Int, p.Float, Format))]))]);
        var outputs = new List<Tensor>();
        var weights = Weights();
        var windows = new InputWindows(weights[0], inputAt, InputWindow, steps, InputWindowMode.Graph);
        for (var t = 0; t < steps; t++)
        {
            var active = ActiveAt(lengths, t);
            var next = new CellState[Layers];
            for (var l = 0; l < Layers; l++)
            {
                var input = l == 0 ? windows.At(t) : Projected(Dropped(next[l - 1].Output, layerInputMasks, l), weights[l]);
                next[l] = cells[l].ForwardWithGraph(input, state[l], buffer, active, ExemptionsOf(l), t);
            }
            state = new RnnState(next);
            outputs.Add(state[Layers - 1].Output);
        }
        return (outputs, state);
    }

    /// <summary>The buffer exemptions of layer <paramref name="layer"/>: the top layer's saved columns.</summary>
    private Exemptions ExemptionsOf(int layer)
    {
        if (layer != Layers - 1) return default;
        var half = HiddenSize / 2;
        return new Exemptions(Math.Min(SavedColumns, half), SavedColumns == HiddenSize ? half : 0);
    }

    /// <summary>The exemptions of layer <paramref name="layer"/> at step <paramref name="t"/> with the saved previous
    /// values of its exempt columns (for reversal).</summary>
    private Exemptions ExemptionsAt(int layer, ReversalTape tape, int t)
    {
        var exempt = ExemptionsOf(layer);
        if (exempt.H1 == 0) return exempt;
        var half = HiddenSize / 2;
        var s = tape.Saved![t].to(ScalarType.Int64);
        return exempt with { RestoreH1 = s.narrow(1, 0, exempt.H1), RestoreH2 = exempt.H2 > 0 ? s.narrow(1, half, half) : null };
    }

    /// <summary>Rows still running at step <paramref name="t"/> (lengths &gt; t), or null (all rows) without
    /// lengths. The step's Scalar outlives the native call (see <see cref="Scalars"/>).</summary>
    internal static Tensor? ActiveAt(Tensor? lengths, int t)
    {
        if (lengths is null) return null;
        using var step = t.ToScalar();
        return lengths.gt(step);
    }

    private static Tensor Dropped(Tensor x, IReadOnlyList<Tensor?>? masks, int layer) =>
        LockedDropout.Apply(x, LockedDropout.ForLayer(masks, layer));

    /// <summary>One layer's reversed step with its kept gates, and, above the bottom, the layer's input x.</summary>
    private readonly record struct KeptStep(CellBackstep Step, Tensor? X);

    /// <summary>
    /// The state of one reversal walk: the current state (after the step being reversed) and the gradients of its
    /// parts, [layer][part]. It owns both across steps (moving them out of each step's dispose scope) and checks at
    /// the end that the buffer emptied exactly.
    /// </summary>
    private sealed class ReverseWalk : IDisposable
    {
        private readonly ReversibleRnn _rnn;
        private readonly ReversalTape _tape;
        private readonly Tensor[][] _grads;
        private readonly GateWeights[] _weights;
        private readonly GateGradients[]? _weightGrads;
        private readonly InputWindows _windows;
        private bool _finished;
        private RnnState _state;
        private RnnState? _stepStart;
        private Tensor[] _gradsAtStart;

        /// <summary>A walk back from <paramref name="tape"/>'s final state (gradients <paramref name="finalGradients"/>,
        /// or zeros) of <paramref name="rnn"/>, with the bottom layer's inputs from <paramref name="inputAt"/> and their
        /// gradients to <paramref name="inputGradient"/> (as in Backward). With <paramref name="gradients"/> the gate
        /// weights' gradients accumulate in the walk (written out, no graph) and <see cref="Finish"/> adds them into the
        /// parameters'; else it only rebuilds.</summary>
        public ReverseWalk(ReversibleRnn rnn, ReversalTape tape, IReadOnlyList<IReadOnlyList<Tensor>>? finalGradients,
            Func<int, Tensor> inputAt, Action<int, Tensor>? inputGradient, bool gradients)
        {
            if (!ReferenceEquals(tape.Rnn, rnn)) throw new ArgumentException("tape belongs to another stack");
            _rnn = rnn;
            _tape = tape;
            tape.Buffer.Unseal();
            _state = tape.TakeFinal();
            var half = rnn.HiddenSize / 2;
            _grads = new Tensor[rnn.Layers][];
            for (var l = 0; l < rnn.Layers; l++)
                _grads[l] = [.. Enumerable.Range(0, rnn.PartCount).Select(p => finalGradients is null
                    ? zeros(tape.Batch, half) : finalGradients[l][p].detach().clone())];
            _stepStart = _state;
            _gradsAtStart = [.. _grads.SelectMany(g => g)];
            using (no_grad()) _weights = rnn.Weights();
            _weightGrads = gradients ? [.. _weights.Select(w => new GateGradients(w))] : null;
            _windows = new InputWindows(_weights[0], inputAt, tape.InputWindow, tape.Steps,
                gradients ? InputWindowMode.Reversal : InputWindowMode.NoGraph, _weightGrads?[0], inputGradient);
        }

        public RnnState State => _state;

        /// <summary>Adds the gradient of the top layer's output float([h1; h2]) [B, H] into its h1 and h2 gradients.</summary>
        public void AddOutputGradient(Tensor outputGrad) => AddTo(_grads[_rnn.Layers - 1], outputGrad);

        /// <summary>Reverses step <paramref name="t"/> of every layer, each gate evaluated once, and backpropagates the
        /// current gradients through it.</summary>
        public void ReverseStep(int t) => BackpropagateKept(t, Rebuild(t));

        /// <summary>Reverses step <paramref name="t"/> of every layer, top first, each gate evaluated once, and returns
        /// the layers' kept gates for <see cref="BackpropagateKept"/>, to be called once the step's gradients are known
        /// (in a block: after the block's loss; a walk without gradients drops them). The walk's state becomes the one
        /// before the step.</summary>
        public KeptStep[] Rebuild(int t)
        {
            using var noGrad = no_grad();
            using var phase = PhaseProfiler.Measure(Phase.Rebuild);
            var active = ActiveAt(_tape.Lengths, t);
            var next = _state;
            var kept = new KeptStep[_rnn.Layers];
            for (var l = _rnn.Layers - 1; l >= 0; l--)
            {
                var x = l == 0 ? null : Dropped(next[l - 1].Output, _tape.LayerInputMasks, l);
                var input = x is null ? _windows.At(t) : Projected(x, _weights[l]);
                var step = _rnn.cells[l].Reverse(input, next[l], _tape.Buffer, active, _rnn.ExemptionsAt(l, _tape, t), t);
                kept[l] = new KeptStep(step, x);
                _state = _state.With(l, step.Previous);
            }
            return kept;
        }

        /// <summary>Backpropagates the current gradients through the kept gates of step <paramref name="t"/>, top layer
        /// first: each layer's input gradient joins the layer below's before that layer runs; the bottom layer's
        /// projection gradients go to its input window (which backpropagates into the weights and inputs after its first
        /// step).</summary>
        public void BackpropagateKept(int t, KeptStep[] kept)
        {
            using var noGrad = no_grad();
            using var phase = PhaseProfiler.Measure(Phase.Backward);
            for (var l = _rnn.Layers - 1; l >= 0; l--)
            {
                var (previous, projected) = kept[l].Step.Backward(_grads[l], _weightGrads![l]);
                _grads[l] = previous;
                if (l == 0) _windows.Gather(t, projected);
                else
                {
                    var dx = _weightGrads[l].AddProjection(kept[l].X!, projected, _weights[l]);
                    AddTo(_grads[l - 1], LockedDropout.Apply(dx, LockedDropout.ForLayer(_tape.LayerInputMasks, l)));
                }
            }
        }

        /// <summary>Ends one step of the per-step <c>Backward</c>: keeps the new state and gradients beyond the step's
        /// dispose scope and frees the old ones.</summary>
        public void EndStep()
        {
            _state.MoveToOuterDisposeScope();
            KeepGradients();
            _stepStart!.Dispose();
            _stepStart = _state;
        }

        /// <summary>Moves the current gradients out of the step's dispose scope and frees the previous ones.</summary>
        public void KeepGradients()
        {
            foreach (var g in _grads) foreach (var p in g) p.MoveToOuterDisposeScope();
            var kept = _grads.SelectMany(g => g).ToHashSet();
            foreach (var g in _gradsAtStart) if (!kept.Contains(g)) g.Dispose();
            _gradsAtStart = [.. kept];
        }

        /// <summary>Ends a block: the walk's state is the one before its first step (kept beyond the block's dispose
        /// scope); the block's other states are freed.</summary>
        public void EndBlock(RnnState[] states)
        {
            _state = states[0];
            _state.MoveToOuterDisposeScope();
            foreach (var s in states) if (!ReferenceEquals(s, _state)) s.Dispose();
            _stepStart = _state;
            KeepGradients();
        }

        /// <summary>Frees the initial state (or hands it to the tape, <see cref="ReversalTape.KeepRebuiltInitial"/>: its
        /// fixed-point parts only, no graph), checks the buffer is empty and returns dL/d(initial state).</summary>
        public Tensor[][] Finish()
        {
            if (_tape.KeepRebuiltInitial)
                _tape.SetRebuiltInitial(new RnnState([.. _state.Layers.Select(c => new CellState([.. c.Parts.Select(p => new Part(p.Int, null, _rnn.Format))]))]));
            else _state.Dispose();
            if (!_tape.Buffer.IsEmpty)
                throw new InvalidOperationException($"{_rnn.GetName()}: information buffer not empty after reversal (forward and reverse passes diverged)");
            _tape.Buffer.Dispose();
            if (_weightGrads is not null)
                for (var l = 0; l < _rnn.Layers; l++) _weightGrads[l].AddToParameters(_rnn.cells[l]);
            _finished = true;
            return _grads;
        }

        /// <summary>Frees the input windows still open and, if the walk did not finish, the weights' gradients.</summary>
        public void Dispose()
        {
            _windows.Dispose();
            if (!_finished && _weightGrads is not null) foreach (var g in _weightGrads) g.Dispose();
        }

        /// <summary>Adds the gradient of a layer output float([h1; h2]) [B, H] into the h1 and h2 part gradients.</summary>
        private static void AddTo(Tensor[] partGrads, Tensor outputGrad)
        {
            var half = outputGrad.shape[1] / 2;
            partGrads[0] = partGrads[0].add(outputGrad.narrow(1, 0, half), Scalars.UnitAlpha);
            partGrads[1] = partGrads[1].add(outputGrad.narrow(1, half, half), Scalars.UnitAlpha);
        }
    }
}

/// <summary>The state of every layer of a stack (index = layer).</summary>
public sealed class RnnState(IReadOnlyList<CellState> layers) : IDisposable
{
    /// <summary>The state of each layer, bottom first.</summary>
    public IReadOnlyList<CellState> Layers { get; } = layers;
    /// <summary>The state of layer <paramref name="layer"/>.</summary>
    public CellState this[int layer] => Layers[layer];
    /// <summary>The top layer's output float([h1; h2]) [batch, hidden].</summary>
    public Tensor TopOutput => Layers[^1].Output;

    /// <summary>A copy with layer <paramref name="layer"/>'s state replaced (the tensors are shared, not copied).</summary>
    public RnnState With(int layer, CellState cell)
    {
        var copy = Layers.ToArray();
        copy[layer] = cell;
        return new RnnState(copy);
    }

    /// <summary>Moves every part's integers to the enclosing dispose scope (to keep the state past the current one).</summary>
    public void MoveToOuterDisposeScope()
    {
        foreach (var c in Layers) foreach (var p in c.Parts) p.Int.MoveToOuterDisposeScope();
    }

    /// <summary>Frees every part's integers.</summary>
    public void Dispose()
    {
        foreach (var c in Layers) foreach (var p in c.Parts) p.Int.Dispose();
    }
}

/// <summary>A state kept compactly between the forward and the backward pass: every part [B, H/2] of every layer packed
/// by significant bits (<see cref="PackedInts"/>: each unit at the width of its range over the batch; the range check
/// guarantees every value fits int32), held on the host, owned by no dispose scope.</summary>
internal sealed class CompactState(PackedInts[][] parts)
{
    public static CompactState From(RnnState state) =>
        new([.. state.Layers.Select(c => c.Parts.Select(p => PackedInts.Pack(p.Int)).ToArray())]);

    /// <summary>Bits held: the packed bytes of every part.</summary>
    public long Bits => parts.Sum(l => l.Sum(p => p.Bits));

    /// <summary>The values at their units' widths, without the per-unit headers.</summary>
    public long FloorBits => parts.Sum(l => l.Sum(p => p.FloorBits));

    /// <summary>Values held (layers × parts × batch × H/2).</summary>
    public long Values => parts.Sum(l => l.Sum(p => p.Values));

    /// <summary>The state as int64 parts, new tensors in the caller's dispose scope.</summary>
    public RnnState Expand(FixedPointFormat format) =>
        new([.. parts.Select(l => new CellState([.. l.Select(p => new Part(p.Unpack(), null, format))]))]);
}

/// <summary>
/// What the forward pass of training by reversal keeps, each part as compactly as exactness allows: the final state
/// (<see cref="CompactState"/>, packed by significant bits), the sealed buffer, the saved top-layer columns of the real
/// steps (packed by significant bits; padded steps repeat their row's last real step and are restored from it), the
/// lengths at the narrowest integer type the steps need and the between-layer dropout masks at one bit per element
/// (<see cref="PackedMask"/>). What reversal reads is restored bit for bit on first use (<see cref="Saved"/>,
/// <see cref="LayerInputMasks"/>). The tape owns all of it (nothing in a dispose scope).
/// Memory accounting in the paper's convention: baseline = 32 bits per hidden value per step (h and c for LSTM) over the
/// padded batch, saved columns at 32 bits over [T+1, B, k] (<see cref="SavedBits"/>). The held parts as stored:
/// <see cref="FinalStateBits"/>, <see cref="BufferRegisterBits"/>, <see cref="BufferChunkBits"/>,
/// <see cref="BufferFlagBits"/>, <see cref="SavedBitsHeld"/>, <see cref="LengthsBits"/>, <see cref="LayerMaskBits"/>.
/// </summary>
public sealed class ReversalTape : IDisposable
{
    private CompactState? _final;
    private RnnState? _handedFinal;
    private readonly long _bufferBits;
    private readonly double _optimalBufferBits;
    private readonly PackedInts? _savedPacked;
    private readonly long[]? _savedShape;
    private Tensor? _saved;
    private readonly PackedMask?[]? _layerMasksPacked;
    private IReadOnlyList<Tensor?>? _layerMasks;
    private RnnState? _rebuiltInitial;

    /// <param name="rnn">The stack that ran the forward pass.</param>
    /// <param name="steps">Time steps run.</param>
    /// <param name="batch">Batch rows.</param>
    /// <param name="final">The final state, kept compactly (owned by the tape).</param>
    /// <param name="buffer">The sealed information buffer (owned by the tape).</param>
    /// <param name="saved">The saved columns [T+1, B, k] (int32), consumed (packed, then freed).</param>
    /// <param name="lengths">The rows' lengths (copied at the narrowest integer type).</param>
    /// <param name="layerInputMasks">The between-layer masks of the forward pass (copied as bits).</param>
    /// <param name="inputWindow">The forward pass's <see cref="ReversibleRnn.InputWindow"/>.</param>
    internal ReversalTape(ReversibleRnn rnn, int steps, int batch, CompactState final, InformationBuffer buffer,
        Tensor? saved, Tensor? lengths, IReadOnlyList<Tensor?>? layerInputMasks, int inputWindow)
    {
        Rnn = rnn;
        InputWindow = inputWindow;
        Steps = steps;
        Batch = batch;
        _final = final;
        FinalStateValues = final.Values;
        FinalStateFloorBits = final.FloorBits;
        BufferRegisterBits = buffer.PackedRegisterBits;
        BufferChunkBits = buffer.ChunkBitsHeld;
        BufferFlagBits = buffer.MultiplyFlagBits;
        Buffer = buffer;
        using (var scope = torch.NewDisposeScope())
        {
            Lengths = lengths?.to(IntegerStorage.Narrowest(steps)).DetachFromDisposeScope();
            RealSteps = lengths is null ? (long)steps * batch : lengths.sum().item<long>();
            if (saved is not null)
            {
                _savedShape = saved.shape;
                SavedBits = 32L * saved.numel();
                _savedPacked = PackedInts.Pack(RealRows(saved));
                saved.Dispose();
            }
        }
        _layerMasksPacked = layerInputMasks?.Select(PackedMask.Pack).ToArray();
        _bufferBits = buffer.ActualBits;
        _optimalBufferBits = buffer.OptimalBits;
        ReferenceSchemeBits = buffer.ReferenceSchemeBits is long r ? r + SavedBits : null;
    }

    /// <summary>The stack that wrote this tape.</summary>
    public ReversibleRnn Rnn { get; }
    /// <summary>Steps per input-projection window of the forward pass (the reversal projects in the same windows).</summary>
    public int InputWindow { get; }
    /// <summary>Time steps of the forward pass.</summary>
    public int Steps { get; }
    /// <summary>Batch rows.</summary>
    public int Batch { get; }
    /// <summary>The sealed information buffer: the bits forgetting destroyed (its accounting:
    /// <see cref="InformationBuffer.ActualBits"/>, <see cref="InformationBuffer.OptimalBits"/>).</summary>
    public InformationBuffer Buffer { get; }
    /// <summary>The rows' lengths (the narrowest integer type for the steps), or null (every row runs every step).</summary>
    public Tensor? Lengths { get; }

    /// <summary>The saved columns [T+1, B, k] (int32), restored from the packed real steps on first use (then owned
    /// here until disposal); null without saved columns.</summary>
    public Tensor? Saved => _savedPacked is null ? null : _saved ??= RestoreSaved();

    /// <summary>The between-layer dropout masks (float32, bit-identical to those of the forward pass), restored on first
    /// use (then owned here).</summary>
    public IReadOnlyList<Tensor?>? LayerInputMasks =>
        _layerMasksPacked is null ? null : _layerMasks ??= [.. _layerMasksPacked.Select(m => m?.Expand().DetachFromDisposeScope())];

    /// <summary>The final state as int64 parts (new tensors in the caller's dispose scope; readable until the
    /// reversal takes it or it is dropped).</summary>
    public RnnState Final => (_final ?? throw new InvalidOperationException("final state already taken or dropped")).Expand(Rnn.Format);

    /// <summary>Bits of the final state held now: its packed bytes (<see cref="CompactState"/>), 0 once taken or dropped.</summary>
    public long FinalStateBits => _final?.Bits ?? 0;
    /// <summary>Values in the final state (layers × parts × batch × H/2).</summary>
    public long FinalStateValues { get; }
    /// <summary>The final state's values at their units' widths, without headers (the floor of its packing).</summary>
    public long FinalStateFloorBits { get; }
    /// <summary>The buffer's packed final registers and chunk counts (<see cref="InformationBuffer.PackedRegisterBits"/>).</summary>
    public long BufferRegisterBits { get; }
    /// <summary>The buffer's spilled 32-bit chunks (<see cref="InformationBuffer.ChunkBitsHeld"/>).</summary>
    public long BufferChunkBits { get; }
    /// <summary>One bit per buffered multiply (<see cref="InformationBuffer.MultiplyFlagBits"/>).</summary>
    public long BufferFlagBits { get; }
    /// <summary>The lengths [B] as held, at their element size; 0 without lengths.</summary>
    public long LengthsBits => Lengths is null ? 0 : Lengths.numel() * Lengths.element_size() * 8;
    /// <summary>Steps actually run (Σ lengths, or steps × batch without lengths): the unpadded step count.</summary>
    public long RealSteps { get; }
    /// <summary>The between-layer dropout masks as held (bits, see <see cref="PackedMask.Bits"/>).</summary>
    public long LayerMaskBits => _layerMasksPacked?.Sum(m => m?.Bits ?? 0) ?? 0;
    /// <summary>The between-layer dropout masks' elements (their floor at one bit each).</summary>
    public long LayerMaskElements => _layerMasksPacked?.Sum(m => m is null ? 0 : m.Rows * m.Dim) ?? 0;

    /// <summary>Whether the reversal keeps the initial state it rebuilds (<see cref="TakeRebuiltInitial"/>): the decoder's
    /// initial state is the encoder's final state, which the encoder's tape then need not hold.</summary>
    public bool KeepRebuiltInitial { get; set; }

    /// <summary>The initial state the reversal rebuilt (with <see cref="KeepRebuiltInitial"/>), int64 parts; the caller
    /// owns it.</summary>
    public RnnState TakeRebuiltInitial()
    {
        var s = _rebuiltInitial ?? throw new InvalidOperationException("no rebuilt initial state: set KeepRebuiltInitial and reverse first");
        _rebuiltInitial = null;
        return s;
    }

    internal void SetRebuiltInitial(RnnState state) => _rebuiltInitial = state;

    /// <summary>Stops holding the final state: the reversal will be handed it (<see cref="HandFinal"/>), rebuilt elsewhere.</summary>
    public void DropFinal() => _final = null;

    /// <summary>Hands the reversal its starting state (exactly the final state of the forward pass, e.g. rebuilt by the
    /// decoder's reversal); the tape takes ownership.</summary>
    public void HandFinal(RnnState state)
    {
        if (_final is not null) throw new InvalidOperationException("the tape still holds its final state");
        _handedFinal = state;
    }

    internal RnnState TakeFinal()
    {
        if (_handedFinal is { } handed)
        {
            _handedFinal = null;
            return handed;
        }
        var f = Final;
        _final = null;
        return f;
    }

    /// <summary>What backpropagation would keep: 32 bits per hidden value per step over the padded batch (h and c for
    /// LSTM), every layer.</summary>
    public long BaselineBits => 32L * Steps * Batch * Rnn.HiddenSize * Rnn.Layers * (Rnn.Kind == ReversibleCellKind.RevLSTM ? 2 : 1);
    /// <summary>The baseline over the steps actually run: 32 bits per hidden value (h and c for LSTM) of every layer at
    /// every unpadded step — the hidden states ordinary backprop of a packed sequence keeps.</summary>
    public long BaselineBitsUnpadded => 32L * RealSteps * Rnn.HiddenSize * Rnn.Layers * (Rnn.Kind == ReversibleCellKind.RevLSTM ? 2 : 1);
    /// <summary>The saved columns in the paper's convention: 32 bits over [T+1, B, k].</summary>
    public long SavedBits { get; }
    /// <summary>The saved columns as held: the packed real steps (<see cref="PackedInts.Bits"/>).</summary>
    public long SavedBitsHeld => _savedPacked?.Bits ?? 0;
    /// <summary>The saved columns' real steps at their units' widths, without headers (the floor of their packing).</summary>
    public long SavedFloorBits => _savedPacked?.FloorBits ?? 0;
    /// <summary>The paper's actual: the sealed buffer plus the saved columns at 32 bits (snapshot at seal time).</summary>
    public long ActualBits => _bufferBits + SavedBits;
    /// <summary>The information-theoretic minimum: the buffer's Σ −log2 z (snapshot at seal time) plus the saved columns.</summary>
    public double OptimalBits => _optimalBufferBits + SavedBits;
    /// <summary>The reference code's whole-batch 64-bit scheme on the same run (when tracked), plus saved columns.</summary>
    public long? ReferenceSchemeBits { get; }

    /// <summary>Rows whose step is real (t ≤ length: the initial state and every step run), as [N, k], in (t, b) order.</summary>
    private Tensor RealRows(Tensor saved)
    {
        var k = saved.shape[2];
        var flat = saved.view(-1, k);
        return Lengths is null ? flat : flat.index_select(0, RealRowIndex().nonzero().view(-1));
    }

    /// <summary>[T+1, B] flattened: whether step t of row b is real (t ≤ length).</summary>
    private Tensor RealRowIndex()
    {
        using var stop = (Steps + 1L).ToScalar();
        var t = arange(Scalars.Int64(0), stop, Scalars.Int64(1)).unsqueeze(1);
        return t.le(Lengths!.to(ScalarType.Int64).unsqueeze(0)).view(-1);
    }

    /// <summary>The saved columns [T+1, B, k] from the packed real rows: padded steps repeat their row's last real step
    /// (the forward pass froze those rows, so it saved exactly that).</summary>
    private Tensor RestoreSaved()
    {
        using var scope = torch.NewDisposeScope();
        var shape = _savedShape!;
        var real = _savedPacked!.Unpack().to(ScalarType.Int32);
        Tensor full;
        if (Lengths is null) full = real.view(shape);
        else
        {
            var flat = zeros(shape[0] * shape[1], shape[2], ScalarType.Int32);
            flat.index_copy_(0, RealRowIndex().nonzero().view(-1), real);
            using var stop = (Steps + 1L).ToScalar();
            var t = arange(Scalars.Int64(0), stop, Scalars.Int64(1)).unsqueeze(1);
            var source = minimum(t, Lengths.to(ScalarType.Int64).unsqueeze(0));        // [T+1, B]: the step each row repeats
            full = flat.view(shape).gather(0, source.unsqueeze(2).expand(shape));
        }
        return full.contiguous().DetachFromDisposeScope();
    }

    /// <summary>Frees the final state, the buffer and the saved columns.</summary>
    public void Dispose()
    {
        _final = null;
        _handedFinal?.Dispose();
        _handedFinal = null;
        _rebuiltInitial?.Dispose();
        _rebuiltInitial = null;
        Buffer.Dispose();
        _saved?.Dispose();
        Lengths?.Dispose();
        if (_layerMasks is not null) foreach (var m in _layerMasks) m?.Dispose();
        if (_layerMasksPacked is not null) foreach (var m in _layerMasksPacked) m?.Dispose();
    }
}
