// Batcher: groups tokenized sentence pairs into length-bucketed batches, reshuffled per epoch.
// Guarantees: each epoch's plan is a pure function of (examples, options, seed, epoch) — own SplitMix64 RNG,
// no hash-order or runtime-version dependence — so Epoch(e, startBatch: i) yields exactly the batches i, i+1, ...
// of Epoch(e); every example is in exactly one batch per epoch; with BatchType.Sentences a batch has at most
// BatchSize pairs; with BatchType.Tokens its padded size, count * max(longest source, longest target)
// (+ PerSequenceOverhead), is at most BatchSize unless a single pair alone exceeds it (then it is alone).
// Batches are plain managed arrays (no tensors).
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
namespace Seq2SeqRev.Training.Data;

public sealed record BatcherOptions
{
    /// <summary>Pairs per batch (Sentences) or padded-token budget per batch (Tokens).</summary>
    public int BatchSize { get; init; } = 64;
    public BatchType BatchType { get; init; } = BatchType.Sentences;
    public ulong Seed { get; init; } = 42;
    /// <summary>false: keep corpus order and batch order (evaluation); true: shuffle, bucket, shuffle batches.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Examples sorted together by length before cutting batches (bigger = tighter buckets, less random).</summary>
    public int BucketPoolSize { get; init; } = 4096;
    /// <summary>Tokens the model adds per sequence (e.g. 2 for bos/eos), counted in the token budget.</summary>
    public int PerSequenceOverhead { get; init; }

    /// <summary>BOS and EOS: the tokens every seq2seq model adds per sequence.</summary>
    public const int Seq2SeqOverhead = 2;

    /// <summary>Training batches of training.batch_size (sentences or tokens), length-bucketed and shuffled from <paramref name="seed"/>.</summary>
    public static BatcherOptions ForTraining(TrainingConfig t, ulong seed) => new()
    {
        BatchSize = t.BatchSize, BatchType = t.BatchType, Seed = seed, PerSequenceOverhead = Seq2SeqOverhead,
    };

    /// <summary>Evaluation batches of training.batch_size in corpus order.</summary>
    public static BatcherOptions ForEvaluation(TrainingConfig t) => ForTraining(t, 42) with { Shuffle = false };
}

/// <param name="Index">Position of the batch in its epoch.</param>
/// <param name="Examples">Indices of the pairs into the Batcher's input lists.</param>
public sealed record Batch(int Epoch, int Index, int[] Examples, int[][] Sources, int[][] Targets)
{
    public int Count => Examples.Length;
    public int MaxSourceLength => Sources.Max(s => s.Length);
    public int MaxTargetLength => Targets.Max(t => t.Length);
}

public sealed class Batcher
{
    private readonly IReadOnlyList<int[]> _sources, _targets;

    public Batcher(IReadOnlyList<int[]> sources, IReadOnlyList<int[]> targets, BatcherOptions options)
    {
        if (sources.Count != targets.Count)
            throw new ArgumentException($"{sources.Count} sources but {targets.Count} targets");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (options.BucketPoolSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BucketPoolSize must be at least 1");
        _sources = sources;
        _targets = targets;
        Options = options;
    }

    public BatcherOptions Options { get; }
    public int ExampleCount => _sources.Count;

    /// <summary>The example indices of every batch of an epoch, in order.</summary>
    public IReadOnlyList<int[]> Plan(int epoch)
    {
        int n = _sources.Count;
        var order = Enumerable.Range(0, n).ToArray();
        if (!Options.Shuffle) return Cut(order);

        var rng = new SplitMix64(Options.Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)));
        rng.Shuffle(order);
        var batches = new List<int[]>();
        for (int start = 0; start < n; start += Options.BucketPoolSize)
        {
            var pool = order[start..Math.Min(n, start + Options.BucketPoolSize)];
            // Stable order: by length, then by the shuffled position (keys are distinct, so no ties).
            var keys = pool.Select((ex, pos) => ((long)Length(ex) << 32) | (uint)pos).ToArray();
            Array.Sort(keys, pool);
            batches.AddRange(Cut(pool));
        }
        var result = batches.ToArray();
        rng.Shuffle(result);
        return result;
    }

    public int BatchCount(int epoch) => Plan(epoch).Count;

    /// <summary>Batches of an epoch, starting at batch <paramref name="startBatch"/> (for resuming).</summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
    {
        var plan = Plan(epoch);
        for (int i = Math.Max(0, startBatch); i < plan.Count; i++)
        {
            var ex = plan[i];
            yield return new Batch(epoch, i, ex, ex.Select(e => _sources[e]).ToArray(), ex.Select(e => _targets[e]).ToArray());
        }
    }

    private int Length(int example) =>
        Math.Max(_sources[example].Length, _targets[example].Length) + Options.PerSequenceOverhead;

    private List<int[]> Cut(int[] examples)
    {
        var batches = new List<int[]>();
        var current = new List<int>();
        int longest = 0;
        foreach (int ex in examples)
        {
            int len = Length(ex);
            bool fits = Options.BatchType == BatchType.Sentences
                ? current.Count < Options.BatchSize
                : (long)(current.Count + 1) * Math.Max(longest, len) <= Options.BatchSize;
            if (!fits && current.Count > 0)
            {
                batches.Add(current.ToArray());
                current.Clear();
                longest = 0;
            }
            current.Add(ex);
            longest = Math.Max(longest, len);
        }
        if (current.Count > 0) batches.Add(current.ToArray());
        return batches;
    }

    /// <summary>SplitMix64: tiny, fast, and its output is fixed forever (unlike System.Random's seeding).</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, bound) by rejection (no modulo bias).</summary>
        public int NextInt(int bound)
        {
            ulong limit = ulong.MaxValue - ulong.MaxValue % (ulong)bound;
            ulong r;
            do r = Next(); while (r >= limit);
            return (int)(r % (ulong)bound);
        }

        public void Shuffle<T>(T[] items)
        {
            for (int i = items.Length - 1; i > 0; i--)
            {
                int j = NextInt(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
    }
}
