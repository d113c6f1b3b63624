// ReversalHandOffTests: the explicit hand-off between two stacks' reversals (a decoder's initial state is the encoder's
// final state): keepInitial returns the initial state rebuilt bit for bit, and a tape whose final state was taken
// reverses exactly from the state it is given.
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

public class ReversalHandOffTests
{
    [Theory]
    [InlineData(ReversibleCellKind.RevGRU, 1, 1)]
    [InlineData(ReversibleCellKind.RevGRU, 2, 3)]
    [InlineData(ReversibleCellKind.RevLSTM, 1, 3)]
    [InlineData(ReversibleCellKind.RevLSTM, 2, 1)]
    public void FirstStackReversesFromTheStateTheSecondRebuilt(ReversibleCellKind kind, int layers, int block)
    {
        using var _ = NewDisposeScope();
        const int steps = 30, batch = 4, input = 3, hidden = 8;
        var first = ReversalTestKit.MakeRnn(kind, input, hidden, layers, new ForgetLimit(2), 0, 11);
        var second = ReversalTestKit.MakeRnn(kind, input, hidden, layers, new ForgetLimit(2), 0, 12);
        var (x1, lengths1) = ReversalTestKit.RandomBatch(steps, batch, input, 13);
        var (x2, lengths2) = ReversalTestKit.RandomBatch(steps, batch, input, 14);

        // The first stack's states, recorded, then its final state taken from its tape to start the second stack.
        var recorded = new List<Tensor[]>();
        using var tape1 = first.Forward(t => x1[t], steps, lengths1, first.ZeroState(batch),
            onState: (t, s) => recorded.Add([.. s.Layers.SelectMany(c => c.Parts.Select(p => p.Int.clone().DetachFromDisposeScope()))]));
        var final1 = tape1.TakeFinal();
        var final1Parts = final1.Layers.SelectMany(c => c.Parts.Select(p => p.Int.clone())).ToArray();
        Assert.False(tape1.HoldsFinal);
        Assert.Equal(0, tape1.Bits.FinalStateBits);
        using var tape2 = second.Forward(t => x2[t], steps, lengths2, final1);

        var result = second.Backward(tape2, t => x2[t], block, (t0, outs) => outs.sum(), keepInitial: true);
        var rebuilt = result.RebuiltInitial!;
        var rebuiltParts = rebuilt.Layers.SelectMany(c => c.Parts.Select(p => p.Int)).ToArray();
        Assert.Equal(final1Parts.Length, rebuiltParts.Length);
        for (var i = 0; i < final1Parts.Length; i++) Assert.True(final1Parts[i].equal(rebuiltParts[i]).all().item<bool>(), $"rebuilt initial part {i}");

        // Without a state to start from, the first tape cannot reverse; from the rebuilt one it reverses exactly.
        Assert.Throws<ArgumentException>(() => first.Backward(tape1, t => x1[t], computeGradients: false));
        long mismatched = 0;
        first.Backward(tape1, t => x1[t], computeGradients: false, start: rebuilt, onReconstructed: (t, s) =>
        {
            var parts = s.Layers.SelectMany(c => c.Parts.Select(p => p.Int)).ToArray();
            for (var i = 0; i < parts.Length; i++) mismatched += parts[i].ne(recorded[t][i]).sum().item<long>();
        });
        foreach (var r in recorded) foreach (var x in r) x.Dispose();
        Assert.Equal(0, mismatched);
    }

    [Fact]
    public void AStartStateIsRefusedWhileTheTapeHoldsItsFinalState()
    {
        using var _ = NewDisposeScope();
        var rnn = ReversalTestKit.MakeRnn(ReversibleCellKind.RevGRU, 3, 8, 1, new ForgetLimit(3), 0, 1);
        var (x, lengths) = ReversalTestKit.RandomBatch(5, 2, 3, 2);
        using var tape = rnn.Forward(t => x[t], 5, lengths, rnn.ZeroState(2));
        Assert.True(tape.HoldsFinal);
        Assert.Throws<ArgumentException>(() => rnn.Backward(tape, t => x[t], computeGradients: false, start: rnn.ZeroState(2)));
    }
}
