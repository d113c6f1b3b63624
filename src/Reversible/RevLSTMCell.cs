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
internal sealed class RevLSTMCell : ReversibleCell
{
    private readonly Linear ih2_to_zgfop1, ih1_to_zgfop2;

    public RevLSTMCell(int inputSize, int hiddenSize, ForgetLimit limit, FixedPointFormat? format = null)
        : base(nameof(RevLSTMCell), inputSize, hiddenSize, limit, format ?? FixedPointFormat.Default)
    {
        ih2_to_zgfop1 = nn.Linear(inputSize + Half, 5 * Half);
        ih1_to_zgfop2 = nn.Linear(inputSize + Half, 5 * Half);
        RegisterComponents();
    }

    public override int PartCount => 4;

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

    private protected override CellState Run(Tensor input, CellState state, ForwardSites sites)
    {
        var g1 = Compute(ih2_to_zgfop1, input, state[1].Float);
        var c1 = sites.Next(state[2], g1.Z, g1.CellUpdate, 2);
        var h1 = sites.Next(state[0], g1.P, g1.O.mul(tanh(c1.Float)), 0);
        var g2 = Compute(ih1_to_zgfop2, input, h1.Float);
        var c2 = sites.Next(state[3], g2.Z, g2.CellUpdate, 3);
        var h2 = sites.Next(state[1], g2.P, g2.O.mul(tanh(c2.Float)), 1);
        return new CellState([h1, h2, c1, c2]);
    }

    private protected override CellBackstep Back(Tensor input, CellState next, Inverter source, bool graph)
    {
        var h1Next = Leaf(next[0].Int, graph);
        var g2 = Compute(ih1_to_zgfop2, input, h1Next);
        var tanhC2 = TanhOf(next[3]);
        var h2 = source.Previous(next[1], g2.P, OutputUpdate(g2.O, tanhC2), 1);
        var c2 = source.Previous(next[3], g2.Z, g2.CellUpdate, 3);
        var h2Leaf = Leaf(h2, graph);
        var g1 = Compute(ih2_to_zgfop1, input, h2Leaf);
        var tanhC1 = TanhOf(next[2]);
        var h1 = source.Previous(next[0], g1.P, OutputUpdate(g1.O, tanhC1), 0);
        var c1 = source.Previous(next[2], g1.Z, g1.CellUpdate, 2);
        var previous = new CellState([new Part(h1, null, Format), new Part(h2, null, Format), new Part(c1, null, Format), new Part(c2, null, Format)]);
        return new Backstep(this, previous, source.Active, h1Next, h2Leaf, g1, g2, tanhC1, tanhC2);
    }

    /// <summary>tanh(float(c)), a value without graph (the update o ⊙ tanh(c) the forward pass added).</summary>
    private static Tensor TanhOf(Part c)
    {
        using var _ = no_grad();
        return tanh(c.Float);
    }

    private static Tensor OutputUpdate(Tensor o, Tensor tanhC)
    {
        using var _ = no_grad();
        return o.mul(tanhC);
    }

    /// <summary>Backpropagation of one reversed step, half 2 then half 1. Within a half the h site's update
    /// o ⊙ tanh(c^t) sends dL/do = g_u ⊙ tanh(c^t) to the gate and g_u ⊙ o ⊙ (1 − tanh²) into c^t, which joins c^t's
    /// own gradient before the c site (as autograd does through ForwardWithGraph).</summary>
    private sealed class Backstep(RevLSTMCell cell, CellState previous, Tensor? active, Tensor h1Next, Tensor h2Leaf,
        Gates g1, Gates g2, Tensor tanhC1, Tensor tanhC2) : CellBackstep(previous)
    {
        public override Tensor[] Backward(IReadOnlyList<Tensor> nextGrads)
        {
            var (dh2, dc2) = Half(nextGrads[1], nextGrads[3], 1, 3, g2, tanhC2);
            var (dh1, dc1) = Half(nextGrads[0].add(h1Next.grad!, Scalars.UnitAlpha), nextGrads[2], 0, 2, g1, tanhC1);
            return [dh1, dh2.add(h2Leaf.grad!, Scalars.UnitAlpha), dc1, dc2];
        }

        private (Tensor DH, Tensor DC) Half(Tensor gh, Tensor gc, int h, int c, Gates g, Tensor tanhC)
        {
            var (dh, dp, du) = cell.SiteGradient(gh, Previous[h].Int, g.P, active);
            Tensor dO, gcTotal;
            using (no_grad())
            {
                var o = g.O.detach();
                dO = du.mul(tanhC);
                gcTotal = gc.add(du.mul(o).mul(tanhC.mul(tanhC).neg_().add_(Scalars.Int64(1), Scalars.UnitAlpha)), Scalars.UnitAlpha);
            }
            var (dc, dz, dCell) = cell.SiteGradient(gcTotal, Previous[c].Int, g.Z, active);
            Backpropagate([g.Z, g.CellUpdate, g.P, g.O], [dz, dCell, dp, dO]);
            return (dh, dc);
        }
    }
}
