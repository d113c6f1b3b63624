using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// RevGRU (MacKay et al. 2018 §3): state h = [h1; h2], each half updated from the other.
/// <code>
/// [z1; r1] = σ(W_zr1 [x; h2]), z1 bounded;  g1 = tanh(W_g1 [x; r1 ⊙ h2]);  h1 ← z1 ⊙ h1 + (1 − z1) ⊙ g1
/// [z2; r2] = σ(W_zr2 [x; h1]), z2 bounded;  g2 = tanh(W_g2 [x; r2 ⊙ h1]);  h2 ← z2 ⊙ h2 + (1 − z2) ⊙ g2
/// </code>
/// z is the keep gate (z = 1 keeps everything). Reversal undoes half 2, then half 1.
/// </summary>
public sealed class RevGRUCell : ReversibleCell
{
    private readonly Linear ih2_to_zr1, irh2_to_g1, ih1_to_zr2, irh1_to_g2;

    /// <summary>A RevGRU cell for inputs of <paramref name="inputSize"/> and an even <paramref name="hiddenSize"/>
    /// (the state halves are hiddenSize/2 each), keep gates bounded by <paramref name="limit"/>.</summary>
    public RevGRUCell(int inputSize, int hiddenSize, ForgetLimit limit, FixedPointFormat? format = null)
        : base(nameof(RevGRUCell), inputSize, hiddenSize, limit, format ?? FixedPointFormat.Default)
    {
        ih2_to_zr1 = nn.Linear(inputSize + Half, hiddenSize);
        irh2_to_g1 = nn.Linear(inputSize + Half, Half);
        ih1_to_zr2 = nn.Linear(inputSize + Half, hiddenSize);
        irh1_to_g2 = nn.Linear(inputSize + Half, Half);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int PartCount => 2;

    /// <inheritdoc/>
    protected override string PartName(int index) => index == 0 ? "h1" : "h2";

    private (Tensor Z, Tensor Update) Gates(Linear zr, Linear g, Tensor x, Tensor other)
    {
        var pre = Linear(zr, x, other);
        var z = BoundedGate(pre.narrow(1, 0, Half));
        var r = sigmoid(pre.narrow(1, Half, Half));
        var candidate = tanh(Linear(g, x, r.mul(other)));
        return (z, z.neg().add(Scalars.Float32(1f), Scalars.UnitAlpha).mul(candidate));
    }

    /// <inheritdoc/>
    public override CellState Step(Tensor input, CellState state, StepContext ctx)
    {
        var (z1, u1) = Gates(ih2_to_zr1, irh2_to_g1, input, state[1].Float);
        var h1 = Site(state[0], z1, u1, ctx.ExemptH1, ctx, 0);
        var (z2, u2) = Gates(ih1_to_zr2, irh1_to_g2, input, h1.Float);
        var h2 = Site(state[1], z2, u2, ctx.ExemptH2, ctx, 1);
        return new CellState([h1, h2]);
    }

    /// <inheritdoc/>
    public override CellState Reverse(Tensor input, CellState next, StepContext ctx)
    {
        var (z2, u2) = Gates(ih1_to_zr2, irh1_to_g2, input, next[0].Float);
        var h2 = InverseSite(next[1], z2, u2, ctx.ExemptH2, ctx.RestoreH2, ctx);
        var (z1, u1) = Gates(ih2_to_zr1, irh2_to_g1, input, h2.Float);
        var h1 = InverseSite(next[0], z1, u1, ctx.ExemptH1, ctx.RestoreH1, ctx);
        return new CellState([h1, h2]);
    }
}
