// SigtermTests: SIGTERM (what kill, timeout, systemd and batch schedulers send) stops `train` like Ctrl-C: the current
// batch finishes, last.ckpt is saved and loads, the resume command is printed exactly once, exit 130.
using System.Diagnostics;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Train;

public sealed class SigtermTests
{
    [Fact]
    public void SigtermSavesLastCheckpointAndPrintsTheResumeCommandOnce()
    {
        using var dir = new TempDir();
        using var p = TrainingTestKit.StartTrain("--config", TrainingTestKit.QuickYaml, "--run-dir", dir.Path, "training.epochs=50",
            "tokenizer.vocab_size=300", "model.embedding=32", "model.hidden=32", "model.slice=16", "training.valid_max_sentences=20");
        var stderr = new System.Text.StringBuilder();
        var started = new ManualResetEventSlim();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.StartsWith("model:", StringComparison.Ordinal)) started.Set();   // the signal handler is in place
        };
        p.BeginErrorReadLine();
        _ = p.StandardOutput.ReadToEndAsync();
        Assert.True(started.Wait(TimeSpan.FromMinutes(10)), "training did not start: " + stderr);
        Thread.Sleep(500);
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            kill.WaitForExit();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(10)), "train did not stop after SIGTERM");
        p.WaitForExit();
        string text;
        lock (stderr) text = stderr.ToString();
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {text}");
        var checkpoint = Checkpoint.Load(Path.Combine(dir.Path, Trainer.LastFile));
        Assert.True(checkpoint.State.Step > 0);
        Assert.Single(text.Split('\n'), l => l.Contains($"./seq2seqrev train --run-dir {dir.Path} --resume", StringComparison.Ordinal));
    }
}
