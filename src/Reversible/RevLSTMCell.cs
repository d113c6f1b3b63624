// RevLSTMCell: the reversible LSTM cell (MacKay et al. 2018 §3.2) in fixed point. Guarantees: Reverse rebuilds the
// previous state [h1, h2, c1, c2] bit for bit from the next state and the information buffer; an out-of-range state
// is reported (StateRangeException), never wrapped.
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
    private readonly Linear[] gateLayers;

    public RevLSTMCell(int inputSize, int hiddenSize, ForgetLimit limit, FixedPointFormat? format = null)
        : base(nameof(RevLSTMCell), inputSize, hiddenSize, limit, format ?? FixedPointFormat.Default)
    {
        ih2_to_zgfop1 = nn.Linear(inputSize + Half, 5 * Half);
        ih1_to_zgfop2 = nn.Linear(inputSize + Half, 5 * Half);
        RegisterComponents();
        gateLayers = [ih2_to_zgfop1, ih1_to_zgfop2];
    }

    public override int PartCount => 4;

    protected override string PartName(int index) => index switch { 0 => "h1", 1 => "h2", 2 => "c1", _ => "c2" };

    /// <summary>The gates of one half from the other half's h (<see cref="Other"/>): σ of the keep gates' pre-activations
    /// (z and p = m·σ + (1 − m) are the sites', GateSites), g = tanh, f and o = σ.</summary>
    private sealed record Gates(Tensor SigmaZ, Tensor G, Tensor F, Tensor O, Tensor SigmaP, Tensor Other)
    {
        /// <summary>The c site: keep gate z, update f ⊙ g.</summary>
        public SiteGates CellSite => SiteGates.Product(SigmaZ, F, G);
        /// <summary>The h site: keep gate p, update o ⊙ tanh(c^t).</summary>
        public SiteGates HiddenSite(Tensor tanhC) => SiteGates.Product(SigmaP, O, tanhC);
    }

    /// <summary>Gate layer 0 updates half 1 (from h2), 1 updates half 2 (from h1).</summary>
    protected override IReadOnlyList<Linear> GateLayers => gateLayers;

    private Gates Compute(CellInput input, int half, Tensor otherH)
    {
        var a = Linear(input, half, otherH).chunk(5, 1);   // one call for the five views (the columns narrow gives)
        var sigmaZ = sigmoid(a[0]);
        var g = tanh(a[1]);
        var f = sigmoid(a[2]);
        var o = sigmoid(a[3]);
        var sigmaP = sigmoid(a[4]);
        return new Gates(sigmaZ, g, f, o, sigmaP, otherH);
    }

    private protected override CellState Run(CellInput input, CellState state, ForwardSites sites)
    {
        var g1 = Compute(input, 0, state[1].Float);
        var c1 = sites.Next(state[2], g1.CellSite, 2);
        var h1 = sites.Next(state[0], g1.HiddenSite(tanh(c1.Float)), 0);
        var g2 = Compute(input, 1, h1.Float);
        var c2 = sites.Next(state[3], g2.CellSite, 3);
        var h2 = sites.Next(state[1], g2.HiddenSite(tanh(c2.Float)), 1);
        return new CellState([h1, h2, c1, c2]);
    }

    private protected override CellBackstep Back(CellInput input, CellState next, Inverter source)
    {
        var g2 = Compute(input, 1, Format.ToFloat(next[0].Int));
        var tanhC2 = tanh(next[3].Float);
        var (h2, p2) = source.Previous(next[1], g2.HiddenSite(tanhC2), 1);
        var (c2, z2) = source.Previous(next[3], g2.CellSite, 3);
        var g1 = Compute(input, 0, Format.ToFloat(h2));
        var tanhC1 = tanh(next[2].Float);
        var (h1, p1) = source.Previous(next[0], g1.HiddenSite(tanhC1), 0);
        var (c1, z1) = source.Previous(next[2], g1.CellSite, 2);
        var previous = new CellState([new Part(h1, null, Format), new Part(h2, null, Format), new Part(c1, null, Format), new Part(c2, null, Format)]);
        return new Backstep(this, previous, source.Active, input, new KeptHalf(g1, z1, p1, tanhC1), new KeptHalf(g2, z2, p2, tanhC2));
    }

    /// <summary>One half's gates as a reverse step keeps them: the gates, the keep gates z and p the sites used, and
    /// tanh(c^t).</summary>
    private sealed record KeptHalf(Gates Gates, Tensor Z, Tensor P, Tensor TanhC);

    /// <summary>Backpropagation of one reversed step, written out, half 2 then half 1. Within a half the h site's update
    /// o ⊙ tanh(c^t) sends dL/do = g_u ⊙ tanh(c^t) to the gate and g_u ⊙ o ⊙ (1 − tanh²) into c^t, which joins c^t's
    /// own gradient before the c site (as autograd does through ForwardWithGraph); the half's gates' gradient into the
    /// other half's h joins that h's.</summary>
    private sealed class Backstep(RevLSTMCell cell, CellState previous, Tensor? active, CellInput input,
        KeptHalf k1, KeptHalf k2) : CellBackstep(previous)
    {
        public override StepGradient Backward(IReadOnlyList<Tensor> nextGrads, GateGradients grads)
        {
            using var _ = no_grad();
            if (cell.Forgetting == ForgettingImplementation.Fused) return FusedBackward(nextGrads, grads);
            var (dh2, dc2, dA2, dh1FromGates) = Half(nextGrads[1], nextGrads[3], 1, 3, k2, grads);
            var (dh1, dc1, dA1, dh2FromGates) = Half(nextGrads[0].add(dh1FromGates, Scalars.UnitAlpha), nextGrads[2], 0, 2, k1, grads);
            return new StepGradient([dh1, dh2.add(dh2FromGates, Scalars.UnitAlpha), dc1, dc2], [dA1, dA2]);
        }

        /// <summary>The same gradients with each half's elementwise chain in one managed pass (BackwardSites), the
        /// products with the weights in LibTorch: bit-identical to the tensor path above.</summary>
        private StepGradient FusedBackward(IReadOnlyList<Tensor> nextGrads, GateGradients grads)
        {
            var (dh2, dc2, dA2, dh1FromGates) = FusedHalf(nextGrads[1], null, nextGrads[3], 1, 3, k2, grads);
            var (dh1, dc1, dA1, dh2FromGates) = FusedHalf(nextGrads[0], dh1FromGates, nextGrads[2], 0, 2, k1, grads);
            return new StepGradient([dh1, BackwardSites.AddInPlace(dh2, dh2FromGates), dc1, dc2], [dA1, dA2]);
        }

        private (Tensor DH, Tensor DC, Tensor DA, Tensor DOther) FusedHalf(Tensor gh, Tensor? addend, Tensor gc, int h, int c,
            KeptHalf k, GateGradients grads)
        {
            var g = k.Gates;
            var (dh, dc, dA) = BackwardSites.LstmHalf(cell, gh, addend, gc, Previous[h].Int, Previous[c].Int, k.P, k.Z, k.TanhC,
                g.SigmaZ, g.G, g.F, g.O, g.SigmaP, active);
            return (dh, dc, dA, OtherBackward(input, grads, h, dA, g.Other, null));
        }

        private (Tensor DH, Tensor DC, Tensor DA, Tensor DOther) Half(Tensor gh, Tensor gc, int h, int c, KeptHalf k, GateGradients grads)
        {
            var (g, tanhC) = (k.Gates, k.TanhC);
            var (dh, dp, du) = cell.SiteGradient(gh, Previous[h].Int, k.P, active);
            var dO = du.mul(tanhC);
            var gcTotal = gc.add(du.mul(g.O).mul(tanhC.mul(tanhC).neg_().add_(Scalars.Int64(1), Scalars.UnitAlpha)), Scalars.UnitAlpha);
            var (dc, dz, dCell) = cell.SiteGradient(gcTotal, Previous[c].Int, k.Z, active);
            // The five chunks' pre-activation gradients, in the layer's order [z; g; f; o; p].
            var dA = cat([
                cell.BoundedGateBackward(dz, g.SigmaZ),
                TanhBackward(dCell.mul(g.F), g.G),
                SigmoidBackward(dCell.mul(g.G), g.F),
                SigmoidBackward(dO, g.O),
                cell.BoundedGateBackward(dp, g.SigmaP)], 1);
            return (dh, dc, dA, OtherBackward(input, grads, h, dA, g.Other, null));
        }
    }
}
