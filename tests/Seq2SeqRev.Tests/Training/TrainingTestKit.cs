// TrainingTestKit: shared helpers for trainer tests — a tiny config on the sample corpus, running the Trainer
// with TinyTestModel, and running the real Train executable as a child process.
using System.Diagnostics;
using Seq2SeqRev.Training.Config;
using Seq2SeqRev.Training;
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

    public static Process StartTrain(params string[] args) => CliProcess.Start(CliProcess.TrainDll, "train", args);

    /// <summary>Runs the Train executable to completion: exit code and stderr.</summary>
    public static (int Exit, string Stderr) RunTrain(params string[] args)
    {
        var (exit, _, stderr) = CliProcess.Run(CliProcess.TrainDll, "train", args);
        return (exit, stderr);
    }
}
