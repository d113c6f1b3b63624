// RunFolder: the layout of a training run's folder (config.yaml, last.ckpt, best.ckpt, metrics.jsonl) and the one
// lookup from `--model`/`--checkpoint RUN_DIR_OR_CHECKPOINT` to a checkpoint file. Guarantees: a run folder means its
// best.ckpt, else its last.ckpt; a file is itself; a missing path or a folder with neither checkpoint is one UserError
// line naming the path.
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Runs;

public static class RunFolder
{
    /// <summary>The newest checkpoint of a run (written after every epoch and at a stop).</summary>
    public const string LastFile = "last.ckpt";
    /// <summary>The checkpoint with the lowest validation perplexity so far.</summary>
    public const string BestFile = "best.ckpt";
    /// <summary>The resolved config the trainer writes when a run starts.</summary>
    public const string ConfigFile = "config.yaml";
    /// <summary>One JSON line per validation (MetricsWriter, MetricsReader).</summary>
    public const string MetricsFile = MetricsWriter.FileName;

    /// <summary>The checkpoint file behind <paramref name="modelPath"/> (a file, or a run folder's best/last.ckpt).</summary>
    public static string Checkpoint(string modelPath)
    {
        if (!Directory.Exists(modelPath))
        {
            if (!File.Exists(modelPath)) throw new UserError($"{modelPath}: no such model (expected a run directory or a .ckpt file)");
            return modelPath;
        }
        foreach (var name in new[] { BestFile, LastFile })
        {
            var path = Path.Combine(modelPath, name);
            if (File.Exists(path)) return path;
        }
        throw new UserError($"{modelPath}: run directory has neither {BestFile} nor {LastFile}");
    }
}
