// ReversibleCell: the base of the reversible cells (RevGRU, RevLSTM) and their explicit operations.
// Guarantees:
//  * Forward and ForwardWithGraph give the same next-state integers for the same input projections and state; Infer
//    (inference, no buffer) drops the low bits they store and evaluates each gate layer over [x; other] in one
//    product, the same function up to float rounding;
//  * Reverse pops the buffer in exactly the reverse order of Forward and rebuilds the previous state bit for bit,
//    keeping the gates it evaluated once for the step's backward;
//  * a CellBackstep's Backward gives the gradients ordinary autograd gives through ForwardWithGraph's straight-through
//    graph (rounding is the identity, d part'/d part = z*/2^s, d part'/dz = part; MacKay et al. 2018 §2.1), with each
//    gate evaluated once per reverse step: the gates are computed without graph from the reconstructed halves (half 2
//    from h1^t, half 1 from the rebuilt h2^{t-1}: the same values the forward pass used) and kept; the site gradients
//    (ForgettingKernels.Gradient) and the gates' derivatives are written out (no autograd), the gradients of the
//    projections returned and those of the weights on the other half accumulated in a GateGradients;
//  * the fused kernels (GateSites: each site with its keep gate's bound and update) and the tensor-op reference
//    (Forgetting) give bit-identical keep gates, states, buffers and site gradients, and so do the fused backward
//    (BackwardSites: each half's site gradients and gate chain in managed passes) and the tensor-op backward;
//  * a gate's pre-activation is x·W_x^T + b (the input projection, CellInput.Projected, computed by the caller) plus
//    other·W_h^T: the same function of the same tensors in every mode, so equal projections give equal gates.
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
        return Run(CellInput.Raw(input), state, new LossySites(this, active, step));
    }

    /// <summary>One exact step through <paramref name="buffer"/>, without gradients (training by reversal's forward).</summary>
    public CellState Forward(CellInput input, CellState state, InformationBuffer buffer, Tensor? active = null,
        Exemptions exempt = default, int step = 0)
    {
        using var _ = no_grad();
        return Run(input, state, new BufferedSites(this, buffer, active, exempt, step));
    }

    /// <summary>One exact step through <paramref name="buffer"/> with the straight-through autograd graph: every new
    /// part's float equals float(int) exactly and has the gradient of z*/2^s ⊙ part + update (the reference the
    /// reversal's gradients must match, and the "backprop" training mode).</summary>
    public CellState ForwardWithGraph(CellInput input, CellState state, InformationBuffer buffer, Tensor? active = null,
        Exemptions exempt = default, int step = 0) =>
        Run(input, state, new GraphSites(this, buffer, active, exempt, step));

    /// <summary>Rebuilds the previous state (<see cref="CellBackstep.Previous"/>) from <paramref name="next"/> and the
    /// same input, without gradients, popping the buffer in exactly the reverse order of <see cref="Forward"/>; every
    /// gate is evaluated once and kept, so the returned step can backpropagate gradients of <paramref name="next"/> to
    /// the previous state and to <paramref name="input"/>'s projections (no graph).</summary>
    public CellBackstep Reverse(CellInput input, CellState next, InformationBuffer buffer, Tensor? active = null,
        Exemptions exempt = default, int step = 0)
    {
        using var _ = no_grad();
        return Back(input, next, new Inverter(this, buffer, active, exempt));
    }

    /// <summary>The cell's step: gates and sites in forward order (the sites decide lossy, buffered or graph).</summary>
    private protected abstract CellState Run(CellInput input, CellState state, ForwardSites sites);

    /// <summary>The cell's reverse step (no graph): gates from <paramref name="next"/> and the rebuilt halves, the
    /// previous parts from <paramref name="source"/> in reverse site order; the returned step keeps the gates' values
    /// for its Backward.</summary>
    private protected abstract CellBackstep Back(CellInput input, CellState next, Inverter source);

    /// <summary>The keep gate with the forgetting bound from σ(a) as tensor ops: z = m·σ + (1 − m), or σ itself when
    /// m = 1 (the reference of GateKernels, and the graph of ForwardWithGraph).</summary>
    internal Tensor Bound(Tensor sigma)
    {
        var m = Limit.Scale;
        return m == 1f ? sigma : sigma.mul(Scalars.Float32(m)).add_(Scalars.Float32(1f - m), Scalars.UnitAlpha);
    }

    /// <summary>dL/da of a bounded gate from dL/dz and its σ(a): dz ⊙ m·σ(1 − σ).</summary>
    protected Tensor BoundedGateBackward(Tensor dz, Tensor sigma)
    {
        var d = SigmoidBackward(dz, sigma);
        var m = Limit.Scale;
        return m == 1f ? d : d.mul_(Scalars.Float32(m));
    }

    /// <summary>dL/da of y = σ(a) from dL/dy and y: dy ⊙ y(1 − y).</summary>
    protected static Tensor SigmoidBackward(Tensor dy, Tensor y) => dy.mul(y).mul_(y.neg().add_(Scalars.Float32(1f), Scalars.UnitAlpha));

    /// <summary>dL/da of y = tanh(a) from dL/dy and y: dy ⊙ (1 − y²).</summary>
    protected static Tensor TanhBackward(Tensor dy, Tensor y) => dy.mul(y.mul(y).neg_().add_(Scalars.Float32(1f), Scalars.UnitAlpha));

    /// <summary>The gradients of one gate layer's pre-activation a = projection + other·W_h^T given dL/da: dL/d other
    /// is added to <paramref name="dOther"/> (or returned when null), W_h's gradient accumulates in
    /// <paramref name="grads"/>; dL/d projection is dL/da itself.</summary>
    protected static Tensor OtherBackward(CellInput input, GateGradients grads, int gate, Tensor dPre, Tensor other, Tensor? dOther)
    {
        grads.Other[gate].addmm_(dPre.t(), other, 1, 1);
        var weight = input.Weights!.Other[gate];
        return dOther is null ? dPre.mm(weight) : dOther.addmm_(dPre, weight, 1, 1);
    }

    /// <summary>Name of state part <paramref name="index"/> in error messages (h1, h2, c1, c2).</summary>
    protected abstract string PartName(int index);

    /// <summary>The gate layers, each over [x; other half] (InputSize + Half columns), in the order of
    /// <see cref="CellInput"/>'s tensors.</summary>
    protected abstract IReadOnlyList<Linear> GateLayers { get; }

    /// <summary>The gate layers' weights as views of the parameters (their graph leads to the parameters).</summary>
    public GateWeights Weights() => new(
        [.. GateLayers.Select(l => l.weight!.narrow(1, 0, InputSize))],
        [.. GateLayers.Select(l => l.weight!.narrow(1, InputSize, Half))],
        [.. GateLayers.Select(l => l.bias!)]);

    /// <summary>The input projection x·W_x^T + b of every gate layer for inputs <paramref name="x"/> [N, InputSize]
    /// (one step's rows or a window of steps'), [N, gate outputs] each.</summary>
    public static Tensor[] Project(Tensor x, GateWeights weights) =>
        [.. weights.Input.Zip(weights.Bias, (w, b) => nn.functional.linear(x, w, b))];

    /// <summary>Pre-activation of gate layer <paramref name="gate"/>: the step's projection plus other·W_h^T, or for a
    /// raw input (inference) the layer over [x; other] in one product (the same function up to float rounding).</summary>
    protected Tensor Linear(CellInput input, int gate, Tensor other) => input.X is { } x
        ? GateLayers[gate].forward(cat([x, other], 1))
        : addmm(input.Projected![gate], other, input.Weights!.Other[gate].t(), 1f, 1f);

    // ---- sites ----

    /// <summary>How a step computes each site's next part.</summary>
    private protected abstract class ForwardSites
    {
        /// <summary>The next value of part <paramref name="index"/>: z ⊙ part + update, with z and the update from
        /// <paramref name="gates"/> (GateSites).</summary>
        public abstract Part Next(Part part, SiteGates gates, int index);
    }

    /// <summary>Inference sites: no buffer, the low bits are dropped.</summary>
    private sealed class LossySites(ReversibleCell cell, Tensor? active, int step) : ForwardSites
    {
        public override Part Next(Part part, SiteGates gates, int index) =>
            new(GateSites.Lossy(cell, part.Int, gates, active, index, step), null, cell.Format);
    }

    /// <summary>Exact sites through the buffer, no graph.</summary>
    private sealed class BufferedSites(ReversibleCell cell, InformationBuffer buffer, Tensor? active, Exemptions exempt, int step) : ForwardSites
    {
        public override Part Next(Part part, SiteGates gates, int index) =>
            new(GateSites.Buffered(cell, buffer, part.Int, gates, active, exempt.Of(index), index, step), null, cell.Format);
    }

    /// <summary>Exact sites through the buffer with the straight-through graph (tensor ops: the reference).</summary>
    private sealed class GraphSites(ReversibleCell cell, InformationBuffer buffer, Tensor? active, Exemptions exempt, int step) : ForwardSites
    {
        public override Part Next(Part part, SiteGates gates, int index)
        {
            var z = cell.Bound(gates.Sigma);
            var update = gates.Update(z);
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

        /// <summary>The previous integers of part <paramref name="index"/> given its next value and the site's gates
        /// (values; their graph, if any, is not extended), and the keep gate z the site used (for the backward).</summary>
        public (Tensor Previous, Tensor Z) Previous(Part next, SiteGates gates, int index)
        {
            using var _ = no_grad();
            return GateSites.Inverse(cell, buffer, next.Int, gates, active, exempt.Of(index), exempt.RestoreOf(index));
        }
    }

    /// <summary>The straight-through gradient of one site (fused or reference, per <see cref="Forgetting"/>).</summary>
    private protected (Tensor DPrevious, Tensor DGate, Tensor DUpdate) SiteGradient(Tensor grad, Tensor previousInt, Tensor z, Tensor? active) =>
        ForgettingSites.Gradient(Forgetting, Format, grad, previousInt, z, active);

    internal string SiteName(int index) => $"{Label}.{PartName(index)}";
}

/// <summary>The weights of a cell's gate layers split by input, one tensor per gate layer: the x columns [out, InputSize],
/// the other half's columns [out, Half] and the bias [out], as views of the parameters.</summary>
internal sealed record GateWeights(Tensor[] Input, Tensor[] Other, Tensor[] Bias);

/// <summary>The gradients of a cell's gate weights accumulated over a reversal (zeros at first, shaped like
/// <see cref="GateWeights"/>), owned here until <see cref="AddToParameters"/>.</summary>
internal sealed class GateGradients : IDisposable
{
    public GateGradients(GateWeights shape)
    {
        static Tensor[] Zeros(Tensor[] ts) => [.. ts.Select(t => zeros_like(t).DetachFromDisposeScope())];
        Input = Zeros(shape.Input);
        Other = Zeros(shape.Other);
        Bias = Zeros(shape.Bias);
    }

    public Tensor[] Input { get; }
    public Tensor[] Other { get; }
    public Tensor[] Bias { get; }

    /// <summary>Backpropagates the projections x·W_x^T + b of inputs <paramref name="x"/> [N, InputSize] given their
    /// gradients <paramref name="dProjected"/> ([N, out] per gate layer): W_x's and b's gradients accumulate here;
    /// returns dL/dx [N, InputSize].</summary>
    public Tensor AddProjection(Tensor x, Tensor[] dProjected, GateWeights weights)
    {
        using var _ = no_grad();
        Tensor? dx = null;
        for (var g = 0; g < dProjected.Length; g++)
        {
            Input[g].addmm_(dProjected[g].t(), x, 1, 1);
            Bias[g].add_(dProjected[g].sum(dim: 0L), Scalars.UnitAlpha);
            dx = dx is null ? dProjected[g].mm(weights.Input[g]) : dx.addmm_(dProjected[g], weights.Input[g], 1, 1);
        }
        return dx!;
    }

    /// <summary>Adds the accumulated gradients into <paramref name="cell"/>'s gate parameters' <c>.grad</c> (one
    /// backward call through views of them) and frees them.</summary>
    public void AddToParameters(ReversibleCell cell)
    {
        using (enable_grad())
        {
            var parameters = cell.Weights();
            torch.autograd.backward([.. parameters.Input, .. parameters.Other, .. parameters.Bias], [.. Input, .. Other, .. Bias]);
        }
        Dispose();
    }

    /// <summary>Frees the accumulated gradients.</summary>
    public void Dispose()
    {
        foreach (var t in Input.Concat(Other).Concat(Bias)) t.Dispose();
    }
}

/// <summary>One step's input to a cell: the input projection of every gate layer ([B, out] each, bias included) and
/// the weights the gates apply to the other half; or, for inference (<see cref="Raw"/>), the input x itself, each gate
/// layer then applied to [x; other] in one product.</summary>
internal readonly record struct CellInput(Tensor[]? Projected, GateWeights? Weights, Tensor? X = null)
{
    /// <summary>The raw input x [B, InputSize] (inference: no projection, no exactness against training).</summary>
    public static CellInput Raw(Tensor x) => new(null, null, x);
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
/// One reversed cell step with the gates' values it kept: the rebuilt previous state and the means to backpropagate
/// the gradient of the next state through the step (no graph). Its tensors live in the caller's dispose scope.
/// </summary>
internal abstract class CellBackstep(CellState previous)
{
    public CellState Previous { get; } = previous;

    /// <summary>dL/d(previous parts) from dL/d(next parts) (float [B, H/2] each, in the cell's part order), and dL/d
    /// of the step's projection of every gate layer ([B, out] each); the gradients of the weights on the other half
    /// accumulate in <paramref name="grads"/>.</summary>
    public abstract StepGradient Backward(IReadOnlyList<Tensor> nextGrads, GateGradients grads);
}

/// <summary>The gradients one reversed step sends back: to the previous parts and to its input projections.</summary>
internal readonly record struct StepGradient(Tensor[] Previous, Tensor[] Projected);

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
