// TrainCommandTests: `seq2seqrev train` as a child process — config and argument errors are one line on stderr
// with exit 2; a checkpoint problem on --resume likewise. The SIGKILL test (Category=Slow, seeded) kills the real
// trainer after its first checkpoint and checks that every round resumes from it.
using Seq2SeqRev.Runs;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Train;

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

    /// <summary>An unknown SEQ2SEQREV_MALLOC_TRIM is a one-line error before anything is written to the run folder.</summary>
    [Fact]
    public void UnknownMallocTrimPolicyIsOneLineErrorBeforeTheRunStarts()
    {
        using var dir = new TempDir();
        var runDir = Path.Combine(dir.Path, "run");
        var (exit, _, stderr) = CliProcess.Run(CliProcess.TrainDll, "train",
            new Dictionary<string, string> { [Seq2SeqRev.Memory.HeapHousekeeping.TrimVariable] = "bogus" },
            "--config", TrainingTestKit.QuickYaml, "--run-dir", runDir);
        CliProcess.AssertExactOneLineError(exit, stderr, "SEQ2SEQREV_MALLOC_TRIM=bogus: expected off, grown or always");
        Assert.False(Directory.Exists(runDir), "the run folder was created");
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
    /// SIGKILL at a random (seeded) moment after the first last.ckpt leaves a loadable last.ckpt (atomic writes), and
    /// --resume really continues from it: the resumed run says so in train.log and goes past the saved step. At least one
    /// round must have resumed (each round waits for the first checkpoint before it kills).
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void SigkillLeavesLoadableCheckpoint()
    {
        string[] tiny = ["--config", TrainingTestKit.QuickYaml, "training.epochs=50", "training.max_steps=0",
            "tokenizer.vocab_size=300", "model.embedding=32", "model.hidden=32", "model.slice=16", "training.valid_max_sentences=20"];
        var random = new Random(20261202);
        var resumed = 0;
        for (int round = 0; round < 3; round++)
        {
            using var dir = new TempDir();
            var last = Path.Combine(dir.Path, Trainer.LastFile);
            using (var p = TrainingTestKit.StartTrain([.. tiny, "--run-dir", dir.Path]))
            {
                _ = p.StandardError.ReadToEndAsync();
                _ = p.StandardOutput.ReadToEndAsync();
                var deadline = DateTime.UtcNow.AddMinutes(15);   // the slow suite runs its tests in parallel on two cores
                while (!File.Exists(last) && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(200);
                Thread.Sleep(random.Next(0, 4000));   // anywhere in the next epoch, possibly while a checkpoint is written
                Assert.False(p.HasExited, $"training ended before the kill (exit {(p.HasExited ? p.ExitCode : 0)})");
                p.Kill(entireProcessTree: true); // SIGKILL
                p.WaitForExit();
            }
            Assert.True(File.Exists(last), $"round {round}: no {Trainer.LastFile} within 15 minutes");
            var checkpoint = Checkpoint.Load(last);
            Assert.True(checkpoint.State.Step > 0);
            var (exit, stderr) = TrainingTestKit.RunTrain("--run-dir", dir.Path, "--resume", $"training.max_steps={checkpoint.State.Step + 2}");
            Assert.True(exit == 0, stderr);
            var after = Checkpoint.Load(last);
            Assert.True(after.State.Step >= checkpoint.State.Step + 2);
            var log = File.ReadAllText(Path.Combine(dir.Path, "train.log"));
            Assert.Contains($"resuming quick in {dir.Path} at epoch {checkpoint.State.Epoch}, batch {checkpoint.State.NextBatch}, step {checkpoint.State.Step}", log);
            resumed++;
        }
        Assert.True(resumed >= 1, "no round resumed from a checkpoint");
    }
}
