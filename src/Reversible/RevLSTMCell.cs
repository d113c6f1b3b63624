using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// RevLSTM (MacKay et al. 2018 §3.2): state [h1, h2, c1, c2]; each half is driven by the other half's h.
/// <code>
/// [z; g; f; o; p] = W1 [x; h2]   (five chunks of H/2)
/// c1 ← z1 ⊙ c1 + f1 ⊙ g1          z1 = bounded σ, g1 = tanh, f1 = σ (input gate)
/// h1 ← p1 ⊙ h1 + o1 ⊙ tanh(c1)    p1 = bounded σ (the extra forget gate on h), o1 = σ
/// </code>
/// then the same for half 2 from [x; h1]. Forward order c1, h1, c2, h2; reversal h2, c2, h1, c1.
/// Two forgetting multiplies per unit per step (z on c, p on h). Note h has no (1 − p) factor, so h and
/// c can grow over long horizons; the fixed-point range check reports it instead of wrapping.
/// </summary>
public sealed class RevLSTMCell : ReversibleCell
{
    private readonly Linear ih2_to_zgfop1, ih1_to_zgfop2;

    /// <summary>A RevLSTM cell for inputs of <paramref name="inputSize"/> and an even <paramref name="hiddenSize"/>
    /// (the state halves are hiddenSize/2 each), keep gates bounded by <paramref name="limit"/>.</summary>
    public RevLSTMCell(int inputSize, int hiddenSize, ForgetLimit limit, FixedPointFormat? format = null)
        : base(nameof(RevLSTMCell), inputSize, hiddenSize, limit, format ?? FixedPointFormat.Default)
    {
        ih2_to_zgfop1 = nn.Linear(inputSize + Half, 5 * Half);
        ih1_to_zgfop2 = nn.Linear(inputSize + Half, 5 * Half);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int PartCount => 4;

    /// <inheritdoc/>
    protected override string PartName(int index) => index switch { 0 => "h1", 1 => "h2", 2 => "c1", _ => "c2" };

    private sealed record Gates(Tensor Z, Tensor CellUpdate, Tensor O, Tensor P);

    private Gates Compute(Linear layer, Tensor x, Tensor otherH)
    {
        var a = Linear(layer, x, otherH);
        Tensor Chunk(int i) => a.narrow(1, i * Half, Half);
        var z = BoundedGate(Chunk(0));
        var g = tanh(Chunk(1));
        var f = sigmoid(Chunk(2));
        var o = sigmoid(Chunk(3));
        var p = BoundedGate(Chunk(4));
        return new Gates(z, f.mul(g), o, p);
    }

    /// <inheritdoc/>
    public override CellState Step(Tensor input, CellState state, StepContext ctx)
    {
        var g1 = Compute(ih2_to_zgfop1, input, state[1].Float);
        var c1 = Site(state[2], g1.Z, g1.CellUpdate, 0, ctx, 2);
        var h1 = Site(state[0], g1.P, g1.O.mul(tanh(c1.Float)), ctx.ExemptH1, ctx, 0);
        var g2 = Compute(ih1_to_zgfop2, input, h1.Float);
        var c2 = Site(state[3], g2.Z, g2.CellUpdate, 0, ctx, 3);
        var h2 = Site(state[1], g2.P, g2.O.mul(tanh(c2.Float)), ctx.ExemptH2, ctx, 1);
        return new CellState([h1, h2, c1, c2]);
    }

    /// <inheritdoc/>
    public override CellState Reverse(Tensor input, CellState next, StepContext ctx)
    {
        var g2 = Compute(ih1_to_zgfop2, input, next[0].Float);
        var h2 = InverseSite(next[1], g2.P, g2.O.mul(tanh(next[3].Float)), ctx.ExemptH2, ctx.RestoreH2, ctx);
        var c2 = InverseSite(next[3], g2.Z, g2.CellUpdate, 0, null, ctx);
        var g1 = Compute(ih2_to_zgfop1, input, h2.Float);
        var h1 = InverseSite(next[0], g1.P, g1.O.mul(tanh(next[2].Float)), ctx.ExemptH1, ctx.RestoreH1, ctx);
        var c1 = InverseSite(next[2], g1.Z, g1.CellUpdate, 0, null, ctx);
        return new CellState([h1, h2, c1, c2]);
    }
}
