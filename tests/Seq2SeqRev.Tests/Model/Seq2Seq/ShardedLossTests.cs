// ShardedLossTests: training.loss_shard (the generator and the loss computed and backpropagated a few target steps at a
// time, for backprop and checkpointing) and backprop's written-out loss head over the whole sequence (shard 0, the
// default training.loss_head) give the same gradients and the same summed loss as autograd through the whole sequence's
// loss (training.loss_head = autograd, the reference).
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Seq2Seq;

[Collection(TorchRngCollection.Name)]
public sealed class ShardedLossTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("gru", 1, "backprop", 0, 0)]
    [InlineData("lstm", 2, "backprop", 0, 0)]
    [InlineData("revgru", 1, "backprop", 0, 0)]
    [InlineData("gru", 1, "backprop", 1, 0)]
    [InlineData("gru", 2, "backprop", 3, 0)]
    [InlineData("lstm", 1, "backprop", 2, 0)]
    [InlineData("revgru", 1, "backprop", 2, 0)]
    [InlineData("revlstm", 2, "backprop", 1, 0)]
    [InlineData("gru", 1, "checkpoint", 1, 0)]
    [InlineData("gru", 2, "checkpoint", 2, 3)]
    [InlineData("lstm", 1, "checkpoint", 4, 2)]
    [InlineData("lstm", 2, "checkpoint", 1, 0)]
    public void ShardedLossGivesTheWholeLossGradients(string cell, int layers, string memory, int shard, int segment)
    {
        using var scope = NewDisposeScope();
        var bank = cell.StartsWith("rev", StringComparison.Ordinal) ? "emb+slice" : "hidden";
        var config = Seq2SeqTestKit.Config(cell, bank, layers, hidden: 8, dropout: 0.3);
        using var whole = Seq2SeqTestKit.Create(config, "backprop", seed: 5, lossHead: "autograd");
        using var sharded = Seq2SeqTestKit.Create(config, memory, seed: 6, segment: segment, lossShard: shard);
        Seq2SeqTestKit.Pair(whole, sharded);
        for (var seed = 0; seed < 2; seed++)
        {
            var (a, b) = Seq2SeqTestKit.StepBoth(whole, sharded, Seq2SeqTestKit.RandomBatch(40 + seed, batch: 5, maxLength: 9), 31 + seed);
            var (worst, name, allClose) = Seq2SeqTestKit.Compare(Seq2SeqTestKit.Gradients(sharded), Seq2SeqTestKit.Gradients(whole));
            output.WriteLine($"{cell} L{layers} {memory} shard {shard} k={segment}: loss {a.LossSum:R} / {b.LossSum:R}; worst rel {worst:E2} ({name})");
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.Equal(a.LossSum, b.LossSum, 1e-5 * Math.Abs(a.LossSum));
            Assert.True(worst <= 1e-5, $"gradient mismatch {worst:E2} at {name}");
            Assert.True(allClose, "elementwise allclose(rtol 1e-4, atol 1e-7) failed");
        }
    }
}
