// MemoryRunner: the work behind `seq2seqrev memory`. For each config: the memory accounting (reversible
// models trained by reversal only) on validation batches in corpus order or on one synthetic batch, then —
// unless Measure is off — one ActivationProbe child process per sequence length. Guarantees: configs with the
// same data and tokenizer settings share one tokenizer and one encoded corpus (learned once); a checkpoint's
// tokenizer and weights are used for its config (rows say "trained"), otherwise weights are the seeded random
// initialisation (rows say "untrained").
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Training;
using Seq2SeqRev.Training.Data;
using TorchSharp;

namespace Seq2SeqRev.Memory;

/// <summary>One config to report; <paramref name="Checkpoint"/> supplies trained weights and tokenizer.</summary>
public sealed record MemoryTarget(RunConfig Config, Checkpoint? Checkpoint = null);

public sealed record MemoryOptions
{
    public static readonly IReadOnlyList<string> DataKinds = ["val", "synthetic"];
    public required IReadOnlyList<MemoryTarget> Targets { get; init; }
    /// <summary>"val" (the config's validation split) or "synthetic" (one random batch of SeqLengths[0] tokens).</summary>
    public string Data { get; init; } = "val";
    public int Batch { get; init; } = 64;
    public IReadOnlyList<int> SeqLengths { get; init; } = [10, 25, 50, 100, 200];
    public bool Measure { get; init; } = true;
    /// <summary>Validation batches used for the accounting; 0 = all.</summary>
    public int MaxBatches { get; init; }
    public int TimedSteps { get; init; } = 3;
    public string? ManifestDir { get; init; }
    /// <summary>Needed when Measure is on.</summary>
    public ProbeLauncher? Launcher { get; init; }
    public Action<string> Log { get; init; } = _ => { };
}

public static class MemoryRunner
{
    public static MemoryReport Run(MemoryOptions o)
    {
        if (o.Measure && o.Launcher is null) throw new ArgumentException("Measure needs a Launcher", nameof(o));
        foreach (var target in o.Targets) CheckBuildable(target.Config);
        var data = new Dictionary<(DataConfig, TokenizerConfig), TrainingData>();
        var rows = new List<ConfigReport>();
        foreach (var target in o.Targets)
        {
            var config = target.Config;
            var m = config.Model;
            var accounting = MemoryAccounting.Applies(config) ? Account(o, target, data) : new AccountingResult(null, null, 0);
            var measured = new List<Measurement>();
            if (o.Measure)
                foreach (var t in o.SeqLengths)
                {
                    o.Log($"{config.Name}: measuring one training step at T={t}, B={o.Batch}");
                    var r = o.Launcher!.Run(new ProbeRequest(config, t, o.Batch, o.TimedSteps));
                    measured.Add(new Measurement(t, o.Batch, r.PeakBytes, r.StepMs));
                }
            rows.Add(new ConfigReport(config.Name, m.Cell, m.MemoryBankLabel, m.IsReversible ? m.MaxForgetBits : null,
                config.MemoryMode, target.Checkpoint is not null,
                accounting.Batches, accounting.Encoder, accounting.Decoder, measured)
            {
                AccountingSentences = accounting.Sentences, LossShard = config.Training.LossShard,
            });
        }
        return new MemoryReport(o.Data, o.Batch, o.SeqLengths, rows);
    }

    /// <summary>Builds the model once at a tiny vocabulary, so that a config the model rejects (e.g. a slice wider
    /// than half the hidden state, checkpointing of a reversible cell) is a one-line error before any work.</summary>
    public static void CheckBuildable(RunConfig config)
    {
        try
        {
            using var model = TrainableModel.Create(config.Model, config.Training, 8, 8);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new Cli.UserError($"{config.Name}: {e.Message}");
        }
    }

    private static AccountingResult Account(MemoryOptions o, MemoryTarget target, Dictionary<(DataConfig, TokenizerConfig), TrainingData> cache)
    {
        var config = target.Config;
        int srcVocab, tgtVocab;
        List<TrainingBatch> batches;
        if (o.Data == "synthetic")
        {
            var tk = target.Checkpoint?.Tokenizers();
            (srcVocab, tgtVocab) = tk is null ? (config.Tokenizer.VocabSize, config.Tokenizer.VocabSize) : (tk.Source.VocabSize, tk.Target.VocabSize);
            batches = [SyntheticBatch.Create(o.Batch, o.SeqLengths[0], Math.Min(srcVocab, tgtVocab), config.Seed)];
        }
        else
        {
            var d = Data(o, target, cache);
            (srcVocab, tgtVocab) = (d.Tokenizers.Source.VocabSize, d.Tokenizers.Target.VocabSize);
            // Length-bucketed like training batches (a fixed seed keeps it reproducible): batches cut in corpus
            // order pad short sentences to long ones, and padded steps would inflate the baseline and the savings.
            var batcher = new Batcher(d.ValidSources, d.ValidTargets,
                BatcherOptions.ForTraining(config.Training with { BatchSize = o.Batch, BatchType = BatchType.Sentences }, (ulong)config.Seed));
            var all = batcher.Epoch(0).Select(b => new TrainingBatch(b.Sources, b.Targets));
            batches = (o.MaxBatches > 0 ? all.Take(o.MaxBatches) : all).ToList();
        }
        o.Log($"{config.Name}: accounting on {batches.Count} {o.Data} batch(es) of up to {o.Batch} sentences ({(target.Checkpoint is null ? "untrained" : "trained")} weights)");
        torch.manual_seed(config.Seed);
        using var model = TrainableModel.Create(config.Model, config.Training, srcVocab, tgtVocab);
        target.Checkpoint?.RestoreModel(model.Module);
        return MemoryAccounting.Run(model, batches);
    }

    private static TrainingData Data(MemoryOptions o, MemoryTarget target, Dictionary<(DataConfig, TokenizerConfig), TrainingData> cache)
    {
        var config = target.Config;
        if (target.Checkpoint is { } ckpt)
            return TrainingData.Load(config, RunCorpus.Corpus(config, o.ManifestDir), ckpt.Tokenizers(), o.Log);
        var key = (config.Data, config.Tokenizer);
        if (!cache.TryGetValue(key, out var d))
            cache[key] = d = TrainingData.Load(config, RunCorpus.Corpus(config, o.ManifestDir), null, o.Log);
        return d;
    }
}
