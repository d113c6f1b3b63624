// FastReversalTests: the fast paths of training by reversal and of inference against their references.
// Guarantees checked:
//  * the fused site-gradient kernel equals the tensor-op straight-through gradient bit for bit (zeros up to sign), and
//    both equal what autograd gives through the straight-through graph of one site;
//  * the fused lossy (inference) site equals the tensor-op reference bit for bit, and both raise the same range error;
//  * whole stacks: inference steps with the fused kernels equal the tensor reference bit for bit;
//  * reversal with each gate evaluated once, per step and in blocks of K steps (K not dividing T), rebuilds every state
//    bit for bit and gives the gradients of ordinary autograd through ForwardWithGraph, for both cells, one to three
//    layers, masks, saved columns (some and all), inter-layer dropout and every forgetting limit, over long sequences;
//  * the fused and tensor site gradients give the same reversal gradients.
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

public class FastReversalTests
{
    // ---- one site ----

    private static (Tensor Grad, Tensor Previous, Tensor Z, Tensor? Active) RandomSite(int seed, int rows, int n, bool masked,
        long maxState = 1L << 31)
    {
        var random = new Random(seed);
        var g = new float[rows * n];
        var p = new long[rows * n];
        var z = new float[rows * n];
        for (var i = 0; i < g.Length; i++)
        {
            g[i] = (float)(random.NextDouble() * 4 - 2) * (random.Next(5) == 0 ? 1e-20f : 1f);
            p[i] = random.Next(4) == 0 ? random.NextInt64(-maxState + 1, maxState) : random.NextInt64(-(1L << 20), 1L << 20);
            z[i] = random.Next(5) switch
            {
                0 => (random.Next(1024) + 0.5f) / 1024f,     // quantization midpoints
                1 => (float)random.NextDouble() * 0.0004f,  // quantizes to 0, clamped to 1
                2 => 1f,
                _ => (float)random.NextDouble(),
            };
        }
        Tensor? active = null;
        if (masked)
        {
            var a = Enumerable.Range(0, rows).Select(_ => random.Next(3) != 0).ToArray();
            a[0] = true;
            a[^1] = false;
            active = tensor(a);
        }
        return (tensor(g, [rows, n]), tensor(p, [rows, n]), tensor(z, [rows, n]), active);
    }

    private static void AssertSameFloats(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.data<float>().ToArray();
        var a = actual.data<float>().ToArray();
        for (var i = 0; i < e.Length; i++)
            Assert.True(e[i] == a[i], $"{what}: element {i} differs: {e[i]:R} vs {a[i]:R}");   // == : zeros equal up to sign
    }

    [Theory]
    [InlineData(7, 9, false)]
    [InlineData(7, 9, true)]
    [InlineData(64, 150, true)]
    [InlineData(1, 1, false)]
    public void SiteGradientKernelEqualsTheReferenceAndAutograd(int rows, int n, bool masked)
    {
        using var scope = NewDisposeScope();
        var format = FixedPointFormat.Default;
        var (g, previous, z, active) = RandomSite(rows * 31 + n, rows, n, masked);
        var fused = ForgettingSites.Gradient(ForgettingImplementation.Fused, format, g, previous, z, active);
        var reference = ForgettingSites.Gradient(ForgettingImplementation.Tensor, format, g, previous, z, active);
        AssertSameFloats(reference.DPrevious, fused.DPrevious, "dL/d previous");
        AssertSameFloats(reference.DGate, fused.DGate, "dL/dz");
        AssertSameFloats(reference.DUpdate, fused.DUpdate, "dL/d update");

        // Autograd through the straight-through graph of the site (the reference the stacks' tests rely on).
        var partFloat = format.ToFloat(previous).requires_grad_(true);
        var zLeaf = z.clone().requires_grad_(true);
        var update = zeros(rows, n).requires_grad_(true);
        var next = ForgettingSites.StraightThrough(format, previous, partFloat, zLeaf, update, active);   // any next ints: same gradient
        torch.autograd.backward([next], [g]);
        AssertSameFloats(partFloat.grad!, fused.DPrevious, "autograd dL/d previous");
        AssertSameFloats(zLeaf.grad!, fused.DGate, "autograd dL/dz");
        AssertSameFloats(update.grad!, fused.DUpdate, "autograd dL/d update");
    }

    [Theory]
    [InlineData(ReversibleCellKind.RevGRU, false)]
    [InlineData(ReversibleCellKind.RevGRU, true)]
    [InlineData(ReversibleCellKind.RevLSTM, true)]
    public void LossySiteKernelEqualsTheReference(ReversibleCellKind kind, bool masked)
    {
        using var scope = NewDisposeScope();
        var random = new Random(masked ? 3 : 4);
        foreach (var radix in new[] { 10, 3 })
        {
            var format = new FixedPointFormat(23, radix);
            var rnn = new ReversibleRnn("rnn", kind, 3, 8, 1, ForgetLimit.None, format: format);
            for (var i = 0; i < 20; i++)
            {
                var (g, h, z, active) = RandomSite(random.Next(), 6, 4, masked, maxState: 1L << 29);
                var update = g.mul(Scalars.Float32(3f));
                long[] Next(ForgettingImplementation implementation)
                {
                    rnn.Forgetting = implementation;
                    return ForgettingSites.Lossy(rnn.CellAt(0), h, z, update, active, 0, i).data<long>().ToArray();
                }
                Assert.Equal(Next(ForgettingImplementation.Tensor), Next(ForgettingImplementation.Fused));
            }
        }
    }

    [Fact]
    public void LossySitesReportTheSameRangeError()
    {
        string Message(ForgettingImplementation implementation)
        {
            using var _ = NewDisposeScope();
            var rnn = new ReversibleRnn("dec", ReversibleCellKind.RevLSTM, 2, 4, 1, ForgetLimit.None) { Forgetting = implementation };
            using (no_grad())
            {
                foreach (var p in rnn.parameters()) p.zero_();
                foreach (var (name, p) in rnn.named_parameters())
                    if (name.EndsWith("bias")) p.fill_(Scalars.Float32(20f));
            }
            var x = zeros(1, 2);
            return Assert.Throws<StateRangeException>(() =>
            {
                var state = rnn.ZeroState(1);
                for (var t = 0; t < 400; t++) state = rnn.Step(x, state, step: t);
            }).Message;
        }
        var fused = Message(ForgettingImplementation.Fused);
        Assert.Equal(Message(ForgettingImplementation.Tensor), fused);
        Assert.Contains("dec.layer0", fused);
    }

    // ---- whole stacks ----

    [Theory]
    [InlineData(ReversibleCellKind.RevGRU, 1)]
    [InlineData(ReversibleCellKind.RevGRU, 3)]
    [InlineData(ReversibleCellKind.RevLSTM, 2)]
    public void InferenceStepsEqualTheReference(ReversibleCellKind kind, int layers)
    {
        using var scope = NewDisposeScope();
        var rnn = ReversalTestKit.MakeRnn(kind, 5, 8, layers, ForgetLimit.Parse("2"), 0, 13);
        var (x, lengths) = ReversalTestKit.RandomBatch(60, 6, 5, 17);
        List<long[]> Run(ForgettingImplementation implementation)
        {
            rnn.Forgetting = implementation;
            var states = new List<long[]>();
            var state = rnn.ZeroState(6);
            for (var t = 0; t < 60; t++)
            {
                state = rnn.Step(x[t], state, ReversibleRnn.ActiveAt(lengths, t), t);
                states.Add([.. state.Layers.SelectMany(c => c.Parts.SelectMany(p => p.Int.data<long>().ToArray()))]);
            }
            return states;
        }
        var reference = Run(ForgettingImplementation.Tensor);
        var fused = Run(ForgettingImplementation.Fused);
        for (var t = 0; t < reference.Count; t++) Assert.True(reference[t].SequenceEqual(fused[t]), $"state after step {t} differs");
    }

    public static TheoryData<ReversibleCellKind, string, int, int, int, int> GradientCases()
    {
        // cell, max forget bits, layers, saved columns (hidden 8: 3 = some of h1, 8 = the whole top state), block, input
        // window (aligned with the block or not, shorter, longer, one step, the whole sequence)
        var data = new TheoryData<ReversibleCellKind, string, int, int, int, int>();
        foreach (var kind in new[] { ReversibleCellKind.RevGRU, ReversibleCellKind.RevLSTM })
        {
            foreach (var bits in new[] { "1", "2", "3", "5", "none" })
                data.Add(kind, bits, bits is "1" or "none" ? 2 : 1, bits == "5" ? 8 : 3, bits is "2" or "none" ? 7 : 1,
                    bits switch { "1" => 4, "2" => 3, "3" => 80, "5" => 1, _ => 7 });
            data.Add(kind, "3", 3, 0, 4, 5);
            data.Add(kind, "3", 2, 8, 80, 4);
            data.Add(kind, "2", 1, 3, 4, 6);
        }
        return data;
    }

    /// <summary>Reversal (per step or in blocks, any input window) against autograd through ForwardWithGraph over 80
    /// steps with random lengths: every rebuilt state bit for bit, every gradient (parameters, inputs, initial state)
    /// close. The stack's window changes after the forward pass: the reversal must use the tape's.</summary>
    [Theory]
    [MemberData(nameof(GradientCases))]
    public void ReversalGradientsEqualAutogradOverLongSequences(ReversibleCellKind kind, string bits, int layers, int saved, int block, int window)
    {
        using var _ = NewDisposeScope();
        const int steps = 80, batch = 5, input = 4, hidden = 8;
        var rnn = ReversalTestKit.MakeRnn(kind, input, hidden, layers, ForgetLimit.Parse(bits), saved, 23);
        rnn.InputWindow = window;
        if (kind == ReversibleCellKind.RevLSTM)   // keep c and h of the RevLSTM inside the fixed-point range over 80 steps
            using (no_grad()) foreach (var p in rnn.parameters()) p.mul_(Scalars.Float32(0.5f));
        var (x, lengths) = ReversalTestKit.RandomBatch(steps, batch, input, 29);
        var g = new Generator(31);
        var weights = randn(steps, batch, hidden, generator: g);
        var initialInts = randint(-(1L << 22), 1L << 22, [layers, rnn.PartCount, batch, hidden / 2], generator: g, dtype: ScalarType.Int64);
        var keep = Scalars.Float32(0.7f);
        IReadOnlyList<Tensor?> masks = [.. Enumerable.Range(0, layers).Select(l => l == 0 ? null : bernoulli(full(batch, hidden, keep), g).div(keep))];
        RnnState Initial(bool graph) => new([.. Enumerable.Range(0, layers).Select(l => new CellState([.. Enumerable.Range(0, rnn.PartCount)
            .Select(p => new Part(initialInts[l][p], graph ? rnn.Format.ToFloat(initialInts[l][p]).requires_grad_(true) : null, rnn.Format))]))]);

        // 1. ordinary autograd through the fixed-point forward
        var x1 = x.clone().requires_grad_(true);
        var initial = Initial(graph: true);
        var (outputs, _) = rnn.ForwardWithGraph(t => x1[t], steps, lengths, initial, masks);
        stack(outputs).mul(weights).sum().backward();
        var expected = rnn.parameters().Select(p => p.grad!.clone()).ToArray();
        var expectedInput = x1.grad!.clone();
        var expectedInitial = initial.Layers.SelectMany(c => c.Parts.Select(p => p.Float.grad!.clone())).ToArray();
        rnn.zero_grad();

        // 2. reversal, checking every rebuilt state against the forward pass
        var recorded = new List<long[]>();
        static long[] Ints(RnnState s) => [.. s.Layers.SelectMany(c => c.Parts.SelectMany(p => p.Int.data<long>().ToArray()))];
        var tape = rnn.Forward(t => x[t], steps, lengths, Initial(graph: false), masks, onState: (t, s) => recorded.Add(Ints(s)));
        Assert.Equal(window, tape.InputWindow);
        rnn.InputWindow = window + 1;
        var rebuilt = 0;
        void Check(int t, RnnState s)
        {
            Assert.True(Ints(s).SequenceEqual(recorded[t]), $"state before step {t} not rebuilt exactly");
            rebuilt++;
        }
        var x2 = x.clone().requires_grad_(true);
        var inputGrads = new Tensor[steps];
        var initialGrad = rnn.Backward(tape, t => x2[t].detach(), block,
            (t0, outs) => outs.mul(weights.narrow(0, t0, outs.shape[0])).sum(),
            inputGradient: (t, grad) => inputGrads[t] = grad.clone().DetachFromDisposeScope(), onReconstructed: Check).InitialGradients;
        Assert.Equal(steps, rebuilt);
        var actual = rnn.parameters().Select(p => p.grad!).ToArray();

        for (var i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"parameter {i}");
        AssertClose(expectedInput, stack(inputGrads), "input");
        var actualInitial = initialGrad.SelectMany(l => l).ToArray();
        for (var i = 0; i < expectedInitial.Length; i++) AssertClose(expectedInitial[i], actualInitial[i], $"initial part {i}");
    }

    [Theory]
    [InlineData(ReversibleCellKind.RevGRU)]
    [InlineData(ReversibleCellKind.RevLSTM)]
    public void FusedAndTensorSiteGradientsGiveTheSameReversalGradients(ReversibleCellKind kind)
    {
        using var _ = NewDisposeScope();
        const int steps = 30, batch = 4, input = 3, hidden = 6;
        var rnn = ReversalTestKit.MakeRnn(kind, input, hidden, 2, ForgetLimit.Parse("2"), 2, 41);
        var (x, lengths) = ReversalTestKit.RandomBatch(steps, batch, input, 43);
        var weights = randn(steps, batch, hidden, generator: new Generator(47));
        Tensor[] Gradients(ForgettingImplementation implementation, int block)
        {
            rnn.Forgetting = implementation;
            rnn.zero_grad();
            var tape = rnn.Forward(t => x[t], steps, lengths, rnn.ZeroState(batch));
            rnn.Backward(tape, t => x[t], block, (t0, outs) => outs.mul(weights.narrow(0, t0, outs.shape[0])).sum());
            return [.. rnn.parameters().Select(p => p.grad!.clone())];
        }
        foreach (var block in new[] { 1, 4 })
        {
            var reference = Gradients(ForgettingImplementation.Tensor, block);
            var fused = Gradients(ForgettingImplementation.Fused, block);
            for (var i = 0; i < reference.Length; i++) AssertSameFloats(reference[i], fused[i], $"block {block}, parameter {i}");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        var diff = expected.sub(actual).norm().item<float>();
        var scale = expected.norm().item<float>();
        Assert.True(scale > 0, $"{what}: zero reference gradient");
        Assert.True(diff <= 1e-5 * scale, $"{what}: ‖Δ‖ = {diff} > 1e-5 · ‖g‖ = {1e-5 * scale}");
    }
}
