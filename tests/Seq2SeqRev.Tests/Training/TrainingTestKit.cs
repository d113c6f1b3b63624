// TrainingTestKit: shared helpers for trainer tests — a tiny config on the sample corpus, running the Trainer
// with TinyTestModel, and running the real Train executable as a child process.
using System.Diagnostics;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Training;

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

    /// <param name="realModel">Train the model the config describes (TrainableModel.Create) instead of TinyTestModel.</param>
    public static TrainResult Train(RunConfig config, string runDir, Checkpoint? resume = null, CancellationToken cancel = default,
        bool realModel = false) =>
        Trainer.Run(new TrainerOptions
        {
            Config = config,
            RunDir = runDir,
            Resume = resume,
            ManifestDir = ManifestDir,
            ModelFactory = realModel ? TrainableModel.Create : TinyTestModel.Create,
            Cancel = cancel,
        });

    /// <summary>The validations of a run's metrics.jsonl with the wall-clock fields (seconds, tokens/s) zeroed: what two
    /// runs of the same computation must agree on exactly.</summary>
    public static IReadOnlyList<ValidationMetrics> MetricValues(string runDir) =>
        [.. MetricsReader.Read(Path.Combine(runDir, MetricsWriter.FileName)).Select(m => m with { Seconds = 0, TokensPerSecond = 0 })];

    public static Process StartTrain(params string[] args) => CliProcess.Start(CliProcess.TrainDll, "train", args);

    /// <summary>Runs the Train executable to completion: exit code and stderr.</summary>
    public static (int Exit, string Stderr) RunTrain(params string[] args)
    {
        var (exit, _, stderr) = CliProcess.Run(CliProcess.TrainDll, "train", args);
        return (exit, stderr);
    }
}
