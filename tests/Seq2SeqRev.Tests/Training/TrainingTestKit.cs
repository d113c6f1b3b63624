// TrainingTestKit: shared helpers for trainer tests — a tiny config on the sample corpus, running the Trainer
// with TinyTestModel, and running the real Train executable as a child process.
using System.Diagnostics;
using Seq2SeqRev.Model.Config;
using Seq2SeqRev.Model.Training;
using Seq2SeqRev.Tests.Data;

namespace Seq2SeqRev.Tests.Training;

internal static class TrainingTestKit
{
    public static string ManifestDir => Path.Combine(TestFiles.RepoRoot, "corpora");
    public static string QuickYaml => Path.Combine(TestFiles.RepoRoot, "configs", "quick.yaml");

    /// <summary>configs/quick.yaml made tiny (Adam, small vocabulary and model), plus <paramref name="overrides"/>.</summary>
    public static RunConfig Config(params string[] overrides) => ConfigLoader.Load(QuickYaml,
    [
        "tokenizer.vocab_size=300", "model.embedding=32", "model.hidden=32", "model.slice=16",
        "training.optimizer=adam", "training.learning_rate=0.01", "training.batch_size=64",
        "training.valid_max_sentences=40", "training.log_every=10", .. overrides,
    ]);

    public static TrainResult Train(RunConfig config, string runDir, Checkpoint? resume = null, CancellationToken cancel = default) =>
        Trainer.Run(new TrainerOptions
        {
            Config = config,
            RunDir = runDir,
            Resume = resume,
            ManifestDir = ManifestDir,
            ModelFactory = TinyTestModel.Create,
            Cancel = cancel,
        });

    public static string TrainDll => Path.Combine(TestFiles.RepoRoot, "artifacts", "bin", "Seq2SeqRev.Train", "release", "Seq2SeqRev.Train.dll");

    public static Process StartTrain(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = TestFiles.RepoRoot,
        };
        info.ArgumentList.Add(TrainDll);
        info.ArgumentList.Add("train");
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>Runs the Train executable to completion: exit code and stderr.</summary>
    public static (int Exit, string Stderr) RunTrain(params string[] args)
    {
        using var p = StartTrain(args);
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr.Result);
    }
}
