// FusedForgettingTests: the fused forgetting kernels (ForgettingKernels, InformationBuffer.MultiplyAdd /
// SubtractDivide) against the tensor-op reference (ReversibleCell.Site / InverseSite over Multiply / Divide).
// Guarantees checked: LibTorch-identical conversions (round half to even, float32 products, x86 truncation) and
// floor division; bit-identical states, registers, depths, chunk lists, reference scheme and sealed bytes after
// every call, forward and inverse, on random data with negative states, forced spills, masks, 0/some/all exempt
// columns and a tiny forget radix (optimal bits, a float64 statistic, within 1e-12 relative: see
// InformationBuffer.Fused.cs); a buffer filled by one implementation is emptied exactly by the other; whole
// stacks (both cells, one to three layers, saved columns, reference scheme on and off) give the same states,
// tapes and reconstructions; both implementations raise the same errors (out of step, state range).
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

public class FusedForgettingTests
{
    // ---- conversions ----

    private static float[] EdgeFloats(int radix)
    {
        var scale = MathF.ScaleB(1f, radix);
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 0.5f, -0.5f, 1e-30f, -1e-30f, float.Epsilon, -float.Epsilon, 255.99998f, -255.99998f,
            1e10f, -1e10f, 9.3e18f, -9.3e18f, 9.2233715e18f / scale, -9.2233725e18f / scale, 3e38f, -3e38f,
        };
        for (var k = -70; k < 70; k++)
        {
            values.Add((k + 0.5f) / scale);               // exact midpoints: half to even
            values.Add(MathF.BitIncrement((k + 0.5f) / scale));
            values.Add(MathF.BitDecrement((k + 0.5f) / scale));
        }
        var random = new Random(5);
        for (var i = 0; i < 20000; i++) values.Add((float)(random.NextDouble() * 2 - 1));
        for (var i = 0; i < 2000; i++) values.Add(BitConverter.Int32BitsToSingle(random.Next()) * (random.Next(2) == 0 ? 1 : -1));
        return [.. values.Where(float.IsFinite)];
    }

    [Theory]
    [InlineData(23, 10)]
    [InlineData(20, 3)]
    public void ConversionsMatchLibTorch(int hiddenRadix, int forgetRadix)
    {
        using var _ = NewDisposeScope();
        var format = new FixedPointFormat(hiddenRadix, forgetRadix);
        var x = EdgeFloats(hiddenRadix);
        var fixedRef = format.ToFixed(tensor(x)).data<long>().ToArray();
        var gateRef = format.QuantizeForget(tensor(x)).data<long>().ToArray();
        for (var i = 0; i < x.Length; i++)
        {
            Assert.True(fixedRef[i] == ForgettingKernels.ToFixed(x[i], MathF.ScaleB(1f, hiddenRadix)), $"ToFixed({x[i]:R}): torch {fixedRef[i]}");
            Assert.True(gateRef[i] == ForgettingKernels.QuantizeForget(x[i], MathF.ScaleB(1f, forgetRadix)), $"QuantizeForget({x[i]:R}): torch {gateRef[i]}");
        }
    }

    [Fact]
    public void FloatToInt64MatchesLibTorchOutsideTheRange()
    {
        using var _ = NewDisposeScope();
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e19f, -1e19f, 9.2233715e18f, -9.223372e18f];
        var expected = tensor(x).to(ScalarType.Int64).data<long>().ToArray();
        for (var i = 0; i < x.Length; i++) Assert.Equal(expected[i], ForgettingKernels.TorchToInt64(x[i]));
    }

    [Fact]
    public void FloorDivisionMatchesLibTorch()
    {
        using var _ = NewDisposeScope();
        var random = new Random(3);
        var a = Enumerable.Range(0, 5000).Select(i => i < 8 ? (long)(i - 4) : random.NextInt64(-(1L << 40), 1L << 40)).ToArray();
        var b = Enumerable.Range(0, 5000).Select(i => (random.NextInt64(1, 1100)) * (i % 3 == 0 ? -1 : 1)).ToArray();
        var q = tensor(a).floor_divide(tensor(b)).data<long>().ToArray();
        var r = tensor(a).remainder(tensor(b)).data<long>().ToArray();
        for (var i = 0; i < a.Length; i++)
        {
            Assert.Equal(q[i], ForgettingKernels.FloorDiv(a[i], b[i]));
            Assert.Equal(r[i], ForgettingKernels.FloorMod(a[i], b[i]));
        }
    }

    // ---- one buffer, site by site ----

    /// <summary>One site call's inputs.</summary>
    private sealed record SiteCall(Tensor Z, Tensor Update, Tensor? Active);

    private static SiteCall RandomCall(Random random, int rows, int n, int radix, bool masked, bool strong)
    {
        var z = new float[rows * n];
        var u = new float[rows * n];
        var zScale = MathF.ScaleB(1f, radix);
        for (var i = 0; i < z.Length; i++)
        {
            z[i] = (strong ? random.Next(6) : random.Next(10)) switch
            {
                0 => (random.Next(1 << radix) + 0.5f) / zScale,            // midpoints of the quantization
                1 => (float)random.NextDouble() * 0.6f / zScale,          // quantizes to 0, clamped to 1
                2 => 1f,
                _ => strong ? (float)random.NextDouble() * 4f / zScale : (float)random.NextDouble(),
            };
            u[i] = random.Next(4) == 0
                ? (random.Next(-(1 << 23), 1 << 23) + 0.5f) / (1 << 23)  // midpoints of the fixed point
                : (float)(random.NextDouble() * 2 - 1);
        }
        Tensor? active = null;
        if (masked)
        {
            var a = Enumerable.Range(0, rows).Select(_ => random.Next(3) != 0).ToArray();
            a[0] = true;
            active = tensor(a);
        }
        return new SiteCall(tensor(z, [rows, n]), tensor(u, [rows, n]), active);
    }

    /// <summary>The reference site, composed exactly as ReversibleCell.Site composes it.</summary>
    private static Tensor ReferenceSite(InformationBuffer buffer, FixedPointFormat format, Tensor h, SiteCall call, int exempt, out long maxAbs)
    {
        var multiplied = buffer.Multiply(h, format.QuantizeForget(call.Z), call.Z, call.Active, exempt);
        var sum = multiplied.add(format.ToFixed(call.Update), Scalars.UnitAlpha);
        var next = call.Active is null ? sum : where(call.Active.unsqueeze(1), sum, multiplied);
        maxAbs = next.abs().max().item<long>();
        return next;
    }

    /// <summary>The reference inverse, composed exactly as ReversibleCell.InverseSite composes it (without restore).</summary>
    private static Tensor ReferenceInverse(InformationBuffer buffer, FixedPointFormat format, Tensor next, SiteCall call, int exempt)
    {
        var sub = format.ToFixed(call.Update);
        var hz = call.Active is null ? next.sub(sub) : where(call.Active.unsqueeze(1), next.sub(sub), next);
        return buffer.Divide(hz, format.QuantizeForget(call.Z), call.Active, exempt);
    }

    private static Tensor Site(InformationBuffer buffer, FixedPointFormat format, Tensor h, SiteCall call, int exempt, out long maxAbs) =>
        buffer.Implementation == ForgettingImplementation.Fused
            ? buffer.MultiplyAdd(h, call.Z, call.Update, call.Active, exempt, out maxAbs)
            : ReferenceSite(buffer, format, h, call, exempt, out maxAbs);

    private static Tensor Inverse(InformationBuffer buffer, FixedPointFormat format, Tensor next, SiteCall call, int exempt) =>
        buffer.Implementation == ForgettingImplementation.Fused
            ? buffer.SubtractDivide(next, call.Z, call.Update, call.Active, exempt)
            : ReferenceInverse(buffer, format, next, call, exempt);

    private static void AssertSameBuffers(InformationBuffer a, InformationBuffer b, string when)
    {
        var difference = a.Snapshot().Difference(b.Snapshot());
        Assert.True(difference is null, $"{when}: buffers differ in {difference}");
    }

    /// <summary>Optimal bits: the same statistic, rounded differently (LibTorch's log2 and sum vs the kernel's).</summary>
    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= BufferSnapshot.OptimalBitsTolerance * Math.Abs(expected), $"optimal bits {expected:R} vs {actual:R}");

    private static void AssertSameValues(Tensor expected, Tensor actual, string when)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.data<long>().ToArray();
        var a = actual.data<long>().ToArray();
        var first = Enumerable.Range(0, e.Length).FirstOrDefault(i => e[i] != a[i], -1);
        Assert.True(first < 0, $"{when}: value {first} differs: {(first < 0 ? 0 : e[first])} vs {(first < 0 ? 0 : a[first])}");
    }

    public static TheoryData<int, int, int, int, bool, bool, bool> BufferCases()
    {
        // rows, buffer columns, site columns, exempt, masked, strong forgetting (spills), track reference
        var data = new TheoryData<int, int, int, int, bool, bool, bool>();
        foreach (var (rows, columns, n) in new[] { (7, 9, 9), (5, 12, 8), (1, 3, 3) })
            foreach (var exempt in new[] { 0, 2, n })
                foreach (var masked in new[] { false, true })
                {
                    data.Add(rows, columns, n, exempt, masked, true, masked);
                    if (exempt == 2) data.Add(rows, columns, n, exempt, masked, false, !masked);
                }
        return data;
    }

    [Theory]
    [MemberData(nameof(BufferCases))]
    public void FusedSitesMatchTheReferenceCallByCall(int rows, int columns, int n, int exempt, bool masked, bool strong, bool trackReference)
    {
        foreach (var radix in new[] { 10, 2 })
            foreach (var swap in new[] { false, true })
                RunBufferCase(rows, columns, n, exempt, masked, strong, trackReference, new FixedPointFormat(23, radix), swap, seed: rows * 1000 + n * 10 + exempt);
    }

    /// <summary>Forward <c>steps</c> sites on two buffers (reference and fused), comparing after every call; then
    /// seal, unseal and reverse, each buffer with the other implementation when <paramref name="swap"/>.</summary>
    private static void RunBufferCase(int rows, int columns, int n, int exempt, bool masked, bool strong, bool trackReference,
        FixedPointFormat format, bool swap, int seed, int steps = 40)
    {
        using var scope = NewDisposeScope();
        using var no = no_grad();
        var random = new Random(seed);
        using var reference = new InformationBuffer(rows, columns, format, trackReference) { Implementation = ForgettingImplementation.Tensor };
        using var fused = new InformationBuffer(rows, columns, format, trackReference) { Implementation = ForgettingImplementation.Fused };
        var h0 = Enumerable.Range(0, rows * n).Select(_ => random.NextInt64(-(1L << 30), 1L << 30)).ToArray();
        var states = new List<Tensor> { tensor(h0, [rows, n]) };
        var calls = new List<SiteCall>();
        for (var t = 0; t < steps; t++)
        {
            var call = RandomCall(random, rows, n, format.ForgetRadix, masked, strong);
            var expected = Site(reference, format, states[^1], call, exempt, out var expectedMax);
            var actual = Site(fused, format, states[^1], call, exempt, out var actualMax);
            AssertSameValues(expected, actual, $"forward step {t}");
            Assert.Equal(expectedMax, actualMax);
            AssertSameBuffers(reference, fused, $"forward step {t}");
            states.Add(actual);
            calls.Add(call);
        }
        if (strong && exempt < n) Assert.True(reference.Snapshot().ChunkWords > 0, "expected spilled chunks");

        reference.Seal();
        fused.Seal();
        Assert.Equal(reference.ActualBits, fused.ActualBits);
        Assert.Equal(reference.ReferenceSchemeBits, fused.ReferenceSchemeBits);
        AssertSameBuffers(reference, fused, "sealed");
        reference.Unseal();
        fused.Unseal();
        if (swap)
        {
            reference.Implementation = ForgettingImplementation.Fused;
            fused.Implementation = ForgettingImplementation.Tensor;
        }

        for (var t = steps - 1; t >= 0; t--)
        {
            var expected = Inverse(reference, format, states[t + 1], calls[t], exempt);
            var actual = Inverse(fused, format, states[t + 1], calls[t], exempt);
            AssertSameValues(expected, actual, $"inverse step {t}");
            AssertSameBuffers(reference, fused, $"inverse step {t}");
            if (exempt < n)
                AssertSameValues(states[t].narrow(1, exempt, n - exempt), actual.narrow(1, exempt, n - exempt), $"reconstruction at step {t}");
        }
        Assert.True(reference.IsEmpty && fused.IsEmpty);
    }

    [Fact]
    public void RestoreGivesTheSavedExemptColumns()
    {
        using var scope = NewDisposeScope();
        using var no = no_grad();
        var format = FixedPointFormat.Default;
        var random = new Random(8);
        using var buffer = new InformationBuffer(4, 6, format);
        var h = tensor(Enumerable.Range(0, 24).Select(_ => random.NextInt64(-(1L << 30), 1L << 30)).ToArray(), [4, 6]);
        foreach (var exempt in new[] { 3, 6 })
        {
            var call = RandomCall(random, 4, 6, format.ForgetRadix, true, true);
            var next = buffer.MultiplyAdd(h, call.Z, call.Update, call.Active, exempt, out _);
            var saved = h.narrow(1, 0, exempt);    // a strided view, as the tape's saved columns are
            var prev = buffer.SubtractDivide(next, call.Z, call.Update, call.Active, exempt, saved);
            AssertSameValues(h, prev, $"exempt {exempt}");
            if (exempt == 6) Assert.Same(saved, prev);
        }
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void OutOfStepIsReportedByBothImplementations()
    {
        foreach (var implementation in new[] { ForgettingImplementation.Tensor, ForgettingImplementation.Fused })
        {
            using var scope = NewDisposeScope();
            using var no = no_grad();
            var format = FixedPointFormat.Default;
            var random = new Random(1);
            using var buffer = new InformationBuffer(3, 4, format) { Implementation = implementation };
            var h = tensor(new long[12], [3, 4]);
            // Strong forgetting until the last call spills a chunk...
            SiteCall call;
            do
            {
                call = RandomCall(random, 3, 4, format.ForgetRadix, false, true);
                h = Site(buffer, format, h, call, 0, out _);
            } while (buffer.Snapshot().Chunks[^1] is null);
            // ...then reverse it with every row inactive: nobody asks for the stored chunk.
            var frozen = call with { Active = tensor(new[] { false, false, false }) };
            var e = Assert.Throws<InvalidOperationException>(() => Inverse(buffer, format, h, frozen, 0));
            Assert.Contains("out of step", e.Message);
        }
    }

    // ---- whole stacks ----

    public static TheoryData<ReversibleCellKind, int, int, int, bool> StackCases()
    {
        // cell, layers, saved columns (hidden 8: 0, some of h1, the whole top state), forget radix, track reference
        var data = new TheoryData<ReversibleCellKind, int, int, int, bool>();
        foreach (var kind in new[] { ReversibleCellKind.RevGRU, ReversibleCellKind.RevLSTM })
        {
            data.Add(kind, 1, 0, 10, true);
            data.Add(kind, 2, 3, 10, false);
            data.Add(kind, 2, 8, 3, true);
            data.Add(kind, 3, 4, 10, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(StackCases))]
    public void FusedStacksMatchTheReference(ReversibleCellKind kind, int layers, int saved, int radix, bool trackReference)
    {
        using var scope = NewDisposeScope();
        using var no = no_grad();
        var g = new Generator(4);   // not torch's global RNG: tests in parallel cannot change these weights
        var rnn = new ReversibleRnn("rnn", kind, 5, 8, layers, ForgetLimit.None, saved, new FixedPointFormat(23, radix));
        foreach (var p in rnn.parameters()) p.uniform_(-3.0, 3.0, generator: g);   // strong gates: many spills
        const int steps = 30;
        var (x, lengths) = ReversalTestKit.RandomBatch(steps, 5, 5, 21);

        (List<long[]> States, ReversalTape Tape) Forward(ForgettingImplementation implementation)
        {
            rnn.Forgetting = implementation;
            var states = new List<long[]>();
            var tape = rnn.Forward(t => x[t], steps, lengths, rnn.ZeroState(5), trackReferenceScheme: trackReference,
                onState: (t, s) => states.Add([.. s.Layers.SelectMany(c => c.Parts.SelectMany(p => p.Int.data<long>().ToArray()))]));
            return (states, tape);
        }

        var (referenceStates, referenceTape) = Forward(ForgettingImplementation.Tensor);
        var (fusedStates, fusedTape) = Forward(ForgettingImplementation.Fused);
        for (var t = 0; t < referenceStates.Count; t++) Assert.True(referenceStates[t].SequenceEqual(fusedStates[t]), $"state {t} differs");
        AssertSameBuffers(referenceTape.Buffer, fusedTape.Buffer, "sealed tapes");
        Assert.Equal(referenceTape.Bits.ActualBits, fusedTape.Bits.ActualBits);
        AssertClose(referenceTape.Bits.OptimalBits, fusedTape.Bits.OptimalBits);
        Assert.Equal(referenceTape.Bits.ReferenceSchemeBits, fusedTape.Bits.ReferenceSchemeBits);
        Assert.True(referenceTape.Buffer.Snapshot().ChunkWords > 0, "expected spilled chunks");

        // Reverse each tape with the other implementation, comparing the buffers after every step.
        referenceTape.Buffer.Implementation = ForgettingImplementation.Fused;
        fusedTape.Buffer.Implementation = ForgettingImplementation.Tensor;
        var reconstructed = new Dictionary<int, (long[] State, BufferSnapshot Buffer)>();
        rnn.Backward(referenceTape, t => x[t], computeGradients: false, onReconstructed: (t, s) =>
            reconstructed[t] = ([.. s.Layers.SelectMany(c => c.Parts.SelectMany(p => p.Int.data<long>().ToArray()))], referenceTape.Buffer.Snapshot()));
        rnn.Backward(fusedTape, t => x[t], computeGradients: false, onReconstructed: (t, s) =>
        {
            var state = s.Layers.SelectMany(c => c.Parts.SelectMany(p => p.Int.data<long>().ToArray())).ToArray();
            Assert.True(state.SequenceEqual(reconstructed[t].State), $"reconstruction {t} differs between the implementations");
            Assert.True(state.SequenceEqual(referenceStates[t]), $"reconstruction {t} is not the forward state");
            var difference = fusedTape.Buffer.Snapshot().Difference(reconstructed[t].Buffer);
            Assert.True(difference is null, $"buffers differ after reversing step {t}: {difference}");
        });
        referenceTape.Dispose();
        fusedTape.Dispose();
    }

    [Fact]
    public void ReversalCheckIsExactAndIdenticalWithBothImplementations()
    {
        var options = new ReversalCheckOptions(ReversibleCellKind.RevLSTM, 16, 8, 2, 8, 60, ForgetLimit.None, 3, 5, WeightScale: 4);
        var fused = ReversalCheck.Run(options);
        var reference = ReversalCheck.Run(options with { Forgetting = ForgettingImplementation.Tensor });
        Assert.True(fused.Exact, $"{fused.MismatchedValues} mismatched values");
        Assert.True(reference.Exact, $"{reference.MismatchedValues} mismatched values");
        Assert.Equal(reference.ActualBits, fused.ActualBits);
        AssertClose(reference.OptimalBits, fused.OptimalBits);
        Assert.Equal(reference.ReferenceSchemeBits, fused.ReferenceSchemeBits);
        Assert.True(fused.ActualBits > 4 * 8 * 8 * InformationBuffer.ChunkBits, "expected spilled chunks");
    }

    [Fact]
    public void StateOutOfRangeIsReportedAlikeByBothImplementations()
    {
        string Message(ForgettingImplementation implementation)
        {
            using var _ = NewDisposeScope();
            using var no = no_grad();
            var rnn = new ReversibleRnn("enc", ReversibleCellKind.RevLSTM, 2, 4, 1, ForgetLimit.None) { Forgetting = implementation };
            foreach (var p in rnn.parameters()) p.zero_();
            foreach (var (name, p) in rnn.named_parameters())
                if (name.EndsWith("bias")) p.fill_(Scalars.Float32(20f));
            var x = zeros(400, 1, 2);
            return Assert.Throws<StateRangeException>(() => rnn.Forward(t => x[t], 400, null, rnn.ZeroState(1))).Message;
        }
        Assert.Equal(Message(ForgettingImplementation.Tensor), Message(ForgettingImplementation.Fused));
    }
}
