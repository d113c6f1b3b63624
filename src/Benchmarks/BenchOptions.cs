// BenchOptions: what `seq2seqrev bench` measures (see BenchRunner). Guarantees: Validate turns every inconsistent
// value into a one-line UserError worded for the command line, before anything is loaded.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Benchmarks;

public sealed record BenchOptions
{
    public static readonly IReadOnlyList<string> DataKinds = ["val", "synthetic"];

    /// <summary>The configs to compare, in order (the first is the reference of the ratios).</summary>
    public required IReadOnlyList<RunConfig> Configs { get; init; }
    /// <summary>"val": batches of the validation split, made and tokenized as training makes them; "synthetic": random
    /// ids with Multi30K-like lengths (no corpus needed).</summary>
    public string Data { get; init; } = "val";
    /// <summary>Timed training steps per config per round.</summary>
    public int Batches { get; init; } = 4;
    /// <summary>Untimed training steps per config before the first round.</summary>
    public int Warmup { get; init; } = 1;
    public int Rounds { get; init; } = 5;
    /// <summary>Record the phase profile of reversal training during the timed steps.</summary>
    public bool Profile { get; init; }
    /// <summary>Trained runs (run folder or .ckpt), one per config in order, whose validation-set translation is timed; empty = none.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];
    /// <summary>Validation sentences translated per model and search (the first N); 0 = all.</summary>
    public int TranslateSentences { get; init; }
    /// <summary>Timed translation passes per model and search (median).</summary>
    public int TranslateRounds { get; init; } = 1;
    /// <summary>Sentences per search batch (as `translate --batch-size`).</summary>
    public int TranslateBatchSize { get; init; } = 32;
    /// <summary>Replace every backprop config by its loss-head variants (<see cref="BaselineVariants"/>).</summary>
    public bool BaselineVariants { get; init; }
    /// <summary>Target steps per shard of the sharded variant of <see cref="BaselineVariants"/>.</summary>
    public int VariantShard { get; init; } = 10;
    /// <summary>torch intra-op threads; null = leave TorchSharp's default (what training uses).</summary>
    public int? Threads { get; init; }
    /// <summary>Folder of corpus manifests; null = as in training.</summary>
    public string? ManifestDir { get; init; }
    /// <summary>Progress lines (stderr in the CLI).</summary>
    public Action<string> Log { get; init; } = _ => { };

    public void Validate() => Validate(Configs.Count);

    /// <summary>Checks the options as if <paramref name="configCount"/> configs were given (the command checks its numbers
    /// before it reads any config file).</summary>
    public void Validate(int configCount)
    {
        if (configCount == 0) throw new UserError("--config: give at least one config");
        if (!DataKinds.Contains(Data)) throw new UserError($"--data '{Data}' is not allowed (allowed: {string.Join(", ", DataKinds)})");
        if (Batches < 1) throw new UserError($"--batches {Batches} must be at least 1");
        if (Warmup < 0) throw new UserError($"--warmup {Warmup} must be 0 or more");
        if (Rounds < 1) throw new UserError($"--rounds {Rounds} must be at least 1");
        if (Models.Count > 0 && Models.Count != configCount)
            throw new UserError($"--model given {Models.Count} time(s) for {configCount} config(s): give one run per config, in order, or none");
        if (TranslateSentences < 0) throw new UserError($"--translate-sentences {TranslateSentences} must be 0 (all) or more");
        if (TranslateRounds < 1) throw new UserError($"--translate-rounds {TranslateRounds} must be at least 1");
        if (TranslateBatchSize < 1) throw new UserError($"--translate-batch-size {TranslateBatchSize} must be at least 1");
        if (VariantShard < 1) throw new UserError($"--variant-shard {VariantShard} must be at least 1");
        if (BaselineVariants && Models.Count > 0)
            throw new UserError("--baseline-variants cannot be combined with --model (one run per config): time translation in a separate run");
        if (Threads is < 1) throw new UserError($"--threads {Threads} must be at least 1");
    }
}
