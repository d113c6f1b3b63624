// BaselineVariants: `bench --baseline-variants` — every config trained by ordinary backprop stands for its loss-head
// variants (autograd over the whole sequence, the written-out head over the whole sequence, the written-out head in
// shards), so one run shows them side by side and the ratio to the fastest baseline is against the best of them.
// Guarantees: configs not trained by backprop pass through unchanged and in place; each variant differs from its config
// only in training.loss_head / training.loss_shard and its name ("<name>/<variant>").
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Benchmarks;

public static class BaselineVariants
{
    /// <summary>The configs with each backprop config replaced by its loss-head variants (in place, in the order autograd,
    /// written, written in shards of <paramref name="shard"/> target steps).</summary>
    public static IReadOnlyList<RunConfig> Expand(IReadOnlyList<RunConfig> configs, int shard)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shard, 1);
        var result = new List<RunConfig>();
        foreach (var c in configs)
        {
            if (c.MemoryMode != TrainingMemory.Backprop)
            {
                result.Add(c);
                continue;
            }
            RunConfig Variant(string suffix, LossHead head, int lossShard) => c with
            {
                Name = $"{c.Name}/{suffix}",
                Training = c.Training with { LossHead = head, LossShard = lossShard },
            };
            result.Add(Variant("autograd", LossHead.Autograd, 0));
            result.Add(Variant("written", LossHead.Written, 0));
            result.Add(Variant($"written-shard{shard}", LossHead.Written, shard));
        }
        return result;
    }
}
