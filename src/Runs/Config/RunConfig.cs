// RunConfig: the complete, immutable, typed description of one training run. Every property has a
// default; RunConfig.Default (all defaults, resolved) is kept identical to configs/default.yaml
// by a test, so the trainer can run without any config file.
namespace Seq2SeqRev.Runs.Config;

/// <summary>One run: top-level settings plus the data, tokenizer, model and training sections.</summary>
public sealed record RunConfig
{
    /// <summary>Run name; defaults to the config file's name without extension ("default" without a file).</summary>
    public string Name { get; init; } = "default";
    public int Seed { get; init; } = 1;
    /// <summary>device: cpu or cuda (this build: cpu only).</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;
    public DataConfig Data { get; init; } = new();
    public TokenizerConfig Tokenizer { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public TrainingConfig Training { get; init; } = new();

    /// <summary>All defaults, with automatic values resolved: equals what configs/default.yaml loads to.</summary>
    public static RunConfig Default { get; } = new RunConfig().Resolve();

    /// <summary>How this run computes gradients (training.memory, resolved).</summary>
    public TrainingMemory MemoryMode => Training.MemoryMode(Model.Cell);

    /// <summary>
    /// Fills in values whose default depends on other settings (training.memory: reversal for
    /// reversible cells, backprop otherwise). Idempotent.
    /// </summary>
    public RunConfig Resolve() =>
        this with { Training = Training with { Memory = Training.Memory ?? TrainingConfig.DefaultMemoryFor(Model.Cell) } };
}
