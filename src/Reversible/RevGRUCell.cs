// RevGRUCell: the reversible GRU cell (MacKay et al. 2018 §3) in fixed point. Guarantees: Reverse rebuilds the
// previous state bit for bit from the next state and the information buffer; gates are evaluated identically in
// the forward, reverse and recompute passes.
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
    private readonly Linear[] gateLayers;

    public RevGRUCell(int inputSize, int hiddenSize, ForgetLimit limit, FixedPointFormat? format = null)
        : base(nameof(RevGRUCell), inputSize, hiddenSize, limit, format ?? FixedPointFormat.Default)
    {
        ih2_to_zr1 = nn.Linear(inputSize + Half, hiddenSize);
        irh2_to_g1 = nn.Linear(inputSize + Half, Half);
        ih1_to_zr2 = nn.Linear(inputSize + Half, hiddenSize);
        irh1_to_g2 = nn.Linear(inputSize + Half, Half);
        RegisterComponents();
        gateLayers = [ih2_to_zr1, irh2_to_g1, ih1_to_zr2, irh1_to_g2];
    }

    public override int PartCount => 2;

    protected override string PartName(int index) => index == 0 ? "h1" : "h2";

    /// <summary>Gate layers 0, 1 update half 1 (zr1, g1); 2, 3 update half 2 (zr2, g2).</summary>
    protected override IReadOnlyList<Linear> GateLayers => gateLayers;

    /// <summary>The gates of one half from the other half's float value <see cref="Other"/>: σ of the keep gate's
    /// pre-activation (the bound z = m·σ + (1 − m) and the update (1 − z) ⊙ g are the site's: <see cref="Site"/>), reset
    /// r, r ⊙ other and candidate g.</summary>
    private sealed record HalfGates(Tensor Sigma, Tensor R, Tensor Other, Tensor ROther, Tensor Candidate)
    {
        public SiteGates Site => SiteGates.Complement(Sigma, Candidate);
    }

    /// <summary>The gates of half <paramref name="half"/> (0 or 1) from the other half.</summary>
    private HalfGates Gates(CellInput input, int half, Tensor other)
    {
        var pre = Linear(input, 2 * half, other).chunk(2, 1);   // one call for both views (the columns narrow gives)
        var sigma = sigmoid(pre[0]);
        var r = sigmoid(pre[1]);
        var rOther = r.mul(other);
        var candidate = tanh(Linear(input, 2 * half + 1, rOther));
        return new HalfGates(sigma, r, other, rOther, candidate);
    }

    private protected override CellState Run(CellInput input, CellState state, ForwardSites sites)
    {
        var g1 = Gates(input, 0, state[1].Float);
        var h1 = sites.Next(state[0], g1.Site, 0);
        var g2 = Gates(input, 1, h1.Float);
        var h2 = sites.Next(state[1], g2.Site, 1);
        return new CellState([h1, h2]);
    }

    private protected override CellBackstep Back(CellInput input, CellState next, Inverter source)
    {
        // Half 2 from h1^t, then half 1 from the rebuilt h2^{t-1}: the values the forward pass saw.
        var g2 = Gates(input, 1, Format.ToFloat(next[0].Int));
        var (h2, z2) = source.Previous(next[1], g2.Site, 1);
        var g1 = Gates(input, 0, Format.ToFloat(h2));
        var (h1, z1) = source.Previous(next[0], g1.Site, 0);
        return new Backstep(this, new CellState([new Part(h1, null, Format), new Part(h2, null, Format)]), source.Active,
            input, g1, z1, g2, z2);
    }

    /// <summary>Backpropagation of one reversed step, written out: half 2's site and gates first (their gradient into
    /// h1^t joins h1^t's own), then half 1's (their gradient into h2^{t-1} joins the one through half 2's site).</summary>
    private sealed class Backstep(RevGRUCell cell, CellState previous, Tensor? active, CellInput input,
        HalfGates g1, Tensor z1, HalfGates g2, Tensor z2) : CellBackstep(previous)
    {
        public override StepGradient Backward(IReadOnlyList<Tensor> nextGrads, GateGradients grads)
        {
            using var _ = no_grad();
            if (cell.Forgetting == ForgettingImplementation.Fused) return FusedBackward(nextGrads, grads);
            var (dh2, dz2, du2) = cell.SiteGradient(nextGrads[1], Previous[1].Int, z2, active);
            var (dZr2, dG2, dh1FromGates) = HalfBackward(1, g2, z2, dz2, du2, grads);
            var (dh1, dz1, du1) = cell.SiteGradient(nextGrads[0].add(dh1FromGates, Scalars.UnitAlpha), Previous[0].Int, z1, active);
            var (dZr1, dG1, dh2FromGates) = HalfBackward(0, g1, z1, dz1, du1, grads);
            return new StepGradient([dh1, dh2.add(dh2FromGates, Scalars.UnitAlpha)], [dZr1, dG1, dZr2, dG2]);
        }

        /// <summary>The same gradients with each half's elementwise chain in two managed passes (BackwardSites), the
        /// products with the weights in LibTorch: bit-identical to the tensor path above.</summary>
        private StepGradient FusedBackward(IReadOnlyList<Tensor> nextGrads, GateGradients grads)
        {
            var (dh2, dZr2, dG2, dh1FromGates) = FusedHalf(1, g2, z2, nextGrads[1], null, grads);
            var (dh1, dZr1, dG1, dh2FromGates) = FusedHalf(0, g1, z1, nextGrads[0], dh1FromGates, grads);
            return new StepGradient([dh1, BackwardSites.AddInPlace(dh2, dh2FromGates)], [dZr1, dG1, dZr2, dG2]);
        }

        /// <summary>One half, fused: dL/d(previous part), dL/d of its two gate layers' pre-activations and dL/d other.</summary>
        private (Tensor DPrevious, Tensor DZr, Tensor DG, Tensor DOther) FusedHalf(int half, HalfGates g, Tensor z, Tensor grad,
            Tensor? addend, GateGradients grads)
        {
            var (dPrevious, dG, dZr) = BackwardSites.GruSite(cell, grad, addend, Previous[half].Int, z, g.Sigma, g.Candidate, active);
            var dROther = OtherBackward(input, grads, 2 * half + 1, dG, g.ROther, null);
            var dOther = BackwardSites.GruReset(dROther, g.Other, g.R, dZr);
            return (dPrevious, dZr, dG, OtherBackward(input, grads, 2 * half, dZr, g.Other, dOther));
        }

        /// <summary>From dL/dz and dL/du of half <paramref name="half"/>: dL/d of its two gate layers' pre-activations
        /// (= of their projections) and dL/d other; W_h's gradients accumulate in <paramref name="grads"/>.</summary>
        private (Tensor DZr, Tensor DG, Tensor DOther) HalfBackward(int half, HalfGates g, Tensor z, Tensor dz, Tensor du, GateGradients grads)
        {
            // u = (1 − z) ⊙ c: dc = du ⊙ (1 − z), and z's total gradient dz − du ⊙ c.
            var dCandidate = du.mul(z.neg().add(Scalars.Float32(1f), Scalars.UnitAlpha));
            var dzTotal = dz.sub(du.mul(g.Candidate));   // product and difference each rounded once (no addcmul: see BackwardKernels)
            var dG = TanhBackward(dCandidate, g.Candidate);
            var dROther = OtherBackward(input, grads, 2 * half + 1, dG, g.ROther, null);
            var dZr = cat([cell.BoundedGateBackward(dzTotal, g.Sigma), SigmoidBackward(dROther.mul(g.Other), g.R)], 1);
            var dOther = OtherBackward(input, grads, 2 * half, dZr, g.Other, dROther.mul(g.R));
            return (dZr, dG, dOther);
        }
    }
}
