// DryRunTests: `train --dry-run` checks config, overrides and corpus and writes nothing: it prints the resolved config
// (with the overrides) and exits 0, and a bad setting is still the one-line error of a real run.
using Seq2SeqRev.Tests.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Train;

public sealed class DryRunTests
{
    [Fact]
    public void PrintsTheResolvedConfigAndWritesNothing()
    {
        using var dir = new TempDir();
        var runDir = Path.Combine(dir.Path, "run");
        var (exit, stdout, stderr) = CliProcess.Run(CliProcess.TrainDll, "train",
            "--config", TrainingTestKit.QuickYaml, "--run-dir", runDir, "--dry-run", "seed=7", "training.keep_checkpoints=3");
        Assert.True(exit == 0, stderr);
        Assert.Contains("seed: 7\n", stdout);
        Assert.Contains("keep_checkpoints: 3\n", stdout);
        Assert.Contains($"would start quick in {runDir}", stderr);
        Assert.False(Directory.Exists(runDir), "the dry run created the run folder");
    }

    [Fact]
    public void BadSettingIsTheSameOneLineError()
    {
        var (exit, _, stderr) = CliProcess.Run(CliProcess.TrainDll, "train", "--config", TrainingTestKit.QuickYaml, "--dry-run",
            "data.test=[test_2016_flickr]");
        CliProcess.AssertOneLineError(exit, stderr, "data.test: split 'test_2016_flickr' is not in corpus 'sample'");
    }
}
