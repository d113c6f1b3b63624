using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

public enum ReversibleCellKind { RevGRU, RevLSTM }

/// <summary>
/// A stack of reversible cells run over a sequence, trained by reversal.
///
/// <see cref="Forward"/> keeps no per-step hidden states: only the final state, the sealed
/// <see cref="InformationBuffer"/> (one per stack, H/2 columns shared by every layer and half, used in a
/// fixed order) and, when <see cref="SavedColumns"/> &gt; 0, the top layer's saved columns at every step
/// (h1[:, :k] for k ≤ H/2, the whole top state for k = H) — the attention slice, exempt from the buffer.
/// <see cref="Backward"/> walks back from the last step: it rebuilds each layer's previous state exactly
/// (bit for bit), re-runs that single step with autograd (straight-through fixed point) and
/// backpropagates, so at most one step's activations are alive at a time. Rows past their length
/// (<c>lengths</c>) are frozen: no bits are consumed and gradients pass through unchanged.
/// </summary>
public sealed class ReversibleRnn : nn.Module
{
    private readonly ModuleList<ReversibleCell> cells;

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
            cells.Add(kind == ReversibleCellKind.RevGRU
                ? new RevGRUCell(inSize, hiddenSize, limit, Format)
                : new RevLSTMCell(inSize, hiddenSize, limit, Format));
        }
        RegisterComponents();
    }

    public ReversibleCellKind Kind { get; }
    public FixedPointFormat Format { get; }
    public int HiddenSize { get; }
    public int Layers => cells.Count;
    public int SavedColumns { get; }
    public int PartCount => cells[0].PartCount;

    /// <summary>The implementation of the forgetting sites in the buffers this stack creates (default: fused kernels).</summary>
    public ForgettingImplementation Forgetting { get; set; } = ForgettingImplementation.Fused;

    /// <summary>All-zero fixed-point state for <paramref name="batch"/> rows.</summary>
    public RnnState ZeroState(int batch) => new([.. cells.Select(c => new CellState(
        [.. Enumerable.Range(0, c.PartCount).Select(_ => new Part(zeros(batch, HiddenSize / 2, ScalarType.Int64), null, Format))]))]);

    /// <summary>One step of every layer (no gradients). With a null buffer this is plain inference
    /// (translation): the same cells, the forgotten low bits are dropped instead of stored.</summary>
    public RnnState Step(Tensor input, RnnState state, Tensor? active = null, int step = 0,
        InformationBuffer? buffer = null, IReadOnlyList<Tensor?>? layerInputMasks = null)
    {
        using var _ = no_grad();
        var next = new CellState[Layers];
        for (var l = 0; l < Layers; l++)
        {
            var x = l == 0 ? input : Dropped(next[l - 1].Output, layerInputMasks, l);
            next[l] = cells[l].Step(x, state[l], Context(l, step, buffer, active));
        }
        return new RnnState(next);
    }

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
    /// <paramref name="inputAt"/>(t) gives the input of step t; it is called again during
    /// <see cref="Backward"/> and must return the same values (recompute embeddings from token ids).
    /// </summary>
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
        for (var t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            var next = Step(inputAt(t), state, ActiveAt(lengths, t), t, buffer, layerInputMasks);
            saved?[t + 1].copy_(SavedOf(next));
            onState?.Invoke(t + 1, next);
            next.MoveToOuterDisposeScope();
            if (!ReferenceEquals(state, initial)) state.Dispose();
            state = next;
        }
        buffer.Seal();
        return new ReversalTape(this, steps, batch, state, buffer, saved, lengths, layerInputMasks);
    }

    /// <summary>
    /// Training by reversal. For t = T−1 … 0: <paramref name="stepLoss"/>(t, output) may return a scalar
    /// loss on the top layer's output after step t (a leaf with requires_grad); its gradient and the
    /// gradient flowing back from step t+1 are backpropagated through a recomputation of step t from the
    /// exactly reconstructed previous state. Parameter gradients accumulate in .grad as usual; gradients
    /// reach <paramref name="inputAt"/>'s graph (e.g. embeddings). Returns dL/d(initial state) as float
    /// tensors [layer][part]. With <paramref name="computeGradients"/> false it only reconstructs (for checks).
    /// </summary>
    public Tensor[][] Backward(ReversalTape tape, Func<int, Tensor> inputAt, Func<int, Tensor, Tensor?>? stepLoss = null,
        IReadOnlyList<IReadOnlyList<Tensor>>? finalGradients = null, bool computeGradients = true,
        Action<int, RnnState>? onReconstructed = null)
    {
        if (!ReferenceEquals(tape.Rnn, this)) throw new ArgumentException("tape belongs to another stack");
        tape.Buffer.Unseal();
        var half = HiddenSize / 2;
        var state = tape.TakeFinal();
        var grads = new Tensor[Layers][];
        for (var l = 0; l < Layers; l++)
            grads[l] = [.. Enumerable.Range(0, PartCount).Select(p => finalGradients is null
                ? zeros(tape.Batch, half) : finalGradients[l][p].detach().clone())];

        for (var t = tape.Steps - 1; t >= 0; t--)
        {
            var oldState = state;
            var oldGrads = grads.SelectMany(g => g).ToArray();
            using var scope = NewDisposeScope();
            var active = ActiveAt(tape.Lengths, t);
            var top = Layers - 1;
            if (computeGradients && stepLoss is not null)
            {
                var output = state[top].Output.detach().requires_grad_(true);
                var loss = stepLoss(t, output);
                if (loss is not null)
                {
                    using (PhaseProfiler.Measure(Phase.Backward)) loss.backward();
                    using var g = output.grad!;
                    AddOutputGradient(grads[top], g);
                }
            }

            for (var l = top; l >= 0; l--)
            {
                Tensor? xLeaf = null;
                Tensor x;
                if (l == 0) x = inputAt(t);
                else
                {
                    xLeaf = state[l - 1].Output.detach().requires_grad_(computeGradients);
                    x = Dropped(xLeaf, tape.LayerInputMasks, l);
                }
                var ctx = Context(l, t, tape.Buffer, active);
                if (l == top && SavedColumns > 0)
                {
                    var s = tape.Saved![t].to(ScalarType.Int64);
                    ctx = ctx with
                    {
                        RestoreH1 = s.narrow(1, 0, ctx.ExemptH1),
                        RestoreH2 = ctx.ExemptH2 > 0 ? s.narrow(1, half, half) : null,
                    };
                }
                CellState prev;
                using (no_grad()) using (PhaseProfiler.Measure(Phase.Rebuild)) prev = cells[l].Reverse(x.detach(), state[l], ctx);
                if (computeGradients)
                {
                    var replayPhase = PhaseProfiler.Measure(Phase.Replay);
                    var leaves = prev.Parts.Select(p => Format.ToFloat(p.Int).requires_grad_(true)).ToArray();
                    var replay = cells[l].Step(x, new CellState([.. prev.Parts.Select((p, i) => new Part(p.Int, leaves[i], Format))]),
                        ctx with { Buffer = null, TrackGradients = true, KnownNext = state[l].Ints });
                    replayPhase.Dispose();
                    using (PhaseProfiler.Measure(Phase.Backward)) torch.autograd.backward([.. replay.Parts.Select(p => p.Float)], grads[l]);
                    grads[l] = [.. leaves.Select(v => v.grad!)];
                    if (xLeaf is not null) AddOutputGradient(grads[l - 1], xLeaf.grad!);
                }
                state = state.With(l, prev);
            }
            onReconstructed?.Invoke(t, state);
            state.MoveToOuterDisposeScope();
            foreach (var g in grads) foreach (var p in g) p.MoveToOuterDisposeScope();
            oldState.Dispose();
            var kept = grads.SelectMany(g => g).ToHashSet();
            foreach (var g in oldGrads) if (!kept.Contains(g)) g.Dispose();
        }
        state.Dispose();
        if (!tape.Buffer.IsEmpty)
            throw new InvalidOperationException($"{GetName()}: information buffer not empty after reversal (forward and reverse passes diverged)");
        tape.Buffer.Dispose();
        return grads;
    }

    /// <summary>Ordinary autograd through the same fixed-point forward (straight-through rounding), keeping
    /// every step's graph: the reference the reversal gradients must match, and the "backprop" mode.</summary>
    public (List<Tensor> Outputs, RnnState Final) ForwardWithGraph(Func<int, Tensor> inputAt, int steps,
        Tensor? lengths, RnnState initial, IReadOnlyList<Tensor?>? layerInputMasks = null)
    {
        var batch = (int)initial[0][0].Int.shape[0];
        using var buffer = new InformationBuffer(batch, HiddenSize / 2, Format) { Implementation = Forgetting };
        var state = new RnnState([.. initial.Layers.Select(c => new CellState([.. c.Parts.Select(p => new Part(p.Int, p.Float, Format))]))]);
        var outputs = new List<Tensor>();
        for (var t = 0; t < steps; t++)
        {
            var active = ActiveAt(lengths, t);
            var next = new CellState[Layers];
            for (var l = 0; l < Layers; l++)
            {
                var x = l == 0 ? inputAt(t) : Dropped(next[l - 1].Output, layerInputMasks, l);
                next[l] = cells[l].Step(x, state[l], Context(l, t, buffer, active) with { TrackGradients = true });
            }
            state = new RnnState(next);
            outputs.Add(state[Layers - 1].Output);
        }
        return (outputs, state);
    }

    private StepContext Context(int layer, int step, InformationBuffer? buffer, Tensor? active)
    {
        var top = layer == Layers - 1;
        var half = HiddenSize / 2;
        return new StepContext(buffer, active, step, $"{GetName()}.layer{layer}",
            ExemptH1: top ? Math.Min(SavedColumns, half) : 0,
            ExemptH2: top && SavedColumns == HiddenSize ? half : 0);
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

    /// <summary>Adds the gradient of a layer output float([h1; h2]) [B, H] into the h1 and h2 part gradients.</summary>
    private static void AddOutputGradient(Tensor[] partGrads, Tensor outputGrad)
    {
        var half = outputGrad.shape[1] / 2;
        partGrads[0] = partGrads[0].add(outputGrad.narrow(1, 0, half), Scalars.UnitAlpha);
        partGrads[1] = partGrads[1].add(outputGrad.narrow(1, half, half), Scalars.UnitAlpha);
    }
}

/// <summary>The state of every layer of a stack (index = layer).</summary>
public sealed class RnnState(IReadOnlyList<CellState> layers) : IDisposable
{
    public IReadOnlyList<CellState> Layers { get; } = layers;
    public CellState this[int layer] => Layers[layer];
    public Tensor TopOutput => Layers[^1].Output;

    public RnnState With(int layer, CellState cell)
    {
        var copy = Layers.ToArray();
        copy[layer] = cell;
        return new RnnState(copy);
    }

    public void MoveToOuterDisposeScope()
    {
        foreach (var c in Layers) foreach (var p in c.Parts) p.Int.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var c in Layers) foreach (var p in c.Parts) p.Int.Dispose();
    }
}

/// <summary>
/// What the forward pass of training by reversal keeps: the final state, the sealed buffer, the saved
/// top-layer columns [T+1, B, k] (int32), lengths and dropout masks. Memory accounting follows the paper:
/// baseline = 32 bits per hidden value per step (h and c for LSTM) over the padded batch. The held parts are also
/// given one by one, as stored (snapshots taken when the tape is made, i.e. between forward and reverse):
/// <see cref="FinalStateBits"/>, <see cref="BufferRegisterBits"/>, <see cref="BufferChunkBits"/>,
/// <see cref="BufferFlagBits"/>, <see cref="SavedBits"/>, <see cref="LengthsBits"/>, <see cref="LayerMaskBits"/>.
/// </summary>
public sealed class ReversalTape(ReversibleRnn rnn, int steps, int batch, RnnState final, InformationBuffer buffer,
    Tensor? saved, Tensor? lengths, IReadOnlyList<Tensor?>? layerInputMasks) : IDisposable
{
    private RnnState? _final = final;
    private readonly long _bufferBits = buffer.ActualBits;
    private readonly double _optimalBufferBits = buffer.OptimalBits;

    /// <summary>Bits of the final state as held: every part of every layer at its storage width (int64 today).</summary>
    public long FinalStateBits { get; } = final.Layers.Sum(c => c.Parts.Sum(p => p.Int.numel() * p.Int.element_size() * 8));
    /// <summary>Values in the final state (layers × parts × batch × H/2): what <see cref="FinalStateBits"/> counts.</summary>
    public long FinalStateValues { get; } = final.Layers.Sum(c => c.Parts.Sum(p => p.Int.numel()));
    /// <summary>The buffer's packed final registers and chunk counts (<see cref="InformationBuffer.PackedRegisterBits"/>).</summary>
    public long BufferRegisterBits { get; } = buffer.PackedRegisterBits;
    /// <summary>The buffer's spilled 32-bit chunks (<see cref="InformationBuffer.ChunkBitsHeld"/>).</summary>
    public long BufferChunkBits { get; } = buffer.ChunkBitsHeld;
    /// <summary>One bit per buffered multiply (<see cref="InformationBuffer.MultiplyFlagBits"/>).</summary>
    public long BufferFlagBits { get; } = buffer.MultiplyFlagBits;
    /// <summary>The lengths [B] as held (int64 today); 0 without lengths.</summary>
    public long LengthsBits { get; } = lengths is null ? 0 : lengths.numel() * lengths.element_size() * 8;
    /// <summary>Steps actually run (Σ lengths, or steps × batch without lengths): the unpadded step count.</summary>
    public long RealSteps { get; } = lengths is null ? (long)steps * batch : lengths.sum().item<long>();
    /// <summary>The between-layer dropout masks as held (float32 [B, H] each).</summary>
    public long LayerMaskBits { get; } = layerInputMasks?.Sum(m => m is null ? 0 : m.numel() * m.element_size() * 8) ?? 0;
    public ReversibleRnn Rnn { get; } = rnn;
    public int Steps { get; } = steps;
    public int Batch { get; } = batch;
    public InformationBuffer Buffer { get; } = buffer;
    public Tensor? Saved { get; } = saved;
    public Tensor? Lengths { get; } = lengths;
    public IReadOnlyList<Tensor?>? LayerInputMasks { get; } = layerInputMasks;

    /// <summary>The final state (the tape's copy; readable until <see cref="TakeFinal"/>).</summary>
    public RnnState Final => _final ?? throw new InvalidOperationException("final state already taken");

    internal RnnState TakeFinal()
    {
        var f = Final;
        _final = null;
        return f;
    }

    public long BaselineBits => 32L * Steps * Batch * Rnn.HiddenSize * Rnn.Layers * (Rnn.Kind == ReversibleCellKind.RevLSTM ? 2 : 1);
    /// <summary>The baseline over the steps actually run: 32 bits per hidden value (h and c for LSTM) of every layer at
    /// every unpadded step — the hidden states ordinary backprop of a packed sequence keeps.</summary>
    public long BaselineBitsUnpadded => 32L * RealSteps * Rnn.HiddenSize * Rnn.Layers * (Rnn.Kind == ReversibleCellKind.RevLSTM ? 2 : 1);
    public long SavedBits => Saved is null ? 0 : 32L * Saved.numel();
    /// <summary>What the forward pass holds: the sealed buffer plus the saved columns (snapshot at seal time).</summary>
    public long ActualBits => _bufferBits + SavedBits;
    public double OptimalBits => _optimalBufferBits + SavedBits;
    /// <summary>The reference code's whole-batch 64-bit scheme on the same run (when tracked), plus saved columns.</summary>
    public long? ReferenceSchemeBits { get; } = buffer.ReferenceSchemeBits is long r ? r + (saved is null ? 0 : 32L * saved.numel()) : null;

    public void Dispose()
    {
        _final?.Dispose();
        Buffer.Dispose();
        Saved?.Dispose();
    }
}
