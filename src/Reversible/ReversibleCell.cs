// ReversibleCell: the base of the reversible cells (RevGRU, RevLSTM) and their explicit operations.
// Guarantees:
//  * Infer, Forward, ForwardWithGraph give the same next-state integers for the same input and state (Infer without a
//    buffer drops the low bits the others store, so it agrees with them only on columns no multiply touched);
//  * Reverse and ReverseWithGraph pop the buffer in exactly the reverse order of Forward and rebuild the previous
//    state bit for bit (ReverseWithGraph also builds the step's graph, each gate evaluated once);
//  * a CellBackstep's Backward gives the gradients ordinary autograd gives through ForwardWithGraph's straight-through
//    graph (rounding is the identity, d part'/d part = z*/2^s, d part'/dz = part; MacKay et al. 2018 §2.1), with each
//    gate evaluated once per reverse step: the gates are computed with graph from leaves of the reconstructed halves
//    (half 2 from h1^t, half 1 from the rebuilt h2^{t-1}: the same values the forward pass used), and the
//    site gradients are computed directly (ForgettingKernels.Gradient) instead of through a graph per site;
//  * the fused kernels and the tensor-op reference (Forgetting) give bit-identical states, buffers and site gradients.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// Base of the reversible cells. A cell's state is a list of fixed-point parts (int64 tensors [batch, hidden/2]); its
/// output is float([h1; h2]). Every part is updated by one forgetting site, <c>part ← z ⊙ part + update</c>, computed
/// exactly in fixed point through the <see cref="InformationBuffer"/> so that the previous state can be rebuilt.
/// </summary>
internal abstract class ReversibleCell : nn.Module
{
    /// <summary>Checks that <paramref name="hiddenSize"/> is a positive even number.</summary>
    protected ReversibleCell(string name, int inputSize, int hiddenSize, ForgetLimit limit, FixedPointFormat format)
        : base(name)
    {
        if (hiddenSize <= 0 || hiddenSize % 2 != 0)
            throw new ArgumentException($"reversible hidden size must be a positive even number, got {hiddenSize}");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Half = hiddenSize / 2;
        Limit = limit;
        Format = format;
        Label = name;
    }

    /// <summary>Size of the input vector x.</summary>
    public int InputSize { get; }
    /// <summary>Size of the output h = [h1; h2].</summary>
    public int HiddenSize { get; }
    /// <summary>HiddenSize / 2: the size of each state part.</summary>
    public int Half { get; }
    /// <summary>The bound on the keep gates.</summary>
    public ForgetLimit Limit { get; }
    /// <summary>The fixed-point format of the state.</summary>
    public FixedPointFormat Format { get; }

    /// <summary>The name range errors give (the stack sets "stack.layerN").</summary>
    public string Label { get; set; }

    /// <summary>Fused kernels or tensor-op reference for the sites without a buffer (<see cref="Infer"/>) and for
    /// the site gradients (buffered sites follow their buffer's <see cref="InformationBuffer.Implementation"/>).</summary>
    public ForgettingImplementation Forgetting { get; set; } = ForgettingImplementation.Fused;

    /// <summary>Number of state parts: 2 for RevGRU (h1, h2), 4 for RevLSTM (h1, h2, c1, c2).</summary>
    public abstract int PartCount { get; }

    /// <summary>Inference (translation): one step without a buffer and without gradients; the low bits each
    /// multiply shifts out are dropped. Rows where <paramref name="active"/> is false keep their state.</summary>
    public CellState Infer(Tensor input, CellState state, Tensor? active = null, int step = 0)
    {
        using var _ = no_grad();
        return Run(input, state, new LossySites(this, active, step));
    }

    /// <summary>One exact step through <paramref name="buffer"/>, without gradients (training by reversal's forward).</summary>
    public CellState Forward(Tensor input, CellState state, InformationBuffer buffer, Tensor? active = null,
        Exemptions exempt = default, int step = 0)
    {
        using var _ = no_grad();
        return Run(input, state, new BufferedSites(this, buffer, active, exempt, step));
    }

    /// <summary>One exact step through <paramref name="buffer"/> with the straight-through autograd graph: every new
    /// part's float equals float(int) exactly and has the gradient of z*/2^s ⊙ part + update (the reference the
    /// reversal's gradients must match, and the "backprop" training mode).</summary>
    public CellState ForwardWithGraph(Tensor input, CellState state, InformationBuffer buffer, Tensor? active = null,
        Exemptions exempt = default, int step = 0) =>
        Run(input, state, new GraphSites(this, buffer, active, exempt, step));

    /// <summary>Rebuilds the previous state from <paramref name="next"/> and the same input, without gradients,
    /// popping the buffer in exactly the reverse order of <see cref="Forward"/>.</summary>
    public CellState Reverse(Tensor input, CellState next, InformationBuffer buffer, Tensor? active = null,
        Exemptions exempt = default, int step = 0)
    {
        using var _ = no_grad();
        return Back(input, next, new Inverter(this, buffer, active, exempt), graph: false).Previous;
    }

    /// <summary>Rebuilds the previous state like <see cref="Reverse"/>, evaluating every gate once with graph; the
    /// returned step backpropagates gradients of <paramref name="next"/> to the previous state, the parameters and
    /// <paramref name="input"/> (a leaf or a tensor with graph: its gradient accumulates).</summary>
    public CellBackstep ReverseWithGraph(Tensor input, CellState next, InformationBuffer buffer, Tensor? active = null,
        Exemptions exempt = default, int step = 0) =>
        Back(input, next, new Inverter(this, buffer, active, exempt), graph: true);

    /// <summary>The cell's step: gates and sites in forward order (the sites decide lossy, buffered or graph).</summary>
    private protected abstract CellState Run(Tensor input, CellState state, ForwardSites sites);

    /// <summary>The cell's reverse step: gates from leaves of <paramref name="next"/> and of the rebuilt halves (with
    /// graph when <paramref name="graph"/>), the previous parts from <paramref name="source"/> in reverse site order.</summary>
    private protected abstract CellBackstep Back(Tensor input, CellState next, Inverter source, bool graph);

    /// <summary>Keep gate with the forgetting bound: z = m·σ(a) + (1 − m).</summary>
    protected Tensor BoundedGate(Tensor preActivation)
    {
        var m = Limit.Scale;
        var s = sigmoid(preActivation);
        return m == 1f ? s : s.mul(Scalars.Float32(m)).add_(Scalars.Float32(1f - m), Scalars.UnitAlpha);
    }

    /// <summary>float(part) as a leaf that requires grad (with <paramref name="graph"/>), else a plain float.</summary>
    private protected Tensor Leaf(Tensor partInt, bool graph)
    {
        var f = Format.ToFloat(partInt);
        return graph ? f.requires_grad_(true) : f;
    }

    /// <summary>Name of state part <paramref name="index"/> in error messages (h1, h2, c1, c2).</summary>
    protected abstract string PartName(int index);

    /// <summary><paramref name="layer"/> applied to [x; other].</summary>
    protected static Tensor Linear(Linear layer, Tensor x, Tensor other) => layer.forward(cat([x, other], 1));

    // ---- sites ----

    /// <summary>How a step computes each site's next part.</summary>
    private protected abstract class ForwardSites
    {
        /// <summary>The next value of part <paramref name="index"/>: z ⊙ part + update.</summary>
        public abstract Part Next(Part part, Tensor z, Tensor update, int index);
    }

    /// <summary>Inference sites: no buffer, the low bits are dropped.</summary>
    private sealed class LossySites(ReversibleCell cell, Tensor? active, int step) : ForwardSites
    {
        public override Part Next(Part part, Tensor z, Tensor update, int index) =>
            new(ForgettingSites.Lossy(cell, part.Int, z, update, active, index, step), null, cell.Format);
    }

    /// <summary>Exact sites through the buffer, no graph.</summary>
    private sealed class BufferedSites(ReversibleCell cell, InformationBuffer buffer, Tensor? active, Exemptions exempt, int step) : ForwardSites
    {
        public override Part Next(Part part, Tensor z, Tensor update, int index) =>
            new(ForgettingSites.Buffered(cell, buffer, part.Int, z, update, active, exempt.Of(index), index, step), null, cell.Format);
    }

    /// <summary>Exact sites through the buffer with the straight-through graph (tensor ops: the reference).</summary>
    private sealed class GraphSites(ReversibleCell cell, InformationBuffer buffer, Tensor? active, Exemptions exempt, int step) : ForwardSites
    {
        public override Part Next(Part part, Tensor z, Tensor update, int index)
        {
            Tensor nextInt;
            using (no_grad()) nextInt = ForgettingSites.Buffered(cell, buffer, part.Int, z, update, active, exempt.Of(index), index, step);
            return new Part(nextInt, ForgettingSites.StraightThrough(cell.Format, nextInt, part.Float, z, update, active), cell.Format);
        }
    }

    /// <summary>Where a reverse step gets each previous part: it inverts each site through the buffer (exempt columns
    /// restored from their saved values).</summary>
    private protected sealed class Inverter(ReversibleCell cell, InformationBuffer buffer, Tensor? active, Exemptions exempt)
    {
        public Tensor? Active => active;

        /// <summary>The previous integers of part <paramref name="index"/> given its next value and the site's gate
        /// and update (values; their graph, if any, is not extended).</summary>
        public Tensor Previous(Part next, Tensor z, Tensor update, int index)
        {
            using var _ = no_grad();
            return ForgettingSites.Inverse(cell, buffer, next.Int, z, update, active, exempt.Of(index), exempt.RestoreOf(index));
        }
    }

    /// <summary>The straight-through gradient of one site (fused or reference, per <see cref="Forgetting"/>).</summary>
    private protected (Tensor DPrevious, Tensor DGate, Tensor DUpdate) SiteGradient(Tensor grad, Tensor previousInt, Tensor z, Tensor? active) =>
        ForgettingSites.Gradient(Forgetting, Format, grad, previousInt, z, active);

    /// <summary>Backpropagates <paramref name="grads"/> from <paramref name="roots"/> (the gates of one half).</summary>
    private protected static void Backpropagate(Tensor[] roots, Tensor[] grads) => torch.autograd.backward(roots, grads);

    internal string SiteName(int index) => $"{Label}.{PartName(index)}";
}

/// <summary>The buffer exemptions of one layer-step: the first <see cref="H1"/> columns of h1 and <see cref="H2"/>
/// of h2 skip the buffer (their low bits are lost; the attention slice); for reversal, their saved previous values
/// (int64 [B, H1] and [B, H2]).</summary>
internal readonly record struct Exemptions(int H1 = 0, int H2 = 0, Tensor? RestoreH1 = null, Tensor? RestoreH2 = null)
{
    public int Of(int part) => part switch { 0 => H1, 1 => H2, _ => 0 };
    public Tensor? RestoreOf(int part) => part switch { 0 => RestoreH1, 1 => RestoreH2, _ => null };
}

/// <summary>
/// One reversed cell step with its graph: the rebuilt previous state and the means to backpropagate the gradient of
/// the next state through the step. Its tensors live in the caller's dispose scope.
/// </summary>
internal abstract class CellBackstep(CellState previous)
{
    public CellState Previous { get; } = previous;

    /// <summary>dL/d(previous parts) from dL/d(next parts) (float [B, H/2] each, in the cell's part order); parameter
    /// gradients accumulate in .grad and the input's gradient in the input (leaf) or its graph. Call once.</summary>
    public abstract Tensor[] Backward(IReadOnlyList<Tensor> nextGrads);
}

/// <summary>One fixed-point state part: the integers, and (when tracking gradients) a float tensor
/// with graph whose value equals float(Int). Without a graph, <see cref="Float"/> converts afresh on
/// every call (in the caller's dispose scope), so a part never holds a tensor it does not own.</summary>
public sealed class Part(Tensor intValue, Tensor? floatValue, FixedPointFormat format)
{
    /// <summary>The fixed-point integers, int64 [batch, hidden/2].</summary>
    public Tensor Int { get; } = intValue;
    /// <summary>The value as float32: the tensor with graph when tracking gradients, else converted afresh.</summary>
    public Tensor Float => floatValue ?? format.ToFloat(Int);
}

/// <summary>The parts of one cell's state, in the cell's order (h1, h2[, c1, c2]).</summary>
public sealed class CellState(IReadOnlyList<Part> parts)
{
    /// <summary>The parts, in the cell's order.</summary>
    public IReadOnlyList<Part> Parts { get; } = parts;
    /// <summary>Part <paramref name="i"/>.</summary>
    public Part this[int i] => Parts[i];

    /// <summary>float([h1; h2]) — the cell's output.</summary>
    public Tensor Output => cat([Parts[0].Float, Parts[1].Float], 1);

    /// <summary>The integers of every part.</summary>
    public IReadOnlyList<Tensor> Ints => [.. Parts.Select(p => p.Int)];
}
