// TrainCommandTests: `seq2seqrev train` as a child process — config and argument errors are one line on stderr
// with exit 2; a checkpoint problem on --resume likewise. The SIGKILL test (Category=Slow) needs the real model.
using Seq2SeqRev.Training;
using Seq2SeqRev.Tests.Data;
using Xunit;

namespace Seq2SeqRev.Tests.Training;

public sealed class TrainCommandTests
{
    [Fact]
    public void UnknownOverrideKeyIsOneLineError()
    {
        var (exit, stderr) = TrainingTestKit.RunTrain("training.bogus=1");
        CliProcess.AssertOneLineError(exit, stderr, "unknown key 'training.bogus'");
    }

    [Fact]
    public void BadOverrideValueNamesKey()
    {
        using var dir = new TempDir();
        var (exit, stderr) = TrainingTestKit.RunTrain("--config", TrainingTestKit.QuickYaml, "--run-dir", dir.Path, "training.epochs=zero");
        CliProcess.AssertOneLineError(exit, stderr, "training.epochs");
    }

    [Fact]
    public void VocabSizeBelowByteAlphabetIsOneLineError()
    {
        using var dir = new TempDir();
        var (exit, stderr) = TrainingTestKit.RunTrain("--config", TrainingTestKit.QuickYaml, "--run-dir", dir.Path, "tokenizer.vocab_size=200");
        CliProcess.AssertOneLineError(exit, stderr, "tokenizer.vocab_size = 200 is out of range (allowed: integer >= 260)");
    }

    [Fact]
    public void MissingConfigFileIsOneLineError()
    {
        var (exit, stderr) = TrainingTestKit.RunTrain("--config", "/nonexistent/x.yaml");
        CliProcess.AssertOneLineError(exit, stderr, "config file not found");
    }

    [Fact]
    public void SplitMissingFromManifestIsOneLineError()
    {
        using var dir = new TempDir();
        var (exit, stderr) = TrainingTestKit.RunTrain("--config", TrainingTestKit.QuickYaml, "--run-dir", dir.Path, "data.test=[test_2016_flickr]");
        CliProcess.AssertOneLineError(exit, stderr, "data.test: split 'test_2016_flickr' is not in corpus 'sample'");
    }

    [Fact]
    public void ResumeNeedsRunDir()
    {
        var (exit, stderr) = TrainingTestKit.RunTrain("--resume");
        CliProcess.AssertOneLineError(exit, stderr, "--resume needs --run-dir");
    }

    [Fact]
    public void ResumeFromForeignCheckpointIsOneLineError()
    {
        using var dir = new TempDir();
        dir.File("last.ckpt", "hello");
        var (exit, stderr) = TrainingTestKit.RunTrain("--run-dir", dir.Path, "--resume");
        CliProcess.AssertOneLineError(exit, stderr, "last.ckpt: not a Seq2SeqRev checkpoint");
    }

    /// <summary>
    /// SIGKILL at a random moment leaves either no last.ckpt or a loadable one (atomic writes), and --resume
    /// continues from it. Uses the real model factory (TrainableModel.Create), so it runs once the model is merged.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void SigkillLeavesLoadableCheckpoint()
    {
        string[] tiny = ["--config", TrainingTestKit.QuickYaml, "training.epochs=50", "training.max_steps=0",
            "tokenizer.vocab_size=300", "model.embedding=32", "model.hidden=32", "model.slice=16", "training.valid_max_sentences=20"];
        var random = new Random();
        for (int round = 0; round < 3; round++)
        {
            using var dir = new TempDir();
            var last = Path.Combine(dir.Path, Trainer.LastFile);
            using (var p = TrainingTestKit.StartTrain([.. tiny, "--run-dir", dir.Path]))
            {
                _ = p.StandardError.ReadToEndAsync();
                _ = p.StandardOutput.ReadToEndAsync();
                Thread.Sleep(random.Next(2000, 15000));
                Assert.False(p.HasExited, $"training ended before the kill (exit {(p.HasExited ? p.ExitCode : 0)})");
                p.Kill(entireProcessTree: true); // SIGKILL
                p.WaitForExit();
            }
            if (!File.Exists(last)) continue; // killed before the first checkpoint: nothing to resume
            var checkpoint = Checkpoint.Load(last);
            Assert.True(checkpoint.State.Step > 0);
            var (exit, stderr) = TrainingTestKit.RunTrain("--run-dir", dir.Path, "--resume", $"training.max_steps={checkpoint.State.Step + 2}");
            Assert.True(exit == 0, stderr);
            Assert.True(Checkpoint.Load(last).State.Step >= checkpoint.State.Step + 2);
        }
    }
}
