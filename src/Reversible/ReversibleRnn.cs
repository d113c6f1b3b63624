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

/// <summary>
/// A stack of reversible cells run over a sequence, trained by reversal.
///
/// <see cref="Forward"/> keeps no per-step hidden states: only the final state, the sealed
/// <see cref="InformationBuffer"/> (one per stack, H/2 columns shared by every layer and half, used in a
/// fixed order) and, when <see cref="SavedColumns"/> &gt; 0, the top layer's saved columns at every step
/// (h1[:, :k] for k ≤ H/2, the whole top state for k = H) — the attention slice, exempt from the buffer.
/// <see cref="Backward(ReversalTape, Func{int, Tensor}, Func{int, Tensor, Tensor}, IReadOnlyList{IReadOnlyList{Tensor}}, bool, Action{int, RnnState}, Action{int, Tensor}, RnnState, bool)"/> walks back from the last step: it rebuilds each layer's previous state exactly
/// (bit for bit), evaluating each gate once and keeping its values, and backpropagates through that step (written out,
/// no autograd graph), so at most one step's activations (and one window of input projections) are alive at a time. Rows past their length (<c>lengths</c>) are frozen: no bits are
/// consumed and gradients pass through unchanged.
/// </summary>
public sealed partial class ReversibleRnn : nn.Module
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
    /// <see cref="Backward(ReversalTape, Func{int, Tensor}, Func{int, Tensor, Tensor}, IReadOnlyList{IReadOnlyList{Tensor}}, bool, Action{int, RnnState}, Action{int, Tensor}, RnnState, bool)"/> and must return the same values (recompute embeddings from token ids).
    /// Rows past their <paramref name="lengths"/> (int64 [batch]; null: all rows run every step) keep their state.
    /// <paramref name="layerInputMasks"/>: locked dropout masks on the input of layer l ≥ 1 (index = layer, each
    /// [batch, hidden], reused at every step and by the reversal; see <see cref="LockedDropout"/>).
    /// <paramref name="trackReferenceScheme"/> also counts the reference code's 64-bit scheme
    /// (<see cref="TapeBits.ReferenceSchemeBits"/>); <paramref name="onState"/>(t, state) sees the state before step t
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
        if (saved is not null)
            using (var first = saved[0]) first.copy_(SavedOf(initial));   // the view would keep the storage alive until finalized
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
    /// embeddings). Returns dL/d(initial state) as float tensors [layer][part] and, with <paramref name="keepInitial"/>,
    /// the rebuilt initial state (<see cref="ReversalResult"/>). With
    /// <paramref name="computeGradients"/> false it only reconstructs (for checks). The walk starts from the final state
    /// the tape holds or, once it was taken (<see cref="ReversalTape.TakeFinal"/>), from <paramref name="start"/>
    /// (exactly that state, e.g. rebuilt by a decoder's reversal; the reversal takes ownership).
    /// <paramref name="finalGradients"/> is dL/d(final state) [layer][part] when the final state feeds something else
    /// (e.g. a decoder); <paramref name="onReconstructed"/>(t, state) sees each rebuilt state before step t. To give the
    /// gradient g_t of the loss with respect to the output instead of a loss, return <c>output.mul(g_t).sum()</c>.
    /// The tape is consumed (its buffer empties); dispose it afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer did not empty exactly (forward and reverse diverged).</exception>
    public ReversalResult Backward(ReversalTape tape, Func<int, Tensor> inputAt, Func<int, Tensor, Tensor?>? stepLoss = null,
        IReadOnlyList<IReadOnlyList<Tensor>>? finalGradients = null, bool computeGradients = true,
        Action<int, RnnState>? onReconstructed = null, Action<int, Tensor>? inputGradient = null,
        RnnState? start = null, bool keepInitial = false)
    {
        using var walk = new ReverseWalk(this, tape, start, finalGradients, inputAt, inputGradient, computeGradients);
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
        return walk.Finish(keepInitial);
    }

    /// <summary>
    /// Training by reversal in blocks of <paramref name="block"/> steps: for each block, last first, the states are
    /// rebuilt, each gate evaluated once (K + 1 states and K steps' gates kept), <paramref name="loss"/> is evaluated
    /// once on the block's top outputs [K, B, H] (one batched attention, generator and loss instead of K) and
    /// backpropagated, then the K steps are backpropagated last to first. Same gradients as the per-step
    /// <see cref="Backward(ReversalTape, Func{int, Tensor}, Func{int, Tensor, Tensor}, IReadOnlyList{IReadOnlyList{Tensor}}, bool, Action{int, RnnState}, Action{int, Tensor}, RnnState, bool)"/>; with <paramref name="block"/> = 1 it is that method (each gate evaluated once).
    /// <paramref name="finalGradients"/>, <paramref name="inputGradient"/>, <paramref name="onReconstructed"/>,
    /// <paramref name="start"/> and <paramref name="keepInitial"/> as there.
    /// </summary>
    public ReversalResult Backward(ReversalTape tape, Func<int, Tensor> inputAt, int block, BlockLoss loss,
        IReadOnlyList<IReadOnlyList<Tensor>>? finalGradients = null, Action<int, Tensor>? inputGradient = null,
        Action<int, RnnState>? onReconstructed = null, RnnState? start = null, bool keepInitial = false)
    {
        if (block < 1) throw new ArgumentOutOfRangeException(nameof(block), block, "a reversal block needs at least one step");
        if (block == 1)
            return Backward(tape, inputAt, (t, output) => loss(t, output.unsqueeze(0)), finalGradients,
                onReconstructed: onReconstructed, inputGradient: inputGradient, start: start, keepInitial: keepInitial);

        using var walk = new ReverseWalk(this, tape, start, finalGradients, inputAt, inputGradient, gradients: true);
        for (var end = tape.Steps; end > 0;)
        {
            var first = (end - 1) / block * block;
            using var scope = NewDisposeScope();
            // 1. Rebuild the block's states, each gate evaluated once, keeping the steps' gates:
            //    states[i] is the state before step first + i.
            var states = new RnnState[end - first + 1];
            var kept = new KeptStep[end - first][];
            states[^1] = walk.State;
            for (var t = end - 1; t >= first; t--)
            {
                kept[t - first] = walk.Rebuild(t);
                onReconstructed?.Invoke(t, walk.State);
                states[t - first] = walk.State;
            }
            // 2. The block's loss on its top outputs (the outputs of steps first … end − 1), backpropagated once.
            Tensor? outputGrads = null;
            var outputs = stack(states.Skip(1).Select(s => s[Layers - 1].Output)).requires_grad_(true);
            var blockLoss = loss(first, outputs);
            if (blockLoss is not null)
            {
                using (PhaseProfiler.Measure(Phase.Backward)) blockLoss.backward();
                outputGrads = outputs.grad;
            }
            // 3. Backpropagate through the kept steps, last to first.
            for (var t = end - 1; t >= first; t--)
            {
                using var stepScope = NewDisposeScope();
                if (outputGrads is not null) walk.AddOutputGradient(outputGrads[t - first]);
                walk.BackpropagateKept(t, kept[t - first]);
                walk.KeepGradients();
            }
            walk.EndBlock(states);
            end = first;
        }
        return walk.Finish(keepInitial);
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
}
