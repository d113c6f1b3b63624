// Behaviour of Bleu and Chrf beyond the shared vectors, each fact taken from sacrebleu.md:
// "" references are kept (nrefs:2) while null ones are dropped (nrefs:var); add-k's quirks;
// chrF++ naming and punctuation splitting; code points (not UTF-16 units) in chrF; JSON layout.
using Seq2SeqRev.Scoring;
using Xunit;

namespace Seq2SeqRev.Tests.Scoring;

public class MetricBehaviourTests
{
    internal static readonly string[] Sys = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
    internal static readonly string[] Ref1 = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."];
    internal static readonly string[] Ref2 = ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."];

    [Fact]
    public void ReadmeBleuLineAtCliWidth()
    {
        var score = Bleu.CorpusScore(Sys, [Ref1, Ref2]);
        Assert.Equal(
            "BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 48.5 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)",
            score.FormatLine(1));
    }

    [Fact]
    public void EmptyReferenceIsKeptNullIsDropped()
    {
        string?[] withEmpty = ["", Ref1[1], Ref1[2]];
        string?[] withNull = [null, Ref1[1], Ref1[2]];
        var empty = Bleu.CorpusScore(Sys, [withEmpty, Ref2]);
        var dropped = Bleu.CorpusScore(Sys, [withNull, Ref2]);
        Assert.Equal("nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", empty.Signature);
        Assert.StartsWith("nrefs:var|", dropped.Signature);
        Assert.Equal("29.44", empty.FormatScore(2));
        Assert.Equal(dropped.Score, empty.Score);
    }

    [Fact]
    public void AddKGivesFullPrecisionToOrdersWithoutNgrams()
    {
        var score = Bleu.CorpusScore(["a b"], [["a b c"]], new BleuOptions { Smooth = SmoothMethod.AddK });
        Assert.Equal("60.65", score.FormatScore(2));
        Assert.Equal("0.607", ScoreFormatting.Fixed(score.Bp, 3));
        Assert.Equal([2.0, 2.0, 1.0, 1.0], score.Counts);
        Assert.Equal([2.0, 2.0, 1.0, 1.0], score.Totals);
    }

    [Fact]
    public void SentenceScoreDefaultsToEffectiveOrder()
    {
        var score = Bleu.SentenceScore("a b", ["a b"]);
        Assert.Equal(100.0, score.Score, 9);
        Assert.Contains("eff:yes", score.Signature);
    }

    [Fact]
    public void MismatchedStreamsThrow() =>
        Assert.Throws<ArgumentException>(() => Bleu.CorpusScore(["a", "b"], [["a"]]));

    [Fact]
    public void SegmentWithoutReferenceThrows() =>
        Assert.Throws<ArgumentException>(() => Bleu.CorpusScore(["a"], [new string?[] { null }]));

    [Fact]
    public void ChrfPlusPlusNameAndSignature()
    {
        var score = Chrf.CorpusScore(Sys, [Ref1, Ref2], ChrfOptions.ChrfPlusPlus);
        Assert.Equal("chrF2++", score.Name);
        Assert.Equal("chrF2++|nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0 = 59.15", score.FormatLine(2));
    }

    [Fact]
    public void ChrfPlusPlusSplitsOnePunctuationMarkTrailingFirst()
    {
        // "(hi)" becomes "(hi" and ")", so against "( hi )" only ")" matches among the words.
        var options = new ChrfOptions { CharOrder = 1, WordOrder = 1 };
        var score = Chrf.CorpusScore(["(hi)"], [["( hi )"]], options);
        Assert.Equal([4L, 4L, 4L, 2L, 3L, 1L], score.Statistics);
    }

    [Fact]
    public void ChrfCountsCodePoints()
    {
        var score = Chrf.CorpusScore(["\U0001F600"], [["\U0001F600"]], new ChrfOptions { CharOrder = 2 });
        Assert.Equal([1L, 1L, 1L, 0L, 0L, 0L], score.Statistics);
        Assert.Equal(100.0, score.Score, 9);
    }

    [Fact]
    public void BleuJsonMatchesSacreBleuCli()
    {
        var json = Bleu.CorpusScore(Sys, [Ref1, Ref2]).ToJson(1);
        Assert.Equal(
            "{\n \"name\": \"BLEU\",\n \"score\": 48.5,\n \"signature\": \"nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0\",\n"
            + " \"verbose_score\": \"82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)\",\n"
            + " \"nrefs\": \"2\",\n \"case\": \"mixed\",\n \"eff\": \"no\",\n \"tok\": \"13a\",\n \"smooth\": \"exp\",\n \"version\": \"2.6.0\"\n}",
            json);
    }

    [Fact]
    public void ChrfJsonHasNoVerboseScore()
    {
        var json = Chrf.CorpusScore(Sys, [Ref1, Ref2]).ToJson(0);
        Assert.Equal(
            "{\n \"name\": \"chrF2\",\n \"score\": 60.0,\n \"signature\": \"nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0\",\n"
            + " \"nrefs\": \"2\",\n \"case\": \"mixed\",\n \"eff\": \"yes\",\n \"nc\": \"6\",\n \"nw\": \"0\",\n \"space\": \"no\",\n \"version\": \"2.6.0\"\n}",
            json);
    }

    [Fact]
    public void StatisticsAddUp()
    {
        var options = BleuOptions.Default;
        var all = Bleu.CorpusStatistics(Sys, [Ref1, Ref2], options);
        var first = Bleu.CorpusStatistics(Sys[..1], [Ref1[..1], Ref2[..1]], options);
        var rest = Bleu.CorpusStatistics(Sys[1..], [Ref1[1..], Ref2[1..]], options);
        Assert.Equal(Bleu.Compute(all, options).Score, Bleu.Compute(first.Add(rest), options).Score);
    }
}
