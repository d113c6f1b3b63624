using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// Base of the reversible cells (RevGRU, RevLSTM). A cell's state is a list of fixed-point parts
/// (int64 tensors [batch, hidden/2]); its output is float([h1; h2]). Every part is updated by one
/// forgetting site: <c>part ← z ⊙ part + update</c>, computed exactly in fixed point through the
/// <see cref="InformationBuffer"/> (see <see cref="Site"/>), so <see cref="Reverse"/> rebuilds the previous
/// state bit for bit from the next one and the same input.
///
/// Contract (like nn.GRUCell): <see cref="Step"/> maps (input [B, InputSize], state) to the next state.
/// With <see cref="StepContext.TrackGradients"/> it also builds the straight-through autograd graph whose
/// values equal the fixed-point result exactly: d(part')/d(part) = z*/2^s, d(part')/dz = part,
/// rounding is the identity (MacKay et al. 2018 §2.1).
/// </summary>
public abstract class ReversibleCell : nn.Module
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

    /// <summary>Number of state parts: 2 for RevGRU (h1, h2), 4 for RevLSTM (h1, h2, c1, c2).</summary>
    public abstract int PartCount { get; }

    /// <summary>Advances one step. <paramref name="state"/> parts must match the int values of the
    /// context; returns the next state (ints, and floats with graph when tracking gradients).</summary>
    public abstract CellState Step(Tensor input, CellState state, StepContext ctx);

    /// <summary>Rebuilds the previous state from <paramref name="next"/> and the same input, popping the
    /// buffer in exactly the reverse order of <see cref="Step"/>.</summary>
    public abstract CellState Reverse(Tensor input, CellState next, StepContext ctx);

    /// <summary>Keep gate with the forgetting bound: z = m·σ(a) + (1 − m).</summary>
    protected Tensor BoundedGate(Tensor preActivation)
    {
        var m = Limit.Scale;
        var s = sigmoid(preActivation);
        return m == 1f ? s : s.mul(Scalars.Float32(m)).add_(Scalars.Float32(1f - m), Scalars.UnitAlpha);
    }

    /// <summary>One forgetting site: part ← z ⊙ part + update, forward (exact, through the buffer).</summary>
    protected Part Site(Part part, Tensor z, Tensor update, int exempt, StepContext ctx, int siteIndex)
    {
        Tensor? zq = null;
        Tensor nextInt;
        if (ctx.KnownNext is not null)
            nextInt = ctx.KnownNext[siteIndex];
        else if (ctx.Buffer is { Implementation: ForgettingImplementation.Fused } fused)
        {
            using var _ = no_grad();
            nextInt = fused.MultiplyAdd(part.Int, z, update, ctx.Active, exempt, out var maxAbs);
            if (maxAbs >= FixedPointFormat.StateLimit) throw new StateRangeException($"{ctx.Layer}.{PartName(siteIndex)}", ctx.Step, maxAbs);
        }
        else
        {
            zq = Format.QuantizeForget(z);
            using var _ = no_grad();
            var multiplied = ctx.Buffer is null
                ? LossyMultiply(part.Int, zq, ctx.Active)
                : ctx.Buffer.Multiply(part.Int, zq, z.detach(), ctx.Active, exempt);
            var add = Format.ToFixed(update.detach());
            var sum = multiplied.add(add, Scalars.UnitAlpha);
            nextInt = ctx.Active is null ? sum : where(ctx.Active.unsqueeze(1), sum, multiplied);
            FixedPointFormat.CheckRange(nextInt, $"{ctx.Layer}.{PartName(siteIndex)}", ctx.Step);
        }
        if (!ctx.TrackGradients) return new Part(nextInt, null, Format);

        // Straight-through graph: value exactly float(nextInt), gradient of z_q·part + update.
        zq ??= Format.QuantizeForget(z);
        var zST = Format.ForgetToFloat(zq).add(z.sub(z.detach()), Scalars.UnitAlpha);
        var surrogate = zST.mul(part.Float).add(update, Scalars.UnitAlpha);
        var exact = Format.ToFloat(nextInt).add(surrogate.sub(surrogate.detach()), Scalars.UnitAlpha);
        var floatNext = ctx.Active is null ? exact : where(ctx.Active.unsqueeze(1), exact, part.Float);
        return new Part(nextInt, floatNext, Format);
    }

    /// <summary>Inverse of <see cref="Site"/>: the previous part from the next one. Exempt columns (whose low
    /// bits were not buffered) are replaced at once by their saved values, before any later gate uses them.</summary>
    protected Part InverseSite(Part next, Tensor z, Tensor update, int exempt, Tensor? restore, StepContext ctx)
    {
        if (ctx.Buffer is null) throw new InvalidOperationException("reversal needs the information buffer");
        if (ctx.Buffer.Implementation == ForgettingImplementation.Fused)
        {
            if (exempt > 0 && restore is null) throw new InvalidOperationException($"{ctx.Layer}: exempt columns need their saved values to reverse");
            return new Part(ctx.Buffer.SubtractDivide(next.Int, z, update, ctx.Active, exempt, restore), null, Format);
        }
        var zq = Format.QuantizeForget(z);
        var sub = Format.ToFixed(update);
        var hz = ctx.Active is null ? next.Int.sub(sub) : where(ctx.Active.unsqueeze(1), next.Int.sub(sub), next.Int);
        var prev = ctx.Buffer.Divide(hz, zq, ctx.Active, exempt);
        if (exempt > 0)
        {
            if (restore is null) throw new InvalidOperationException($"{ctx.Layer}: exempt columns need their saved values to reverse");
            prev = exempt == prev.shape[1] ? restore : cat([restore, prev.narrow(1, exempt, prev.shape[1] - exempt)], 1);
        }
        return new Part(prev, null, Format);
    }

    private Tensor LossyMultiply(Tensor h, Tensor zq, Tensor? active)
    {
        var result = h.bitwise_right_shift(Scalars.Int64Tensor(Format.ForgetRadix)).mul(zq);
        return active is null ? result : where(active.unsqueeze(1), result, h);
    }

    /// <summary>Name of state part <paramref name="index"/> in error messages (h1, h2, c1, c2).</summary>
    protected abstract string PartName(int index);

    /// <summary><paramref name="layer"/> applied to [x; other].</summary>
    protected static Tensor Linear(Linear layer, Tensor x, Tensor other) => layer.forward(cat([x, other], 1));
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

/// <summary>
/// Per-step settings for a cell call: the buffer (null: plain inference, low bits dropped), the active
/// rows (null: all), the columns of h1/h2 exempt from the buffer, gradient tracking, for the
/// recompute pass of training by reversal the already known next state, and for reversal the saved
/// previous values of the exempt columns (int64 [B, ExemptH1] and [B, ExemptH2]).
/// </summary>
public sealed record StepContext(
    InformationBuffer? Buffer,
    Tensor? Active,
    int Step,
    string Layer,
    int ExemptH1 = 0,
    int ExemptH2 = 0,
    bool TrackGradients = false,
    IReadOnlyList<Tensor>? KnownNext = null,
    Tensor? RestoreH1 = null,
    Tensor? RestoreH2 = null);
