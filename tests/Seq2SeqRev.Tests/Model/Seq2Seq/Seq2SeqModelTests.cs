// Seq2SeqModelTests: every cell × memory bank × attention builds and learns a tiny batch; the
// IStepDecoder contract (shapes, greedy search); memory accounting of training by reversal.
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Seq2Seq;

[Collection(TorchRngCollection.Name)]
public sealed class Seq2SeqModelTests(ITestOutputHelper output)
{
    public static TheoryData<string, string, string> Combinations()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var cell in SettingNames.Cells.Names)
            foreach (var bank in ModelConfig.IsReversibleCell(SettingNames.Cells.Parse(cell)) ? SettingNames.MemoryBanks.Names : ["hidden"])
                foreach (var attention in SettingNames.Attentions.Names)
                    data.Add(cell, bank, attention);
        return data;
    }

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Combinations))]
    public void EveryCombinationTrainsOnATinyBatch(string cell, string bank, string attention)
    {
        using var scope = NewDisposeScope();
        // emb 8 + slice 4 = hidden 12, so "dot" is defined for emb+slice and hidden.
        var config = Seq2SeqTestKit.Config(cell, bank, hidden: 12, slice: 4, attention: attention, dropout: 0, paramInit: 0.1);
        var contextSize = bank switch { "hidden" => 12, "slice" => 4, "emb" => 8, _ => 12 };
        var memory = ModelConfig.IsReversibleCell(SettingNames.Cells.Parse(cell)) ? "reversal" : "backprop";
        if (attention == "dot" && contextSize != 12)
        {
            Assert.Throws<ArgumentException>(() => Seq2SeqTestKit.Create(config, memory, 1));
            return;
        }
        using var model = Seq2SeqTestKit.Create(config, memory, 1);
        model.Module.train();
        var batch = Seq2SeqTestKit.RandomBatch(5);
        var losses = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            var r = model.TrainStep(batch);
            Assert.True(double.IsFinite(r.LossSum));
            losses.Add(r.LossSum / r.Sentences);
            Seq2SeqTestKit.SgdStep(model, 0.5);
        }
        output.WriteLine($"{cell} {bank} {attention}: {string.Join(" ", losses.Select(l => l.ToString("F3")))}");
        Assert.True(losses[^1] < losses[0] - 0.5, "loss did not decrease");
    }

    [Fact]
    public void CheckpointModeIsRejectedForReversibleCells() =>
        Assert.Throws<NotSupportedException>(() => Seq2SeqTestKit.Create(Seq2SeqTestKit.Config("revgru", "emb+slice"), "checkpoint", 1));

    [Theory]
    [InlineData("gru", "hidden")]
    [InlineData("lstm", "hidden")]
    [InlineData("revgru", "emb+slice")]
    [InlineData("revlstm", "hidden")]
    public void StepDecoderShapesAndGreedySearch(string cell, string bank)
    {
        using var scope = NewDisposeScope();
        using var model = Seq2SeqTestKit.Create(Seq2SeqTestKit.Config(cell, bank, layers: 2, hidden: 8), "backprop", 3);
        model.Module.eval();
        var sources = new[] { new[] { 5, 6, 7 }, Array.Empty<int>(), new[] { 9 } };
        using (var state = model.Start(sources))
        {
            Assert.Equal(3, state.Rows);
            using var prev = tensor(new long[] { 2, 2, 2 });
            var (logProbs, next) = model.Step(prev, state);
            using (logProbs)
            using (next)
            {
                Assert.Equal(new long[] { 3, Seq2SeqTestKit.Vocab }, logProbs.shape);
                Assert.Equal(ScalarType.Float32, logProbs.dtype);
                Assert.Equal(3, next.Rows);
                Assert.True(logProbs.exp().sum(1).sub(Scalars.Int64(1)).abs().max().item<float>() < 1e-4);
                // The input state is untouched and can be stepped again with the same result.
                var (again, next2) = model.Step(prev, state);
                using (again) using (next2) Assert.True(again.equal(logProbs).all().item<bool>());
            }
        }
        var hyps = GreedySearch.Translate(model, sources, new SearchOptions(BeamSize: 1));
        Assert.Equal(3, hyps.Count);
        output.WriteLine(string.Join(" | ", hyps.Select(h => string.Join(" ", h.Tokens))));
    }

    [Theory]
    [InlineData("revgru")]
    [InlineData("revlstm")]
    public void ReversalReportsMemorySavings(string cell)
    {
        using var scope = NewDisposeScope();
        using var model = Seq2SeqTestKit.Create(Seq2SeqTestKit.Config(cell, "emb+slice", hidden: 16, slice: 2), "reversal", 4);
        model.Module.train();
        var batch = Seq2SeqTestKit.RandomBatch(8, batch: 8, minLength: 25, maxLength: 30);
        var r = model.TrainStep(batch);
        Assert.NotNull(r.Encoder);
        Assert.NotNull(r.Decoder);
        output.WriteLine($"{cell}: encoder {r.Encoder} saving {r.Encoder!.SavingActual:F1}x / {r.Encoder.SavingOptimal:F1}x; " +
                         $"decoder {r.Decoder} saving {r.Decoder!.SavingActual:F1}x / {r.Decoder.SavingOptimal:F1}x");
        Assert.True(r.Encoder.Baseline > r.Encoder.Actual);
        Assert.True(r.Decoder.Baseline > r.Decoder.Actual);
        Assert.True(r.Encoder.Actual >= r.Encoder.Optimal);
    }
}
