// RunDirectory: what `report` reads from one training run folder — config.yaml (the resolved config the trainer
// wrote, loaded with ConfigLoader), metrics.jsonl (one line per validation, read with MetricsReader) and best.ckpt
// (the checkpoint the trainer selected on validation). Guarantees: Open checks all three before anything is
// translated; a missing folder or file, a config that does not load, a bad metrics line or a metrics file without
// any validation is a one-line UserError naming the path. The checkpoint is opened later by TranslationModelLoader,
// whose problems are one-line errors naming it as well. Finished is last.ckpt's reason for ending (null while unfinished).
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Translation.Results;

public sealed record RunDirectory(string Dir, RunConfig Config, string ConfigPath, IReadOnlyList<ValidationMetrics> Metrics, string BestCheckpoint,
    string? Finished = null)
{
    /// <param name="checkpoint">The checkpoint file in the folder to test (default best.ckpt; e.g. average.ckpt).</param>
    public static RunDirectory Open(string dir, string checkpoint = RunFolder.BestFile)
    {
        if (!Directory.Exists(dir)) throw new UserError($"{dir}: no such run directory");
        var configPath = Path.Combine(dir, RunFolder.ConfigFile);
        if (!File.Exists(configPath)) throw new UserError($"{configPath}: missing (the trainer writes it when a run starts)");
        var config = ConfigLoader.Load(configPath);
        var metricsPath = Path.Combine(dir, RunFolder.MetricsFile);
        var metrics = MetricsReader.Read(metricsPath);
        if (metrics.Count == 0) throw new UserError($"{metricsPath}: no validation recorded yet");
        var best = Path.Combine(dir, checkpoint);
        if (!File.Exists(best))
            throw new UserError(checkpoint == RunFolder.BestFile
                ? $"{best}: missing (the trainer writes it at the first validation that improves perplexity)"
                : $"{best}: missing (--checkpoint {checkpoint})");
        var last = Path.Combine(dir, RunFolder.LastFile);
        var finished = File.Exists(last) ? Checkpoint.Load(last).State.FinishedReason : null;
        return new RunDirectory(dir, config, configPath, metrics, best, finished);
    }
}
