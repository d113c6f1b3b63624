// ResultsReportTests: the report core in-process over two tiny finished runs — one row per run with the epochs of
// metrics.jsonl and the best epoch the trainer selects, what each run is (cell, memory bank label, bits, training
// memory, savings or n/a), the scores equal the sacreBLEU-compatible scorers on the hypothesis files it wrote, and an
// unknown test split is a one-line error raised before anything is translated.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Scoring;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Training;
using Seq2SeqRev.Translation.Results;
using Xunit;

namespace Seq2SeqRev.Tests.Translation.Results;

[Collection(TorchRngCollection.Name)]
public sealed class ResultsReportTests(TinyRunsFixture runs) : IClassFixture<TinyRunsFixture>
{
    [Fact]
    public void OneRowPerRunWithTheEpochsOfMetricsJsonl()
    {
        var report = runs.Report;
        Assert.Equal(["tiny-revgru", "tiny-gru"], report.Runs.Select(r => r.Label));
        Assert.Equal(2, ResultsTables.Rows(report).Count());
        foreach (var (run, dir) in report.Runs.Zip(runs.Runs))
        {
            var lines = MetricsReader.Read(Path.Combine(dir, MetricsWriter.FileName));
            Assert.Equal([1, 2], lines.Select(l => l.Epoch));
            Assert.Equal(lines.Select(l => l.Epoch), run.Validation.Select(v => v.Epoch));
            Assert.Equal(2, run.Epochs);
            Assert.Equal(lines.MinBy(l => l.ValPpl)!.Epoch, run.Best!.Epoch);
            Assert.Equal(lines.Sum(l => l.Seconds) / 3600, run.TrainingHours, 12);
            Assert.Equal(lines.Average(l => l.TokensPerSecond), run.MeanTokensPerSecond!.Value, 9);
            Assert.Equal(TinyRunsFixture.TestSplits, run.Tests.Select(t => t.Split));
        }
        var (rev, gru) = (report.Runs[0], report.Runs[1]);
        Assert.Equal(("revgru", "Emb+4H", "3", "reversal"), (rev.Cell, rev.Attention, rev.MaxForgetBits, rev.TrainingMemory));
        Assert.Equal(("gru", "16H", null, "backprop"), (gru.Cell, gru.Attention, gru.MaxForgetBits, gru.TrainingMemory));
        Assert.True(rev.EncSavingActual > 1 && rev.DecSavingOptimal > 1);
        Assert.Null(gru.EncSavingActual);

        var text = ResultsTables.Text(report);
        Assert.Contains("tiny-revgru", text);
        Assert.Contains("test2 chrF2", text);
        Assert.Contains("BLEU: nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", text);
        var narrow = ResultsTables.Text(report, 120).Split('\n');   // a 120-column terminal: no line is longer
        Assert.All(narrow, line => Assert.True(line.Length <= 120, $"{line.Length} columns: {line}"));
        Assert.Contains(narrow, l => l.Contains("test2 chrF2"));
        var markdown = ResultsTables.Markdown(report).Split('\n');
        Assert.Contains("| epoch | tiny-revgru val BLEU | tiny-revgru val ppl | tiny-gru val BLEU | tiny-gru val ppl |", markdown);
        Assert.Single(markdown, l => l.StartsWith("| 2 | ", StringComparison.Ordinal));
        Assert.Contains("- chrF2: `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`", markdown);
    }

    [Fact]
    public void ScoresEqualTheScorersOnTheWrittenHypotheses()
    {
        var report = runs.Report;
        foreach (var (run, dir) in report.Runs.Zip(runs.Runs))
            foreach (var t in run.Tests)
            {
                Assert.Equal(Path.Combine(dir, "test", $"{t.Split}.beam{TinyRunsFixture.Beam}.hyp"), t.HypothesisPath);
                var hyps = File.ReadAllLines(t.HypothesisPath);
                IReadOnlyList<string?> refs = TinyRunsFixture.ReadGzipLines(runs.CorpusFile(t.Split, "de"));
                Assert.Equal(6, hyps.Length);
                Assert.Equal(6, t.Sentences);
                // The whole sacreBLEU line (score, n-gram precisions, brevity penalty, lengths), not just the score.
                Assert.Equal(Bleu.CorpusScore(hyps, [refs]).FormatLine(), t.Bleu.FormatLine());
                Assert.Equal(Bleu.CorpusScore(hyps, [refs], new BleuOptions { Lowercase = true }).FormatLine(), t.BleuLowercase.FormatLine());
                Assert.Equal(Chrf.CorpusScore(hyps, [refs]).FormatLine(), t.Chrf.FormatLine());
                Assert.Equal(Bleu.CorpusScore(hyps, [refs]).Score, t.Bleu.Score);
                Assert.True(t.SentencesPerSecond > 0);
            }
        Assert.Equal(new ScoreSignatures("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0",
            "nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:2.6.0", "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"),
            report.Signatures);
    }

    [Fact]
    public void UnknownTestSplitIsAOneLineErrorBeforeTranslating()
    {
        var run = runs.Runs[0];
        var e = Assert.Throws<UserError>(() => ResultsRunner.Run(new ResultsOptions { RunDirs = [run], TestSplits = ["test", "nosuch"], Beam = 3 }));
        Assert.StartsWith("--test: split 'nosuch' is not in corpus 'tiny' (", e.Message);
        Assert.EndsWith($" of run {run} (allowed: train, val, test, test2)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(Path.Combine(run, "test", "test.beam3.hyp")));
    }
}
