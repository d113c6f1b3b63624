// BenchData: the training batches `bench` times. "val": the config's validation split, tokenized with the tokenizer
// training would learn (TrainingData.Load on the training split; configs with the same data and tokenizer settings
// share one learned tokenizer and encoded corpus), pairs longer than data.max_length dropped as training drops them,
// cut by the training batcher (BatcherOptions.ForTraining: batch type and size, length buckets, shuffled plan) —
// with one batch seed for every config, so configs that agree on tokenizer and batch settings get the very same
// batches. "synthetic": SyntheticPairs random pairs over ids 4..vocab-1 with Multi30K-like subword lengths (means
// about 14.5 / 15.4, source and target correlated), cut by the same batcher; the lengths depend only on the seed, so configs
// with different vocabularies still get batches of identical shape. Guarantees: deterministic given configs and seed;
// the batch list is the first batches of epoch 1's plan, repeated in order when more are asked for than it has.
using System.Globalization;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Training;
using Seq2SeqRev.Training.Data;
using Seq2SeqRev.Memory;

namespace Seq2SeqRev.Benchmarks;

/// <summary>The batches of one config and what they are.</summary>
/// <param name="Group">Configs with equal Group train on identical batches.</param>
internal sealed record BenchBatches(IReadOnlyList<Batch> Timed, IReadOnlyList<Batch> Warmup, int SourceVocab,
    int TargetVocab, int Group, string Tokenizer, string Description)
{
    /// <summary>Target tokens of the timed batches, counted as the trainer counts them (EOS included).</summary>
    public long TimedTokens { get; } = Timed.Sum(b => b.Targets.Sum(y => y.Length + 1L));
}

internal sealed class BenchData(string kind, ulong batchSeed, string? manifestDir, Action<string> log)
{
    /// <summary>Pairs of the synthetic corpus (Multi30K's validation split has 1014).</summary>
    public const int SyntheticPairs = 1014;

    private readonly Dictionary<(DataConfig, TokenizerConfig), (TrainingData Data, IReadOnlyList<int[]> Src, IReadOnlyList<int[]> Tgt, int Dropped)> _val = [];
    private readonly Dictionary<int, (IReadOnlyList<int[]> Src, IReadOnlyList<int[]> Tgt)> _synthetic = [];
    private readonly List<object> _groups = [];

    public BenchBatches For(RunConfig config, int timed, int warmup)
    {
        var c = CultureInfo.InvariantCulture;
        var batcherOptions = BatcherOptions.ForTraining(config.Training, (ulong)config.Seed) with { Seed = batchSeed };
        IReadOnlyList<int[]> src, tgt;
        int srcVocab, tgtVocab;
        string tokenizer, what;
        object corpusKey;
        if (kind == "synthetic")
        {
            srcVocab = tgtVocab = config.Tokenizer.VocabSize;
            if (!_synthetic.TryGetValue(srcVocab, out var pairs))
                _synthetic[srcVocab] = pairs = Synthetic(srcVocab, batchSeed);
            (src, tgt) = pairs;
            corpusKey = srcVocab;
            tokenizer = $"none (random ids, vocab {srcVocab})";
            what = $"synthetic: {src.Count} random pairs";
        }
        else
        {
            var key = (config.Data, config.Tokenizer);
            if (!_val.TryGetValue(key, out var entry))
            {
                var data = TrainingData.Load(config, RunCorpus.Corpus(config, manifestDir), null, log);
                var max = config.Data.MaxLength;
                var keep = Enumerable.Range(0, data.ValidSources.Count)
                    .Where(i => data.ValidSources[i].Length <= max && data.ValidTargets[i].Length <= max).ToList();
                _val[key] = entry = (data, keep.Select(i => data.ValidSources[i]).ToList(), keep.Select(i => data.ValidTargets[i]).ToList(),
                    data.ValidSources.Count - keep.Count);
            }
            (src, tgt) = (entry.Src, entry.Tgt);
            var tk = entry.Data.Tokenizers;
            (srcVocab, tgtVocab) = (tk.Source.VocabSize, tk.Target.VocabSize);
            corpusKey = key;
            tokenizer = $"learned on {config.Data.Train} ({(tk.IsJoint ? "joint" : "separate")}, vocab {srcVocab}/{tgtVocab})";
            what = $"{config.Data.Corpus} {config.Data.Valid} {config.Data.SrcLang}-{config.Data.TgtLang}: {src.Count} pairs"
                + (entry.Dropped > 0 ? $" ({entry.Dropped} longer than data.max_length = {config.Data.MaxLength} dropped)" : "");
        }

        var plan = new Batcher(src, tgt, batcherOptions).Epoch(1).ToList();
        var groupKey = (corpusKey, batcherOptions);
        var group = _groups.IndexOf(groupKey);
        if (group < 0) { _groups.Add(groupKey); group = _groups.Count - 1; }
        string unit = batcherOptions.BatchType == BatchType.Tokens ? "padded tokens" : "sentences";
        var description = string.Create(c,
            $"{what}, mean length {src.Average(s => s.Length):F1}/{tgt.Average(t => t.Length):F1} tokens, {plan.Count} batches of up to {batcherOptions.BatchSize} {unit}");
        return new BenchBatches(Cycle(plan, timed), Cycle(plan, warmup), srcVocab, tgtVocab, group, tokenizer, description);
    }

    private static List<Batch> Cycle(List<Batch> plan, int count) =>
        [.. Enumerable.Range(0, count).Select(i => plan[i % plan.Count])];

    /// <summary>Random pairs whose lengths follow Multi30K's subword lengths roughly: source ~ N(14.5, 4.5) clamped to
    /// 4..45 tokens, target = source × N(1.06, 0.12) clamped to 3..45 (Multi30K val en-de with the default tokenizer:
    /// 14.5 / 15.4).</summary>
    internal static (IReadOnlyList<int[]> Src, IReadOnlyList<int[]> Tgt) Synthetic(int vocab, ulong seed)
    {
        var lengths = new Random(unchecked((int)seed));
        var ids = new Random(unchecked((int)(seed * 31 + 7)));
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - lengths.NextDouble())) * Math.Cos(2 * Math.PI * lengths.NextDouble());
        int[] Sentence(int n) => [.. Enumerable.Range(0, n).Select(_ => ids.Next(SyntheticBatch.FirstOrdinaryId, vocab))];
        var src = new List<int[]>(SyntheticPairs);
        var tgt = new List<int[]>(SyntheticPairs);
        for (var i = 0; i < SyntheticPairs; i++)
        {
            var s = Math.Clamp((int)Math.Round(14.5 + 4.5 * Normal()), 4, 45);
            var t = Math.Clamp((int)Math.Round(s * (1.06 + 0.12 * Normal())), 3, 45);
            src.Add(Sentence(s));
            tgt.Add(Sentence(t));
        }
        return (src, tgt);
    }
}
