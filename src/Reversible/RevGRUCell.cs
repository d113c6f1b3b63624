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
/// z is the keep gate (z = 1 keeps everything). Reversal undoes half 2, then half 1; with graph, each half's gates are
/// evaluated once, from h1^t and from the rebuilt h2^{t-1}.
/// </summary>
internal sealed class RevGRUCell : ReversibleCell
{
    private readonly Linear ih2_to_zr1, irh2_to_g1, ih1_to_zr2, irh1_to_g2;

    public RevGRUCell(int inputSize, int hiddenSize, ForgetLimit limit, FixedPointFormat? format = null)
        : base(nameof(RevGRUCell), inputSize, hiddenSize, limit, format ?? FixedPointFormat.Default)
    {
        ih2_to_zr1 = nn.Linear(inputSize + Half, hiddenSize);
        irh2_to_g1 = nn.Linear(inputSize + Half, Half);
        ih1_to_zr2 = nn.Linear(inputSize + Half, hiddenSize);
        irh1_to_g2 = nn.Linear(inputSize + Half, Half);
        RegisterComponents();
    }

    public override int PartCount => 2;

    protected override string PartName(int index) => index == 0 ? "h1" : "h2";

    private (Tensor Z, Tensor Update) Gates(Linear zr, Linear g, Tensor x, Tensor other)
    {
        var pre = Linear(zr, x, other);
        var z = BoundedGate(pre.narrow(1, 0, Half));
        var r = sigmoid(pre.narrow(1, Half, Half));
        var candidate = tanh(Linear(g, x, r.mul(other)));
        return (z, z.neg().add(Scalars.Float32(1f), Scalars.UnitAlpha).mul(candidate));
    }

    private protected override CellState Run(Tensor input, CellState state, ForwardSites sites)
    {
        var (z1, u1) = Gates(ih2_to_zr1, irh2_to_g1, input, state[1].Float);
        var h1 = sites.Next(state[0], z1, u1, 0);
        var (z2, u2) = Gates(ih1_to_zr2, irh1_to_g2, input, h1.Float);
        var h2 = sites.Next(state[1], z2, u2, 1);
        return new CellState([h1, h2]);
    }

    private protected override CellBackstep Back(Tensor input, CellState next, Inverter source, bool graph)
    {
        // Half 2 from h1^t, then half 1 from the rebuilt h2^{t-1}: the values the forward pass saw.
        var h1Next = Leaf(next[0].Int, graph);
        var (z2, u2) = Gates(ih1_to_zr2, irh1_to_g2, input, h1Next);
        var h2 = source.Previous(next[1], z2, u2, 1);
        var h2Leaf = Leaf(h2, graph);
        var (z1, u1) = Gates(ih2_to_zr1, irh2_to_g1, input, h2Leaf);
        var h1 = source.Previous(next[0], z1, u1, 0);
        return new Backstep(this, new CellState([new Part(h1, null, Format), new Part(h2, null, Format)]), source.Active,
            h1Next, h2Leaf, z1, u1, z2, u2);
    }

    /// <summary>Backpropagation of one reversed step: half 2's sites and gates first (their gradient into h1^t joins
    /// h1^t's own), then half 1's (their gradient into h2^{t-1} joins the one through half 2's site).</summary>
    private sealed class Backstep(RevGRUCell cell, CellState previous, Tensor? active, Tensor h1Next, Tensor h2Leaf,
        Tensor z1, Tensor u1, Tensor z2, Tensor u2) : CellBackstep(previous)
    {
        public override Tensor[] Backward(IReadOnlyList<Tensor> nextGrads)
        {
            var (dh2, dz2, du2) = cell.SiteGradient(nextGrads[1], Previous[1].Int, z2, active);
            Backpropagate([z2, u2], [dz2, du2]);
            var g1 = nextGrads[0].add(h1Next.grad!, Scalars.UnitAlpha);
            var (dh1, dz1, du1) = cell.SiteGradient(g1, Previous[0].Int, z1, active);
            Backpropagate([z1, u1], [dz1, du1]);
            return [dh1, dh2.add(h2Leaf.grad!, Scalars.UnitAlpha)];
        }
    }
}
