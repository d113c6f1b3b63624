// ResultsToolingTests: the tools behind docs/RESULTS.md on the tiny runs of ResultsTestKit — `average` (the mean of the
// parameters, byte-identical for one checkpoint, read by translate and report; one-line errors), `sweep` (the choice is
// the validation maximum, the test splits are scored with it only and rescore to the same numbers), and the export
// chain: report --export writes config, metrics and hypotheses; report --from scores them to the report's numbers, and
// `./seq2seqrev score` of an exported hypothesis file prints the table's BLEU.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Training;
using Seq2SeqRev.Translation.Results;
using Seq2SeqRev.Translation;
using TorchSharp;
using Xunit;

namespace Seq2SeqRev.Tests.Translation.Results;

[Collection(TorchRngCollection.Name)]
public sealed class ResultsToolingTests(TinyRunsFixture runs) : IClassFixture<TinyRunsFixture>
{
    private static (int Exit, string Stdout, string Stderr) Translate(string command, params string[] args) =>
        CliProcess.Run(CliProcess.TranslateDll, command, args);

    /// <summary>A copy of the tiny RevGRU run that kept its two epoch checkpoints (training.keep_checkpoints=2).</summary>
    private string TrainWithEpochCheckpoints(TempDir dir)
    {
        var config = ConfigLoader.Load(Path.Combine(runs.Runs[0], RunFolder.ConfigFile), ["training.keep_checkpoints=2"]);
        var runDir = Path.Combine(dir.Path, "run");
        Trainer.Run(new TrainerOptions { Config = config, RunDir = runDir });
        return runDir;
    }

    [Fact]
    public void AveragingOneCheckpointKeepsItsParametersByteForByte()
    {
        var best = Path.Combine(runs.Runs[0], RunFolder.BestFile);
        var averaged = CheckpointAverage.Average([best], "one");
        Assert.True(averaged.Model.AsSpan().SequenceEqual(Checkpoint.Load(best).Model));
        Assert.Equal("one", averaged.State.FinishedReason);
    }

    [Fact]
    public void AverageOfTheLastTwoEpochsIsTheMeanAndTranslateAndReportReadIt()
    {
        using var dir = new TempDir();
        var runDir = TrainWithEpochCheckpoints(dir);
        var (exit, _, stderr) = Translate("average", "--run", runDir, "--last", "2");
        Assert.True(exit == 0, stderr);
        var output = Path.Combine(runDir, "average.ckpt");
        using (var a = TranslationModelLoader.Load(Path.Combine(runDir, "epoch-01.ckpt")))
        using (var b = TranslationModelLoader.Load(Path.Combine(runDir, "epoch-02.ckpt")))
        using (var mean = TranslationModelLoader.Load(output))
        {
            var pa = a.Model.state_dict();
            var pb = b.Model.state_dict();
            var differ = 0;
            using var two = 2.ToScalar();
            foreach (var (name, m) in mean.Model.state_dict())
            {
                if (!m.is_floating_point()) continue;
                using var expected = pa[name].to(torch.float64).add(pb[name].to(torch.float64), Seq2SeqRev.Reversible.Scalars.UnitAlpha).div(two).to(m.dtype);
                Assert.True(m.eq(expected).all().item<bool>(), $"{name} is not the mean");
                if (!pa[name].eq(pb[name]).all().item<bool>()) differ++;
            }
            Assert.True(differ > 0, "the two epoch checkpoints are equal: nothing was averaged");
        }

        var text = dir.File("in.en", "A man rides a bike .\nTwo dogs play .\n");
        (exit, var stdout, stderr) = Translate("translate", "--model", output, "--input", text, "--beam", "2");
        Assert.True(exit == 0, stderr);
        Assert.Equal(2, stdout.TrimEnd('\n').Split('\n').Length);
        var report = ResultsRunner.Run(new ResultsOptions { RunDirs = [runDir], Beam = 1, Checkpoint = "average.ckpt" });
        var test = report.Runs[0].Tests[0];
        Assert.Equal(Path.Combine(runDir, "test", "average", "test.beam1.hyp"), test.HypothesisPath);
        Assert.True(File.Exists(test.HypothesisPath));
    }

    [Fact]
    public void AverageErrorsAreOneLine()
    {
        using var dir = new TempDir();
        var (exit, _, stderr) = Translate("average", "--run", runs.Runs[0], "--last", "2");
        CliProcess.AssertOneLineError(exit, stderr, "no epoch checkpoints (epoch-NN.ckpt) to average");
        (exit, _, stderr) = Translate("average", "--run", Path.Combine(dir.Path, "nothing"));
        CliProcess.AssertOneLineError(exit, stderr, "nothing: no such run directory");
        File.Copy(Path.Combine(runs.Runs[0], RunFolder.LastFile), Path.Combine(dir.Path, "epoch-03.ckpt"));
        (exit, _, stderr) = Translate("average", "--run", dir.Path, "--last", "2");
        CliProcess.AssertOneLineError(exit, stderr, "1 epoch checkpoint(s) (epoch-03.ckpt), fewer than --last 2");
        var output = Path.Combine(dir.Path, "x.ckpt");
        (exit, _, stderr) = Translate("average", "--checkpoint", Path.Combine(runs.Runs[0], RunFolder.BestFile),
            Path.Combine(runs.Runs[1], RunFolder.BestFile), "--output", output);
        CliProcess.AssertOneLineError(exit, stderr, "do not match those of");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void SweepSelectsOnValidationAndScoresTheTestsWithTheChoiceOnly()
    {
        using var dir = new TempDir();
        var model = Path.Combine(dir.Path, "model");
        Directory.CreateDirectory(model);
        foreach (var f in new[] { RunFolder.BestFile, RunFolder.ConfigFile })
            File.Copy(Path.Combine(runs.Runs[0], f), Path.Combine(model, f));
        var result = SweepRunner.Run(new SweepOptions { ModelPath = model, Beams = [1, 2], LengthPenalties = [0, 1.0] });
        Assert.Equal(4, result.Validation.Count);
        Assert.All(result.Validation, v => Assert.Equal("val", v.Split));
        var best = result.Validation.Max(v => v.Bleu.Score);
        Assert.Equal(best, result.Selected.Bleu.Score);
        Assert.Same(result.Validation.First(v => v.Bleu.Score == best), result.Selected);
        Assert.Equal(TinyRunsFixture.TestSplits, result.Tests.Select(t => t.Split));
        Assert.All(result.Tests, t => Assert.Equal((result.Selected.Beam, result.Selected.LengthPenalty), (t.Beam, t.LengthPenalty)));
        var written = Directory.GetFiles(Path.Combine(model, "test")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(result.Tests.Select(t => Path.GetFileName(t.HypothesisPath)).Order(), written);   // nothing else was translated to a file

        var test = result.Tests[0];
        var (exit, stdout, stderr) = Translate("score", "--hyp", test.HypothesisPath!, "--ref", runs.CorpusFile(test.Split, "de"), "--width", "2");
        Assert.True(exit == 0, stderr);
        Assert.Contains($"= {test.Bleu.Score:F2} ", stdout);
        Assert.Equal(5, result.ToJsonl().TrimEnd('\n').Split('\n').Length - result.Tests.Count);
    }

    [Fact]
    public void SweepRefusesATestSplitThatIsTheValidationSplit()
    {
        var e = Assert.Throws<UserError>(() => SweepRunner.Run(new SweepOptions { ModelPath = runs.Runs[0], Beams = [1], TestSplits = ["test", "val"] }));
        Assert.Contains("data.valid = val is also a test split", e.Message);
    }

    [Fact]
    public void ExportedRunsRescoreToTheReportsNumbersAndScoreAgrees()
    {
        using var dir = new TempDir();
        var report = runs.Report;
        var docs = Path.Combine(dir.Path, "results");
        ExportedRuns.Export(report, docs, _ => { });
        foreach (var run in report.Runs)
        {
            var folder = Path.Combine(docs, Path.GetFileName(run.RunDir));
            Assert.Empty(Directory.GetFiles(folder, "*.ckpt", SearchOption.AllDirectories));
            Assert.True(File.Exists(Path.Combine(folder, "config.yaml")) && File.Exists(Path.Combine(folder, "metrics.jsonl")));
        }

        var again = ExportedRuns.Load(docs, null, null, _ => { });
        Assert.Equal(report.Runs.Count, again.Runs.Count);
        foreach (var run in report.Runs)
        {
            var back = Assert.Single(again.Runs, r => r.Name == run.Name);
            Assert.Equal(run.Finished, back.Finished);
            Assert.NotNull(back.Finished);
            Assert.Equal(run.Validation, back.Validation);
            foreach (var t in run.Tests)
            {
                var u = back.Test(t.Split)!;
                Assert.Equal((t.Bleu.Score, t.BleuLowercase.Score, t.Chrf.Score), (u.Bleu.Score, u.BleuLowercase.Score, u.Chrf.Score));
                var (exit, stdout, stderr) = Translate("score", "--hyp", u.HypothesisPath, "--ref", runs.CorpusFile(t.Split, "de"), "--width", "2");
                Assert.True(exit == 0, stderr);
                Assert.Contains($"= {ResultsTables.Score(u.Bleu.Score)} ", stdout);
            }
        }

        var (code, markdown, err) = Translate("report", "--from", docs, "--markdown");
        Assert.True(code == 0, err);
        var rows = markdown.Split('\n').Where(l => l.StartsWith("| tiny-gru | gru |", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);   // the results table and the table over seeds
        var gru = report.Runs.Single(r => r.Name == "tiny-gru");
        Assert.All(rows, row => Assert.Contains($"| {ResultsTables.Score(gru.Test("test")!.Bleu.Score)} |", row));
    }

    [Fact]
    public void SeedsOfOneConfigGroupWithMeanAndSampleSd()
    {
        var run = runs.Report.Runs[0];
        RunSummary Seed(int seed, double sentencesPerSecond, string? finished) => run with
        {
            Label = $"s{seed}",
            Config = run.Config! with { Seed = seed, Data = run.Config!.Data with { CorporaDir = $"/elsewhere/{seed}" } },
            Tests = [run.Tests[0] with { SentencesPerSecond = sentencesPerSecond }],
            Finished = finished,
        };
        var other = runs.Report.Runs[1];
        var groups = SeedGroups.Group([Seed(1, 30, "done"), other, Seed(2, 32, "done"), Seed(3, 34, null)]);
        Assert.Equal(2, groups.Count);
        Assert.Equal([1, 2, 3], groups[0].Seeds);
        var spread = groups[0].Test(run.Tests[0].Split, t => t.SentencesPerSecond)!.Value;
        Assert.Equal((32.0, 2.0, 3), (spread.Mean, spread.Sd!.Value, spread.N));
        Assert.Equal("32.00 ± 2.00", spread.Text());
        Assert.Equal("1 of 3 unfinished", SeedTables.Status(groups[0]));
        Assert.Single(groups[1].Runs);
        Assert.Null(groups[1].Test(run.Tests[0].Split, t => t.Bleu.Score)!.Value.Sd);
        var other2 = other with { Config = other.Config! with { Model = other.Config!.Model with { Hidden = 18 } } };
        Assert.Equal(2, SeedGroups.Group([other, other2]).Count);   // another setting is another model, not another seed
    }
}
