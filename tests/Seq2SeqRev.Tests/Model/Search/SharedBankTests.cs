// SharedBankTests: the search keeps the memory bank and the source mask without copying while every row stays with its
// source, and translates exactly as when they are copied every step (the behaviour before): the same tokens, the same
// scores to the last bit and the same attention weights, with beam 5 and greedy search, for a GRU and a RevGRU model.
using Seq2SeqRev.Model;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Reversible;
using Xunit;
using static TorchSharp.torch;
using Seq2SeqRev.Tests.Model.Seq2Seq;

namespace Seq2SeqRev.Tests.Model.Search;

/// <summary>The model, with states whose rows' sources are unknown: every Select copies the bank and the mask.</summary>
internal sealed class CopyingBankDecoder(Seq2SeqModel model) : IStepDecoder
{
    public int BosId => model.BosId;
    public int EosId => model.EosId;
    public int PadId => model.PadId;

    public DecoderState Start(IReadOnlyList<int[]> sources)
    {
        using var state = model.Start(sources);
        using var identity = tensor(Enumerable.Range(0, (int)state.Rows).Select(i => (long)i).ToArray());
        return state.Select(identity);   // Select without host rows: the state forgets its rows' sources
    }

    public (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state) => model.Step(previousTokens, state);

    public (Tensor LogProbs, DecoderState Next, Tensor? Attention) StepWithAttention(Tensor previousTokens, DecoderState state) =>
        model.StepWithAttention(previousTokens, state);
}

[Collection(TorchRngCollection.Name)]
public sealed class SharedBankTests
{
    private static int[][] Sources(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, random.Next(0, 12)).Select(_ => random.Next(4, Seq2SeqTestKit.Vocab)).ToArray())];
    }

    [Theory]
    [InlineData("gru", "hidden", 5)]
    [InlineData("gru", "hidden", 1)]
    [InlineData("revgru", "emb+slice", 5)]
    [InlineData("revgru", "emb+slice", 1)]
    [InlineData("revlstm", "emb+slice", 3)]
    public void TranslationsEqualThoseWithTheBankCopiedEveryStep(string cell, string bank, int beam)
    {
        using var scope = NewDisposeScope();
        var memory = cell.StartsWith("rev", StringComparison.Ordinal) ? "reversal" : "backprop";
        using var trainable = Seq2SeqTestKit.Create(Seq2SeqTestKit.Config(cell, bank, layers: 2, hidden: 16), memory, seed: 11);
        var model = (Seq2SeqModel)trainable.Module;
        model.eval();
        var copying = new CopyingBankDecoder(model);
        using (var probe = copying.Start(Sources(1, 3))) Assert.Null(((Seq2SeqState)probe).Sources);   // the reference really copies
        var sources = Sources(7, 13);
        var options = new SearchOptions(BeamSize: beam, NBest: beam, KeepAttention: true, MaxLengthRatio: 3);
        IReadOnlyList<IReadOnlyList<Hypothesis>> Search(IStepDecoder decoder) => beam == 1
            ? [.. GreedySearch.Translate(decoder, sources, options).Select(h => (IReadOnlyList<Hypothesis>)[h])]
            : BeamSearch.Translate(decoder, sources, options);
        var shared = Search(model);
        var copied = Search(copying);
        Assert.Equal(copied.Count, shared.Count);
        for (int i = 0; i < copied.Count; i++)
        {
            Assert.Equal(copied[i].Count, shared[i].Count);
            for (int j = 0; j < copied[i].Count; j++)
            {
                var (a, b) = (copied[i][j], shared[i][j]);
                Assert.Equal(a.Tokens, b.Tokens);
                Assert.Equal(BitConverter.DoubleToInt64Bits(a.Score), BitConverter.DoubleToInt64Bits(b.Score));
                Assert.Equal(BitConverter.DoubleToInt64Bits(a.LogProb), BitConverter.DoubleToInt64Bits(b.LogProb));
                Assert.Equal(a.Attention!.Length, b.Attention!.Length);
                for (int k = 0; k < a.Attention.Length; k++) Assert.Equal(a.Attention[k], b.Attention[k]);
            }
        }
    }

    [Fact]
    public void SelectKeepsTheBankWhileRowsStayWithTheirSourceAndCopiesOtherwise()
    {
        using var scope = NewDisposeScope();
        using var trainable = Seq2SeqTestKit.Create(Seq2SeqTestKit.Config("gru", "hidden", hidden: 8), "backprop", seed: 3);
        var model = (Seq2SeqModel)trainable.Module;
        using var start = (Seq2SeqState)model.Start(Sources(2, 3));
        // Beam-like expansion: each source's row twice (sources change: copied).
        long[] expand = [0, 0, 1, 1, 2, 2];
        using var expandIndex = tensor(expand);
        using var expanded = (Seq2SeqState)start.Select(expand, expandIndex);
        Assert.Equal([0, 0, 1, 1, 2, 2], expanded.Sources);
        using (var reference = (Seq2SeqState)start.Select(expandIndex)) AssertSameValues(reference, expanded);

        // Reordering within each source (beam parents): the bank and mask are kept, the hidden state is selected.
        long[] within = [1, 1, 2, 3, 5, 4];
        using var withinIndex = tensor(within);
        using var kept = (Seq2SeqState)expanded.Select(within, withinIndex);
        using (var reference = (Seq2SeqState)expanded.Select(withinIndex)) AssertSameValues(reference, kept);

        // A source finishes: rows move, so the bank is copied.
        long[] shrink = [0, 1, 4, 5];
        using var shrinkIndex = tensor(shrink);
        using var shrunk = (Seq2SeqState)kept.Select(shrink, shrinkIndex);
        Assert.Equal([0, 0, 2, 2], shrunk.Sources);
        using (var reference = (Seq2SeqState)kept.Select(shrinkIndex)) AssertSameValues(reference, shrunk);

        // Which banks share memory: writing into the expanded bank shows in the kept one only.
        using var before = shrunk.Bank.clone();
        using var expandedBefore = expanded.Bank.clone();
        expanded.Bank.add_(Scalars.Float32(1f), Scalars.UnitAlpha);
        Assert.True(Same(kept.Bank, expanded.Bank), "the kept bank is the expanded one");
        Assert.True(Same(shrunk.Bank, before), "the shrunk bank is a copy");
        Assert.True(Same(start.Bank.index_select(0, expandIndex), expandedBefore), "the expanded bank was a copy");
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    private static void AssertSameValues(Seq2SeqState expected, Seq2SeqState actual)
    {
        Assert.True(Same(expected.Bank, actual.Bank), "bank");
        Assert.True(Same(expected.SourceMask, actual.SourceMask), "mask");
        Assert.True(actual.Bank.is_contiguous(), "contiguous bank");
        var (e, a) = (expected.Hidden, actual.Hidden);
        for (int l = 0; l < e.Length; l++)
            for (int p = 0; p < e[l].Length; p++) Assert.True(Same(e[l][p], a[l][p]), $"hidden {l}/{p}");
    }
}
