// Tests of BeamSearch and GreedySearch against hand-built and small random step decoders.
// Guarantees checked: beam beats greedy where greedy provably fails, beam 1 == greedy, batching invariance,
// exactness of a wide beam against brute force, n-best order, option errors, length limits, empty sources,
// shrinking batches, and no leaked native tensors.
using Seq2SeqRev.Model.Search;
using TorchSharp;
using Xunit;

namespace Seq2SeqRev.Tests.Model.Search;

public class BeamSearchTests
{
    private const double Tolerance = 1e-6;

    private static List<int[]> RandomSources(RandomGruStepDecoder model, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => model.RandomSource(random, i % 4 == 0 ? 0 : random.Next(1, 9))).ToList();
    }

    [Fact]
    public void TableModel_BeamFindsTheSequenceGreedyMisses()
    {
        using var model = new TableStepDecoder();
        var sources = new List<int[]> { new[] { 5, 6 } };

        var greedy = GreedySearch.Translate(model, sources, new SearchOptions())[0];
        Assert.Equal(new[] { TableStepDecoder.A, TableStepDecoder.C }, greedy.Tokens);
        Assert.Equal(Math.Log(0.6f) + Math.Log(0.3f), greedy.LogProb, 6);

        var beam = BeamSearch.Translate(model, sources, new SearchOptions(BeamSize: 2, NBest: 2))[0];
        Assert.Equal(2, beam.Count);
        Assert.Equal(new[] { TableStepDecoder.B }, beam[0].Tokens);
        Assert.Equal(Math.Log(0.4f) + Math.Log(0.9f), beam[0].LogProb, 6);
        Assert.Equal(new[] { TableStepDecoder.A, TableStepDecoder.C }, beam[1].Tokens);
        Assert.True(beam[0].Score > beam[1].Score);
    }

    [Fact]
    public void TableModel_BeamOneIsGreedy()
    {
        using var model = new TableStepDecoder();
        var sources = new List<int[]> { new[] { 5 }, Array.Empty<int>() };
        var greedy = GreedySearch.Translate(model, sources, new SearchOptions());
        var beam = BeamSearch.Translate(model, sources, new SearchOptions(BeamSize: 1));
        for (int i = 0; i < sources.Count; i++)
        {
            Assert.Equal(greedy[i].Tokens, beam[i][0].Tokens);
            Assert.Equal(greedy[i].LogProb, beam[i][0].LogProb);
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 2)]
    public void BeamOne_EqualsGreedy(int seed, int minLength)
    {
        using var model = new RandomGruStepDecoder(seed, eosBias: 1.0);
        var sources = RandomSources(model, 12, seed);
        var options = new SearchOptions(BeamSize: 1, MinLength: minLength, MaxLengthRatio: 1.5, MaxLengthOffset: 3);
        var greedy = GreedySearch.Translate(model, sources, options);
        var beam = BeamSearch.Translate(model, sources, options);
        for (int i = 0; i < sources.Count; i++)
        {
            Assert.Single(beam[i]);
            Assert.Equal(greedy[i].Tokens, beam[i][0].Tokens);
            Assert.Equal(greedy[i].LogProb, beam[i][0].LogProb);
            Assert.Equal(greedy[i].Score, beam[i][0].Score);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.8)]
    public void Results_DoNotDependOnBatching(double alpha)
    {
        using var model = new RandomGruStepDecoder(3, eosBias: 1.5);
        var sources = RandomSources(model, 11, 42);
        var options = new SearchOptions(BeamSize: 4, NBest: 3, LengthPenaltyAlpha: alpha, MaxLengthRatio: 1.0, MaxLengthOffset: 4);

        var together = BeamSearch.Translate(model, sources, options);
        var oneByOne = sources.SelectMany(s => BeamSearch.Translate(model, [s], options)).ToList();
        var chunked = sources.Chunk(3).SelectMany(c => BeamSearch.Translate(model, c, options)).ToList();
        var greedyTogether = GreedySearch.Translate(model, sources, options);
        var greedyOneByOne = sources.SelectMany(s => GreedySearch.Translate(model, [s], options)).ToList();

        for (int i = 0; i < sources.Count; i++)
        {
            AssertSameList(together[i], oneByOne[i]);
            AssertSameList(together[i], chunked[i]);
            AssertSame(greedyTogether[i], greedyOneByOne[i]);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void WideBeam_IsExact_AgainstBruteForce(double alpha)
    {
        using var model = new RandomGruStepDecoder(11, vocab: 5, eosBias: -0.5); // words 3 and 4 only
        var source = new[] { 3, 4, 3 };
        const int maxLength = 3;
        var options = new SearchOptions(BeamSize: 16, NBest: 5, LengthPenaltyAlpha: alpha, MaxLengthRatio: 0, MaxLengthOffset: maxLength);
        var beam = BeamSearch.Translate(model, [source], options)[0];

        var all = new List<Hypothesis>();
        void Enumerate(List<int> prefix)
        {
            var eos = LogProbOf(model, source, [.. prefix, RandomGruStepDecoder.Eos]);
            all.Add(new Hypothesis([.. prefix], eos / options.LengthPenalty(prefix.Count + 1), eos));
            foreach (var word in new[] { 3, 4 })
            {
                List<int> longer = [.. prefix, word];
                if (longer.Count == maxLength)
                {
                    var forced = LogProbOf(model, source, longer);
                    all.Add(new Hypothesis([.. longer], forced / options.LengthPenalty(maxLength), forced));
                }
                else Enumerate(longer);
            }
        }
        Enumerate([]);
        var expected = all.OrderByDescending(h => h.Score).Take(options.NBest).ToList();
        AssertSameList(expected, beam);
    }

    [Fact]
    public void NBest_IsSortedAndComplete()
    {
        using var model = new RandomGruStepDecoder(5);
        var sources = RandomSources(model, 6, 9);
        var results = BeamSearch.Translate(model, sources, new SearchOptions(BeamSize: 5, NBest: 5, LengthPenaltyAlpha: 0.6, MaxLengthOffset: 4));
        foreach (var list in results)
        {
            Assert.Equal(5, list.Count);
            for (int i = 1; i < list.Count; i++) Assert.True(list[i - 1].Score >= list[i].Score);
            Assert.Equal(list.Count, list.Select(h => string.Join(",", h.Tokens)).Distinct().Count());
        }
    }

    [Fact]
    public void NBest_LargerThanBeam_Throws()
    {
        using var model = new TableStepDecoder();
        var e = Assert.Throws<ArgumentException>(() =>
            BeamSearch.Translate(model, [new[] { 3 }], new SearchOptions(BeamSize: 2, NBest: 3)));
        Assert.Equal("--nbest 3 is larger than --beam 2", e.Message);
        Assert.Equal(0, model.StepCalls);
    }

    [Fact]
    public void MaxLength_IsRespected_AndForcedEndsCountTokens()
    {
        using var model = new RandomGruStepDecoder(2, eosBias: -30); // EOS practically never chosen
        var sources = RandomSources(model, 8, 3);
        var options = new SearchOptions(BeamSize: 3, NBest: 3, MaxLengthRatio: 1.5, MaxLengthOffset: 2, LengthPenaltyAlpha: 1.0);
        var beam = BeamSearch.Translate(model, sources, options);
        var greedy = GreedySearch.Translate(model, sources, options);
        for (int i = 0; i < sources.Count; i++)
        {
            int max = (int)Math.Floor(1.5 * sources[i].Length) + 2;
            Assert.All(beam[i], h => Assert.Equal(max, h.Tokens.Length));
            Assert.All(beam[i], h => Assert.Equal(h.LogProb / options.LengthPenalty(max), h.Score, 12));
            Assert.Equal(max, greedy[i].Tokens.Length);
        }
    }

    [Fact]
    public void MinLength_MasksEos()
    {
        using var model = new RandomGruStepDecoder(4, eosBias: 8); // EOS almost certain at every step
        var sources = RandomSources(model, 5, 4);
        var options = new SearchOptions(BeamSize: 3, NBest: 3, MinLength: 3);
        Assert.All(BeamSearch.Translate(model, sources, options), list => Assert.All(list, h => Assert.Equal(3, h.Tokens.Length)));
        Assert.All(GreedySearch.Translate(model, sources, options), h => Assert.Equal(3, h.Tokens.Length));
        Assert.All(BeamSearch.Translate(model, sources, options with { MinLength = 0 }), list => Assert.Empty(list[0].Tokens));
    }

    [Fact]
    public void EmptySources_Work()
    {
        using var model = new RandomGruStepDecoder(6);
        Assert.Empty(BeamSearch.Translate(model, [], new SearchOptions()));
        Assert.Empty(GreedySearch.Translate(model, [], new SearchOptions()));
        Assert.Empty(model.StepRows);

        var options = new SearchOptions(BeamSize: 3, NBest: 2, MaxLengthOffset: 0); // max length clamps to 1
        var beam = BeamSearch.Translate(model, [Array.Empty<int>()], options);
        Assert.InRange(beam[0].Count, 1, 2);
        Assert.All(beam[0], h => Assert.True(h.Tokens.Length <= 1));
        Assert.True(GreedySearch.Translate(model, [Array.Empty<int>()], options)[0].Tokens.Length <= 1);
    }

    [Fact]
    public void FinishedSentences_LeaveTheBatch()
    {
        using var model = new RandomGruStepDecoder(8, eosBias: -30);
        var options = new SearchOptions(BeamSize: 3, MaxLengthRatio: 0, MaxLengthOffset: 2);
        var sources = new List<int[]> { new[] { 3 }, new[] { 4, 5 } };
        BeamSearch.Translate(model, sources, options with { MaxLengthRatio = 3 }); // max lengths 5 and 8
        Assert.Equal(new long[] { 2, 6, 6, 6, 6, 3, 3, 3 }, model.StepRows);

        model.StepRows.Clear();
        GreedySearch.Translate(model, sources, options with { MaxLengthRatio = 3 });
        Assert.Equal(new long[] { 2, 2, 2, 2, 2, 1, 1, 1 }, model.StepRows);
    }

    [Fact]
    public void NoNativeTensorsLeak()
    {
        using var model = new RandomGruStepDecoder(10, eosBias: 0.5);
        var sources = RandomSources(model, 7, 10);
        var options = new SearchOptions(BeamSize: 4, NBest: 2, LengthPenaltyAlpha: 0.6, MaxLengthRatio: 1, MaxLengthOffset: 3);
        BeamSearch.Translate(model, sources, options); // warm-up (lazy native initialisation)
        GreedySearch.Translate(model, sources, options);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 2; i++)
        {
            BeamSearch.Translate(model, sources, options);
            GreedySearch.Translate(model, sources, options);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private static double LogProbOf(RandomGruStepDecoder model, int[] source, List<int> tokens)
    {
        using var scope = torch.NewDisposeScope();
        var state = model.Start([source]);
        double sum = 0;
        long previous = model.BosId;
        foreach (var token in tokens)
        {
            var (logProbs, next) = model.Step(torch.tensor(new[] { previous }), state);
            sum += logProbs[0, token].item<float>();
            state.Dispose();
            state = next;
            previous = token;
        }
        state.Dispose();
        return sum;
    }

    private static void AssertSameList(IReadOnlyList<Hypothesis> expected, IReadOnlyList<Hypothesis> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) AssertSame(expected[i], actual[i]);
    }

    private static void AssertSame(Hypothesis expected, Hypothesis actual)
    {
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Score, actual.Score, Tolerance);
        Assert.Equal(expected.LogProb, actual.LogProb, Tolerance);
    }
}
