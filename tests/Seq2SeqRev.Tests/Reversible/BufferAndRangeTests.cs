using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

/// <summary>Long-sequence exactness, buffer efficiency against the optimum and the reference scheme,
/// and the fixed-point range error.</summary>
public class BufferAndRangeTests(ITestOutputHelper output)
{
    private static ReversalCheckResult Check(ReversibleCellKind cell, string bits, int steps, int slice, int batch = 32) =>
        ReversalCheck.Run(new ReversalCheckOptions(cell, 300, 300, 1, batch, steps, ForgetLimit.Parse(bits), slice, 17));

    [Theory]
    [InlineData(ReversibleCellKind.RevGRU, "1")]
    [InlineData(ReversibleCellKind.RevLSTM, "none")]
    public void LongSequencesReverseExactly(ReversibleCellKind cell, string bits)
    {
        var r = Check(cell, bits, 1000, 20);
        Assert.True(r.Exact, $"{r.MismatchedValues} mismatched values");
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(ReversibleCellKind.RevGRU, "2")] [InlineData(ReversibleCellKind.RevGRU, "3")]
    [InlineData(ReversibleCellKind.RevGRU, "5")] [InlineData(ReversibleCellKind.RevGRU, "none")]
    [InlineData(ReversibleCellKind.RevLSTM, "1")] [InlineData(ReversibleCellKind.RevLSTM, "2")]
    [InlineData(ReversibleCellKind.RevLSTM, "3")] [InlineData(ReversibleCellKind.RevLSTM, "5")]
    public void LongSequencesReverseExactlyAllLimits(ReversibleCellKind cell, string bits)
    {
        var r = Check(cell, bits, 1000, 20);
        Assert.True(r.Exact, $"{r.MismatchedValues} mismatched values");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void OverflowStressReversesExactly()
    {
        // 5000 steps at up to 5 bits per multiply: every register spills many chunks.
        var r = Check(ReversibleCellKind.RevGRU, "5", 5000, 0);
        Assert.True(r.Exact, $"{r.MismatchedValues} mismatched values");
        Assert.True(r.ActualBits > 10L * InformationBuffer.ChunkBits * 32 * 150, "expected many spilled chunks");
    }

    [Fact]
    public void ManySpillsAtShortLengthReverseExactly()
    {
        // Small registers fill fast with no limit (up to 10 bits per multiply); LSTM has 4 sites per step.
        var r = ReversalCheck.Run(new ReversalCheckOptions(ReversibleCellKind.RevLSTM, 16, 8, 2, 8, 400, ForgetLimit.None, 3, 5, WeightScale: 4));
        Assert.True(r.Exact, $"{r.MismatchedValues} mismatched values");
        Assert.True(r.ActualBits > 4 * 8 * 8 * InformationBuffer.ChunkBits, "expected spilled chunks");
    }

    [Theory]
    [InlineData(25)]
    [InlineData(100)]
    [InlineData(1000)]
    public void ActualBitsWithinOneAndAHalfTimesOptimal(int steps)
    {
        // 3-bit limit, H = 300, B = 32, random gates; no slice so only the buffer is measured.
        var r = Check(ReversibleCellKind.RevGRU, "3", steps, 0);
        var ratio = r.ActualBits / r.OptimalBits;
        var reference = r.ReferenceSchemeBits!.Value / r.OptimalBits;
        output.WriteLine($"T={steps}: actual/optimal = {ratio:F3}, reference scheme/optimal = {reference:F3}");
        Assert.True(r.Exact);
        Assert.True(ratio <= 1.5, $"actual/optimal = {ratio:F3} > 1.5 at T = {steps}");
        Assert.True(ratio >= 1.0, $"actual below optimal ({ratio:F3}): the accounting is wrong");
        Assert.True(r.ActualBits < r.ReferenceSchemeBits!.Value, "should store less than the whole-batch 64-bit scheme");
    }

    [Fact]
    public void StateOutOfRangeRaisesNamingLayerAndStep()
    {
        using var _ = NewDisposeScope();
        using var no = no_grad();
        // RevLSTM without forgetting on h (p ≈ 1) and o·tanh(c) ≈ 1 adds about 1 to h every step: |h| reaches
        // 256 = 2^31 / 2^23 after about 256 steps and must raise instead of wrapping.
        var rnn = new ReversibleRnn("enc", ReversibleCellKind.RevLSTM, 2, 4, 1, ForgetLimit.None);
        foreach (var p in rnn.parameters()) p.zero_();
        foreach (var (name, p) in rnn.named_parameters())
            if (name.EndsWith("bias")) p.fill_(Scalars.Float32(20f));
        var x = zeros(400, 1, 2);
        var e = Assert.Throws<StateRangeException>(() => rnn.Forward(t => x[t], 400, null, rnn.ZeroState(1)));
        Assert.Contains("enc.layer0", e.Message);
        Assert.InRange(e.Step, 200, 300);
    }
}
