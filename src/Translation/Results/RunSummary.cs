// RunSummary: one row of the results table — what a run is (config name, cell, attention memory bank, forgetting
// limit, training memory mode), how its training went (from metrics.jsonl) and how its best checkpoint scores on each
// test split. Guarantees: Validation holds one entry per epoch in epoch order (a repeated epoch, e.g. after a crash
// between validation and checkpoint, keeps its last line); the best epoch is the first epoch with the lowest finite
// val_ppl, as the trainer selects best.ckpt; Finished is why the run ended (its last.ckpt or exported run.json), null while
// it is unfinished; training hours = sum of the epochs' seconds / 3600; every mean skips
// null/non-finite values and is null when none is left.
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Scoring;

namespace Seq2SeqRev.Translation.Results;

/// <summary>The best checkpoint on one test split: the hypothesis file it wrote and its sacreBLEU scores.</summary>
public sealed record TestResult(string Split, long Sentences, string HypothesisPath, BleuScore Bleu, BleuScore BleuLowercase,
    ChrfScore Chrf, double SentencesPerSecond);

/// <param name="Label">The run's name in tables, JSON and the plot legend: the config name, made unique by the caller.</param>
/// <param name="Cell">The settings as the run's config writes them (<paramref name="Cell"/>, <paramref name="MaxForgetBits"/>,
/// <paramref name="TrainingMemory"/>; SettingNames words) and the memory bank as the paper names it (<paramref name="Attention"/>):
/// display values for tables and JSON, nothing branches on them.</param>
public sealed record RunSummary(string Label, string RunDir, string Name, string Cell, string Attention, string? MaxForgetBits,
    string TrainingMemory, IReadOnlyList<ValidationMetrics> Validation, IReadOnlyList<TestResult> Tests,
    RunConfig? Config = null, string? Finished = null)
{
    public static RunSummary Create(string label, RunDirectory run, IReadOnlyList<TestResult> tests)
    {
        var m = run.Config.Model;
        return new RunSummary(label, run.Dir, run.Config.Name, SettingNames.Cells.NameOf(m.Cell), m.MemoryBankLabel,
            m.IsReversible ? SettingNames.ForgetLimits.NameOf(m.MaxForgetBits) : null, SettingNames.MemoryModes.NameOf(run.Config.MemoryMode),
            PerEpoch(run.Metrics), tests, run.Config, run.Finished);
    }

    /// <summary>One validation per epoch (the last line of a repeated epoch), in epoch order.</summary>
    public static IReadOnlyList<ValidationMetrics> PerEpoch(IEnumerable<ValidationMetrics> lines) =>
        lines.GroupBy(v => v.Epoch).Select(g => g.Last()).OrderBy(v => v.Epoch).ToList();

    public int Epochs => Validation.Count;

    /// <summary>The validation of the best epoch (first lowest finite val_ppl); null when no perplexity is finite.</summary>
    public ValidationMetrics? Best => Validation.Where(v => double.IsFinite(v.ValPpl))
        .Aggregate((ValidationMetrics?)null, (best, v) => best is null || v.ValPpl < best.ValPpl ? v : best);

    public double TrainingHours => Validation.Select(v => v.Seconds).Where(double.IsFinite).Sum() / 3600;
    public double? MeanTokensPerSecond => Mean(v => v.TokensPerSecond);
    public double? EncSavingActual => Mean(v => v.EncSavingActual);
    public double? EncSavingOptimal => Mean(v => v.EncSavingOptimal);
    public double? DecSavingActual => Mean(v => v.DecSavingActual);
    public double? DecSavingOptimal => Mean(v => v.DecSavingOptimal);
    public double? EncSavingHeld => Mean(v => v.EncSavingHeld);
    public double? DecSavingHeld => Mean(v => v.DecSavingHeld);
    public double? EncSavingHeldLimit => Mean(v => v.EncSavingHeldLimit);
    public double? DecSavingHeldLimit => Mean(v => v.DecSavingHeldLimit);

    public TestResult? Test(string split) => Tests.FirstOrDefault(t => t.Split == split);

    private double? Mean(Func<ValidationMetrics, double?> field)
    {
        var values = Validation.Select(field).OfType<double>().Where(double.IsFinite).ToList();
        return values.Count == 0 ? null : values.Average();
    }
}
