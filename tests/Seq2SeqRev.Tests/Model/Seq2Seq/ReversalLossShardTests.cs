// ReversalLossShardTests: training by reversal with its blocks' generator and loss in pieces of N decoder steps
// (training.reversal_loss_shard) gives backprop's loss and gradients at 1e-5 relative, for pieces that do and do not
// divide the block, one step, and the whole block (0), both cells, padded batches. Runs alone (TorchRngCollection):
// both models' dropout masks come from torch's reseeded global generator.
using Seq2SeqRev.Training;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Seq2Seq;

[Collection(TorchRngCollection.Name)]
public sealed class ReversalLossShardTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("revgru", 4, 0)]
    [InlineData("revgru", 4, 1)]
    [InlineData("revgru", 4, 3)]
    [InlineData("revlstm", 3, 2)]
    [InlineData("revlstm", 1, 1)]
    public void PiecesOfTheBlockLossGiveBackpropGradients(string cell, int block, int shard)
    {
        using var scope = NewDisposeScope();
        var config = Seq2SeqTestKit.Config(cell, "emb+slice", layers: 1, hidden: 8, slice: 2, dropout: 0.3);
        using var backprop = Seq2SeqTestKit.Create(config, "backprop", seed: 11);
        using var reversal = Seq2SeqTestKit.Create(config, "reversal", seed: 99, block: block, reversalLossShard: shard);
        Seq2SeqTestKit.Pair(backprop, reversal);
        var batch = Seq2SeqTestKit.RandomBatch(301, batch: 5, minLength: 1, maxLength: 9);
        var (bp, rev) = Seq2SeqTestKit.StepBoth(backprop, reversal, batch, 5);
        var (worst, name, allClose) = Seq2SeqTestKit.Compare(Seq2SeqTestKit.Gradients(reversal), Seq2SeqTestKit.Gradients(backprop));
        output.WriteLine($"{cell} K{block} shard {shard}: loss bp {bp.LossSum:R} rev {rev.LossSum:R}; worst rel {worst:E2} ({name})");
        Assert.Equal(bp.LossSum, rev.LossSum, 1e-4 * Math.Abs(bp.LossSum));
        Assert.True(worst <= 1e-5, $"gradient mismatch {worst:E2} at {name}");
        Assert.True(allClose, "elementwise allclose(rtol 1e-4, atol 1e-7) failed");
    }
}
