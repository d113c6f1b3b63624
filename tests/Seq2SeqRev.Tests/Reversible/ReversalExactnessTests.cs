using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

/// <summary>Reversal reconstructs every hidden state bit for bit.</summary>
public class ReversalExactnessTests
{
    public static TheoryData<ReversibleCellKind, string, int, int> SmallCases()
    {
        var data = new TheoryData<ReversibleCellKind, string, int, int>();
        foreach (var kind in new[] { ReversibleCellKind.RevGRU, ReversibleCellKind.RevLSTM })
            foreach (var bits in new[] { "1", "2", "3", "5", "none" })
                foreach (var layers in new[] { 1, 2 })
                    data.Add(kind, bits, layers, layers == 1 ? 3 : 8); // 8 = the whole top state (the paper's "300H")
        return data;
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void SmallStacksReverseExactly(ReversibleCellKind kind, string bits, int layers, int saved)
    {
        using var _ = NewDisposeScope();
        var rnn = ReversalTestKit.MakeRnn(kind, 5, 8, layers, ForgetLimit.Parse(bits), saved, 7);
        var (x, lengths) = ReversalTestKit.RandomBatch(40, 6, 5, 11);
        var (mismatched, tape) = ReversalTestKit.ForwardAndReverse(rnn, x, lengths);
        Assert.Equal(0, mismatched);
        Assert.True(tape.Bits.ActualBits > 0);
    }
}
