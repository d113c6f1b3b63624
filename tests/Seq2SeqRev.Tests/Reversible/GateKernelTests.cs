// GateKernelTests: the fused gate arithmetic (GateKernels, GateSites: bounded keep gate, update, then the fused site)
// and the fixed-point → float conversion against the tensor-op reference (ReversibleCell.Bound, SiteGates.Update,
// ForgettingSites, FixedPointFormat.ToFloatByTensorOps).
// Guarantees checked: bit-identical keep gates and updates on random and edge values for every forgetting limit (1, 2,
// 3, 5 bits, none) and both update forms, at lengths that do and do not fill the vector registers; whole stacks of both
// cells at every limit, with padding masks, saved columns and long sequences, give bit-identical states after every
// step, buffers (registers, chunks, reference scheme: sealed, then every 10th reversed step), reconstructions, reversal
// gradients (per step and in blocks) and inference states.
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

public class GateKernelTests
{
    public static TheoryData<string> Limits() => new() { "1", "2", "3", "5", "none" };

    /// <summary>σ values that stress the rounding: uniform, near 0 and 1, exactly 0, 1, ½, subnormal, and the
    /// float neighbours of the quantization midpoints of z.</summary>
    private static float[] Sigmas(Random random, int n, float m)
    {
        var values = new float[n];
        for (var i = 0; i < n; i++)
            values[i] = random.Next(8) switch
            {
                0 => 0f,
                1 => 1f,
                2 => MathF.BitDecrement(1f - (float)random.NextDouble() * 1e-3f),
                3 => (float)random.NextDouble() * 1e-6f,
                4 => float.Epsilon * random.Next(1, 100),
                5 => Math.Clamp(((random.Next(1024) + 0.5f) / 1024f - (1f - m)) / m, 0f, 1f),
                _ => (float)random.NextDouble(),
            };
        return values;
    }

    private static float[] Factors(Random random, int n) =>
        [.. Enumerable.Range(0, n).Select(_ => random.Next(10) == 0 ? (random.Next(2) == 0 ? 0f : -0f) : (float)(random.NextDouble() * 2 - 1))];

    private static void AssertSameBits(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what} {i}: {expected[i]:R} (LibTorch) vs {actual[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Limits))]
    public void GateArithmeticMatchesLibTorchBitForBit(string bits)
    {
        using var _ = NewDisposeScope();
        using var no = no_grad();
        var limit = ForgetLimit.Parse(bits);
        var cell = new RevGRUCell(2, 4, limit);
        var random = new Random(bits.GetHashCode() & 0xffff);
        foreach (var n in new[] { 1, 7, 8, 9, 64, 1037 })
        {
            var sigma = Sigmas(random, n, limit.Scale);
            var a = Factors(random, n);
            var b = Factors(random, n);
            var zExpected = cell.Bound(tensor(sigma)).data<float>().ToArray();
            foreach (var product in new[] { false, true })
            {
                var gates = product ? SiteGates.Product(tensor(sigma), tensor(a), tensor(b)) : SiteGates.Complement(tensor(sigma), tensor(a));
                var uExpected = gates.Update(tensor(zExpected)).data<float>().ToArray();
                var z = new float[n];
                var u = new float[n];
                GateKernels.Compute(sigma, a, product ? b : default, limit.Scale, z, u);
                AssertSameBits(zExpected, z, $"limit {bits}, n {n}: z");
                AssertSameBits(uExpected, u, $"limit {bits}, n {n}, {(product ? "a ⊙ b" : "(1 − z) ⊙ a")}: update");
            }
        }
    }

    [Theory]
    [InlineData(23)]
    [InlineData(10)]
    public void FixedToFloatMatchesLibTorchBitForBit(int radix)
    {
        using var _ = NewDisposeScope();
        var format = new FixedPointFormat(radix, 10);
        var random = new Random(radix);
        var values = new List<long> { 0, 1, -1, long.MaxValue, long.MinValue, (1L << 24) + 1, -((1L << 24) + 1), (1L << 40) + (1L << 16) + 1 };
        for (var i = 0; i < 5000; i++)
            values.Add(random.Next(4) switch
            {
                0 => random.NextInt64(-(1L << 31), 1L << 31),
                1 => random.NextInt64(-(1L << 26), 1L << 26) | 1,       // beyond float's 24 bits: rounding to nearest even
                2 => random.NextInt64(long.MinValue, long.MaxValue),
                _ => random.Next(-1000, 1000),
            });
        var h = tensor(values.ToArray(), [values.Count / 8, 8]);
        var expected = format.ToFloatByTensorOps(h).data<float>().ToArray();
        var fused = GateKernels.FixedToFloat(h, radix);
        Assert.NotNull(fused);
        Assert.Equal(h.shape, fused.shape);
        AssertSameBits(expected, fused.data<float>().ToArray(), $"radix {radix}: value");
        // A strided view and an int32 tensor take the tensor ops, with the same values.
        Assert.Null(GateKernels.FixedToFloat(h.t(), radix));
        AssertSameBits(format.ToFloatByTensorOps(h.t().contiguous()).data<float>().ToArray(), format.ToFloat(h.t()).contiguous().data<float>().ToArray(), "strided");
        Assert.Null(GateKernels.FixedToFloat(h.to(ScalarType.Int32), radix));
    }

    [Theory]
    [InlineData(ReversibleCellKind.RevGRU, "1")]
    [InlineData(ReversibleCellKind.RevGRU, "2")]
    [InlineData(ReversibleCellKind.RevGRU, "3")]
    [InlineData(ReversibleCellKind.RevGRU, "5")]
    [InlineData(ReversibleCellKind.RevGRU, "none")]
    [InlineData(ReversibleCellKind.RevLSTM, "1")]
    [InlineData(ReversibleCellKind.RevLSTM, "2")]
    [InlineData(ReversibleCellKind.RevLSTM, "3")]
    [InlineData(ReversibleCellKind.RevLSTM, "5")]
    [InlineData(ReversibleCellKind.RevLSTM, "none")]
    public void FusedGatesMatchTheReferenceInWholeStacks(ReversibleCellKind kind, string bits)
    {
        using var scope = NewDisposeScope();
        const int steps = 80, batch = 6, input = 5, hidden = 10, layers = 2;
        var rnn = ReversalTestKit.MakeRnn(kind, input, hidden, layers, ForgetLimit.Parse(bits), 3, 61);
        if (kind == ReversibleCellKind.RevLSTM)   // keep c and h of the RevLSTM inside the fixed-point range
            using (no_grad()) foreach (var p in rnn.parameters()) p.mul_(Scalars.Float32(0.5f));
        var (x, lengths) = ReversalTestKit.RandomBatch(steps, batch, input, 67);
        var weights = randn(steps, batch, hidden, generator: new Generator(71));
        static long[] Ints(RnnState s) => [.. s.Layers.SelectMany(c => c.Parts.SelectMany(p => p.Int.data<long>().ToArray()))];

        (List<long[]> States, List<BufferSnapshot> Buffers, List<long[]> Rebuilt, float[][] Grads, float[][] Initial) Run(
            ForgettingImplementation implementation, int block)
        {
            rnn.Forgetting = implementation;
            rnn.zero_grad();
            var states = new List<long[]>();
            var buffers = new List<BufferSnapshot>();
            var tape = rnn.Forward(t => x[t], steps, lengths, rnn.ZeroState(batch), trackReferenceScheme: true,
                onState: (t, s) => states.Add(Ints(s)));
            buffers.Add(tape.Buffer.Snapshot());
            var rebuilt = new List<long[]>();
            var initial = rnn.Backward(tape, t => x[t], block, (t0, outs) => outs.mul(weights.narrow(0, t0, outs.shape[0])).sum(),
                onReconstructed: (t, s) =>
                {
                    rebuilt.Add(Ints(s));
                    if (t % 10 == 0) buffers.Add(tape.Buffer.Snapshot());   // every 10th step: a snapshot copies every chunk
                });
            var grads = rnn.parameters().Select(p => p.grad!.data<float>().ToArray()).ToArray();
            tape.Dispose();
            return (states, buffers, rebuilt, grads, [.. initial.InitialGradients.SelectMany(l => l).Select(g => g.data<float>().ToArray())]);
        }

        foreach (var block in new[] { 1, 5 })
        {
            var reference = Run(ForgettingImplementation.Tensor, block);
            var fused = Run(ForgettingImplementation.Fused, block);
            for (var t = 0; t < reference.States.Count; t++)
                Assert.True(reference.States[t].SequenceEqual(fused.States[t]), $"block {block}: state {t} differs");
            Assert.Equal(reference.Buffers.Count, fused.Buffers.Count);
            for (var i = 0; i < reference.Buffers.Count; i++)
            {
                var difference = reference.Buffers[i].Difference(fused.Buffers[i]);
                Assert.True(difference is null, $"block {block}: buffers differ ({difference}) at snapshot {i}");
            }
            Assert.True(reference.Buffers[0].ChunkWords > 0 || bits == "1", "expected spilled chunks");
            for (var i = 0; i < reference.Rebuilt.Count; i++)
                Assert.True(reference.Rebuilt[i].SequenceEqual(fused.Rebuilt[i]), $"block {block}: rebuilt state {i} differs");
            for (var i = 0; i < reference.Grads.Length; i++) AssertSameBits(reference.Grads[i], fused.Grads[i], $"block {block}, parameter {i}");
            for (var i = 0; i < reference.Initial.Length; i++) AssertSameBits(reference.Initial[i], fused.Initial[i], $"block {block}, initial part {i}");
        }

        // Inference (no buffer): the same states step by step.
        List<long[]> Infer(ForgettingImplementation implementation)
        {
            rnn.Forgetting = implementation;
            var states = new List<long[]>();
            var state = rnn.ZeroState(batch);
            for (var t = 0; t < steps; t++)
            {
                state = rnn.Step(x[t], state, ReversibleRnn.ActiveAt(lengths, t), t);
                states.Add(Ints(state));
            }
            return states;
        }
        var inferred = Infer(ForgettingImplementation.Tensor);
        var inferredFused = Infer(ForgettingImplementation.Fused);
        for (var t = 0; t < steps; t++) Assert.True(inferred[t].SequenceEqual(inferredFused[t]), $"inference state {t} differs");
    }
}
