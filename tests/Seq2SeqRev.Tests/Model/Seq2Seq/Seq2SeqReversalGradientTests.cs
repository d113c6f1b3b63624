// Seq2SeqReversalGradientTests: training by reversal through the whole seq2seq model gives the same gradients
// as ordinary backprop (ReversibleRnn.ForwardWithGraph) on the same weights and dropout masks, one decoder step at a
// time and in blocks of K steps (training.reversal_block, longer than the sentences included); the
// baselines' checkpoint mode gives the same gradients as their backprop mode.
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Seq2Seq;

[Collection(TorchRngCollection.Name)]
public sealed class Seq2SeqReversalGradientTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("revgru", "emb+slice", 1, 1)]
    [InlineData("revgru", "slice", 1, 1)]
    [InlineData("revgru", "hidden", 1, 1)]
    [InlineData("revgru", "emb", 1, 1)]
    [InlineData("revgru", "emb+slice", 2, 1)]
    [InlineData("revgru", "slice", 2, 1)]
    [InlineData("revgru", "hidden", 2, 1)]
    [InlineData("revlstm", "emb+slice", 1, 1)]
    [InlineData("revlstm", "slice", 1, 1)]
    [InlineData("revlstm", "hidden", 1, 1)]
    [InlineData("revlstm", "emb+slice", 2, 1)]
    [InlineData("revlstm", "slice", 2, 1)]
    [InlineData("revlstm", "hidden", 2, 1)]
    [InlineData("revgru", "emb+slice", 1, 3)]
    [InlineData("revgru", "hidden", 2, 4)]
    [InlineData("revlstm", "emb+slice", 2, 3)]
    [InlineData("revlstm", "slice", 1, 16)]
    public void ReversalGradientsEqualBackprop(string cell, string bank, int layers, int block)
    {
        using var scope = NewDisposeScope();
        var config = Seq2SeqTestKit.Config(cell, bank, layers, hidden: layers == 1 ? 8 : 12, slice: layers == 1 ? 2 : 3, dropout: 0.3);
        using var backprop = Seq2SeqTestKit.Create(config, "backprop", seed: 11);
        using var reversal = Seq2SeqTestKit.Create(config, "reversal", seed: 99, block: block);
        Seq2SeqTestKit.Pair(backprop, reversal);

        for (var seed = 0; seed < 2; seed++)
        {
            var (bp, rev) = Seq2SeqTestKit.StepBoth(backprop, reversal, Seq2SeqTestKit.RandomBatch(100 + seed), 7 + seed);
            var (worst, name, allClose) = Seq2SeqTestKit.Compare(Seq2SeqTestKit.Gradients(reversal), Seq2SeqTestKit.Gradients(backprop));
            output.WriteLine($"{cell} {bank} L{layers} K{block} batch {seed}: loss bp {bp.LossSum:R} rev {rev.LossSum:R}; worst rel {worst:E2} ({name}); allclose {allClose}");
            Assert.Equal(bp.Tokens, rev.Tokens);
            Assert.Equal(bp.LossSum, rev.LossSum, 1e-4 * Math.Abs(bp.LossSum));
            Assert.True(worst <= 1e-5, $"gradient mismatch {worst:E2} at {name}");
            Assert.True(allClose, "elementwise allclose(rtol 1e-4, atol 1e-7) failed");
            Assert.NotNull(rev.Encoder);
            Assert.NotNull(rev.Decoder);
        }
    }

    [Theory]
    [InlineData("gru", 1, 0)]
    [InlineData("gru", 2, 2)]
    [InlineData("lstm", 1, 3)]
    [InlineData("lstm", 2, 0)]
    public void CheckpointGradientsEqualBackprop(string cell, int layers, int segment)
    {
        using var scope = NewDisposeScope();
        var config = Seq2SeqTestKit.Config(cell, "hidden", layers, hidden: 8, dropout: 0.3);
        using var backprop = Seq2SeqTestKit.Create(config, "backprop", seed: 5);
        using var checkpoint = Seq2SeqTestKit.Create(config, "checkpoint", seed: 6, segment: segment);
        Seq2SeqTestKit.Pair(backprop, checkpoint);
        var (bp, cp) = Seq2SeqTestKit.StepBoth(backprop, checkpoint, Seq2SeqTestKit.RandomBatch(3), 21);
        var (worst, name, allClose) = Seq2SeqTestKit.Compare(Seq2SeqTestKit.Gradients(checkpoint), Seq2SeqTestKit.Gradients(backprop));
        output.WriteLine($"{cell} L{layers} k={segment}: loss bp {bp.LossSum:R} cp {cp.LossSum:R}; worst rel {worst:E2} ({name}); allclose {allClose}");
        Assert.Equal(bp.LossSum, cp.LossSum, 1e-4 * Math.Abs(bp.LossSum));
        Assert.True(worst <= 1e-5, $"gradient mismatch {worst:E2} at {name}");
    }
}
