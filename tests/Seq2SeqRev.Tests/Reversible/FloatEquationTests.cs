// FloatEquationTests: the fixed-point RevGRU and RevLSTM cells compute the paper's floating-point equations (MacKay et al.
// 2018 §3; docs digest §1.1–1.2). With a large hidden radix R = 27 (and forget radix s = 13) and no forgetting limit, the
// states of a stack trained by reversal follow a float64 implementation of the equations, from the same weights and
// inputs, within the rounding the radices imply, per step and unit: 2^(s−R) from the reversible multiply (it puts
// R₁ mod z* ∈ [0, z*) where h·z has (h mod 2^s)·z*/2^s, so it is off by up to z* units of 2^−R), 2^−(s+1)·max|state|
// from quantizing z, 2^−R from rounding the update, and float32 gate arithmetic (~1e-6); accumulated over the steps.
// The default radices (23, 10) follow the equations less closely. Also (slow): stacks of 2 and 3 layers reverse
// exactly over T = 1000 steps.
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

public sealed class FloatEquationTests(ITestOutputHelper output)
{
    private static readonly FixedPointFormat Fine = new(HiddenRadix: 27, ForgetRadix: 13);
    private const int Steps = 6, Batch = 4, Input = 5, Hidden = 8;

    [Theory]
    [InlineData(ReversibleCellKind.RevGRU)]
    [InlineData(ReversibleCellKind.RevLSTM)]
    public void FixedPointCellsFollowTheFloatEquations(ReversibleCellKind kind)
    {
        using var scope = NewDisposeScope();
        var (fine, maxAbs) = MaxDifference(kind, Fine);
        var (coarse, _) = MaxDifference(kind, FixedPointFormat.Default);
        var (r, s) = (Fine.HiddenRadix, Fine.ForgetRadix);
        var bound = Steps * (Math.ScaleB(1, s - r) + Math.ScaleB(1, -(s + 1)) * maxAbs + Math.ScaleB(1, -r) + 1e-6);
        output.WriteLine($"{kind}: max |fixed − float| = {fine:E3} at radices ({r}, {s}), {coarse:E3} at (23, 10); bound {bound:E3} (max |state| {maxAbs:F3})");
        Assert.True(fine <= bound, $"{fine:E3} > {bound:E3}");
        Assert.True(fine < coarse, "a finer radix should follow the float equations more closely");
    }

    /// <summary>Largest |fixed-point state − float64 equations| over all steps, parts and units, and the largest |state|.</summary>
    private static (double Worst, double MaxAbs) MaxDifference(ReversibleCellKind kind, FixedPointFormat format)
    {
        var g = new Generator(3);
        var rnn = new ReversibleRnn("rnn", kind, Input, Hidden, 1, ForgetLimit.None, 0, format);
        using (no_grad())
            foreach (var p in rnn.parameters()) p.uniform_(-1.0, 1.0, generator: g);
        var x = randn(Steps, Batch, Input, generator: g);
        var states = new List<Tensor[]>();
        using var tape = rnn.Forward(t => x[t], Steps, null, rnn.ZeroState(Batch),
            onState: (t, s) => states.Add([.. s[0].Parts.Select(p => p.Int.to(ScalarType.Float64).mul(Scalars.Float64(Math.ScaleB(1, -format.HiddenRadix))).DetachFromDisposeScope())]));
        var w = rnn.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to(ScalarType.Float64));
        var reference = kind == ReversibleCellKind.RevGRU ? RevGru(w, x) : RevLstm(w, x);
        double worst = 0, maxAbs = 0;
        for (var t = 1; t <= Steps; t++)
            for (var i = 0; i < reference[t].Length; i++)
            {
                worst = Math.Max(worst, (states[t][i] - reference[t][i]).abs().max().item<double>());
                maxAbs = Math.Max(maxAbs, reference[t][i].abs().max().item<double>());
            }
        return (worst, maxAbs);
    }

    private static Tensor Affine(Dictionary<string, Tensor> w, string layer, Tensor x, Tensor other) =>
        nn.functional.linear(cat([x, other], 1), w[$"cells.0.{layer}.weight"], w[$"cells.0.{layer}.bias"]);

    /// <summary>RevGRU, float64: [z1; r1] = σ(W [x; h2]), g1 = tanh(W' [x; r1 ⊙ h2]), h1 = z1 h1 + (1 − z1) g1; then half 2
    /// from h1. States [h1, h2] at steps 0..T.</summary>
    private static List<Tensor[]> RevGru(Dictionary<string, Tensor> w, Tensor x)
    {
        const int half = Hidden / 2;
        var h1 = zeros(Batch, half, ScalarType.Float64);
        var h2 = zeros(Batch, half, ScalarType.Float64);
        var result = new List<Tensor[]> { new[] { h1, h2 } };
        (Tensor, Tensor) Half(string zr, string gl, Tensor xt, Tensor own, Tensor other)
        {
            var a = sigmoid(Affine(w, zr, xt, other));
            var z = a.narrow(1, 0, half);
            var r = a.narrow(1, half, half);
            var cand = tanh(Affine(w, gl, xt, r.mul(other)));
            var keepNot = ones_like(z).add(z.neg(), Scalars.UnitAlpha);
            return (z.mul(own).add(keepNot.mul(cand), Scalars.UnitAlpha), z);
        }
        for (var t = 0; t < Steps; t++)
        {
            var xt = x[t].to(ScalarType.Float64);
            (h1, _) = Half("ih2_to_zr1", "irh2_to_g1", xt, h1, h2);
            (h2, _) = Half("ih1_to_zr2", "irh1_to_g2", xt, h2, h1);
            result.Add([h1, h2]);
        }
        return result;
    }

    /// <summary>RevLSTM, float64: a = W [x; h2] cut into z | g | f | o | p; c1 = z c1 + f g; h1 = p h1 + o tanh(c1); then
    /// half 2 from h1. States [h1, h2, c1, c2] at steps 0..T.</summary>
    private static List<Tensor[]> RevLstm(Dictionary<string, Tensor> w, Tensor x)
    {
        const int half = Hidden / 2;
        var h1 = zeros(Batch, half, ScalarType.Float64);
        var h2 = zeros(Batch, half, ScalarType.Float64);
        var c1 = zeros(Batch, half, ScalarType.Float64);
        var c2 = zeros(Batch, half, ScalarType.Float64);
        var result = new List<Tensor[]> { new[] { h1, h2, c1, c2 } };
        (Tensor H, Tensor C) Half(string layer, Tensor xt, Tensor h, Tensor c, Tensor other)
        {
            var a = Affine(w, layer, xt, other);
            Tensor Chunk(int i) => a.narrow(1, i * half, half);
            var (z, g, f, o, p) = (sigmoid(Chunk(0)), tanh(Chunk(1)), sigmoid(Chunk(2)), sigmoid(Chunk(3)), sigmoid(Chunk(4)));
            var cNext = z.mul(c).add(f.mul(g), Scalars.UnitAlpha);
            return (p.mul(h).add(o.mul(tanh(cNext)), Scalars.UnitAlpha), cNext);
        }
        for (var t = 0; t < Steps; t++)
        {
            var xt = x[t].to(ScalarType.Float64);
            (h1, c1) = Half("ih2_to_zgfop1", xt, h1, c1, h2);
            (h2, c2) = Half("ih1_to_zgfop2", xt, h2, c2, h1);
            result.Add([h1, h2, c1, c2]);
        }
        return result;
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(ReversibleCellKind.RevGRU, 2, "3")]
    [InlineData(ReversibleCellKind.RevGRU, 3, "1")]
    [InlineData(ReversibleCellKind.RevLSTM, 2, "none")]
    [InlineData(ReversibleCellKind.RevLSTM, 3, "5")]
    public void MultiLayerStacksReverseExactlyOverLongSequences(ReversibleCellKind kind, int layers, string bits)
    {
        using var scope = NewDisposeScope();
        // An LSTM's cell state c grows with T when little is forgotten (|c| reaches a few hundred here by T ≈ 260): 19
        // fractional bits leave room for |c| < 2^12 in the 32-bit container, the default 23 only for |c| < 2^8.
        var format = kind == ReversibleCellKind.RevLSTM ? new FixedPointFormat(HiddenRadix: 19) : null;
        var rnn = ReversalTestKit.MakeRnn(kind, 16, 32, layers, ForgetLimit.Parse(bits), 4, 23, format);
        var (x, lengths) = ReversalTestKit.RandomBatch(1000, 8, 16, 29);
        var (mismatched, tape) = ReversalTestKit.ForwardAndReverse(rnn, x, lengths);
        output.WriteLine($"{kind} {layers} layers, {bits} bits, T = 1000: {mismatched} mismatched values; held buffer {tape.Bits.ActualBits - tape.Bits.SavedBits:N0} bits");
        Assert.Equal(0, mismatched);
    }
}
