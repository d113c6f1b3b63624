// Tests for Batcher: coverage, budgets, determinism, resuming.
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Training.Data;
using Xunit;

namespace Seq2SeqRev.Tests.Training.Data;

public class BatcherTests
{
    private static (int[][] Src, int[][] Tgt) Examples(int n)
    {
        var src = new int[n][];
        var tgt = new int[n][];
        for (int i = 0; i < n; i++)
        {
            src[i] = Enumerable.Repeat(i, 1 + (i * 7919) % 40).ToArray();
            tgt[i] = Enumerable.Repeat(-i, 1 + (i * 104729) % 50).ToArray();
        }
        return (src, tgt);
    }

    [Theory]
    [InlineData(BatchType.Sentences, 32)]
    [InlineData(BatchType.Tokens, 500)]
    public void EveryExampleExactlyOncePerEpoch(BatchType type, int size)
    {
        var (src, tgt) = Examples(1001);
        var batcher = new Batcher(src, tgt, new BatcherOptions { BatchType = type, BatchSize = size, BucketPoolSize = 300 });
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = batcher.Epoch(epoch).SelectMany(b => b.Examples).OrderBy(i => i).ToList();
            Assert.Equal(Enumerable.Range(0, 1001), seen);
        }
    }

    [Fact]
    public void BatchesCarryTheRightArrays()
    {
        var (src, tgt) = Examples(100);
        foreach (var b in new Batcher(src, tgt, new BatcherOptions { BatchSize = 7 }).Epoch(0))
            for (int k = 0; k < b.Count; k++)
            {
                Assert.Same(src[b.Examples[k]], b.Sources[k]);
                Assert.Same(tgt[b.Examples[k]], b.Targets[k]);
            }
    }

    [Fact]
    public void SentenceCountRespected()
    {
        var (src, tgt) = Examples(1000);
        var batches = new Batcher(src, tgt, new BatcherOptions { BatchSize = 30 }).Epoch(1).ToList();
        Assert.All(batches, b => Assert.InRange(b.Count, 1, 30));
    }

    [Fact]
    public void TokenBudgetRespectedIncludingPadding()
    {
        var (src, tgt) = Examples(2000);
        var options = new BatcherOptions { BatchType = BatchType.Tokens, BatchSize = 400, PerSequenceOverhead = 2 };
        var batches = new Batcher(src, tgt, options).Epoch(0).ToList();
        Assert.All(batches, b =>
            Assert.True(b.Count * (Math.Max(b.MaxSourceLength, b.MaxTargetLength) + 2) <= 400, $"batch {b.Index} over budget"));
        Assert.True(batches.Count < 2000 / 4, $"{batches.Count} batches: bucketing is not packing");
    }

    [Fact]
    public void OversizedExampleGetsItsOwnBatch()
    {
        int[][] src = [new int[5], new int[1000], new int[5]];
        int[][] tgt = [new int[5], new int[5], new int[5]];
        var batches = new Batcher(src, tgt, new BatcherOptions { BatchType = BatchType.Tokens, BatchSize = 100 }).Epoch(0).ToList();
        Assert.Contains(batches, b => b.Examples.SequenceEqual([1]));
        Assert.Equal(3, batches.Sum(b => b.Count));
    }

    [Fact]
    public void SameSeedAndEpochGiveSameOrder_OtherEpochOrSeedDiffers()
    {
        var (src, tgt) = Examples(500);
        var options = new BatcherOptions { BatchSize = 16, Seed = 7 };
        static List<int[]> Order(Batcher b, int e) => b.Epoch(e).Select(x => x.Examples).ToList();
        var a = Order(new Batcher(src, tgt, options), 3);
        var b = Order(new Batcher(src, tgt, options), 3);
        Assert.Equal(a, b);
        Assert.NotEqual(a, Order(new Batcher(src, tgt, options), 4));
        Assert.NotEqual(a, Order(new Batcher(src, tgt, options with { Seed = 8 }), 3));
    }

    [Fact]
    public void ResumingAtBatchIReproducesTheRest()
    {
        var (src, tgt) = Examples(500);
        var batcher = new Batcher(src, tgt, new BatcherOptions { BatchType = BatchType.Tokens, BatchSize = 300 });
        var full = batcher.Epoch(2).ToList();
        var resumed = new Batcher(src, tgt, batcher.Options).Epoch(2, startBatch: 5).ToList();
        Assert.Equal(full.Count - 5, resumed.Count);
        for (int i = 0; i < resumed.Count; i++)
        {
            Assert.Equal(full[i + 5].Index, resumed[i].Index);
            Assert.Equal(full[i + 5].Examples, resumed[i].Examples);
        }
    }

    [Fact]
    public void NoShuffleKeepsCorpusOrder()
    {
        var (src, tgt) = Examples(50);
        var batches = new Batcher(src, tgt, new BatcherOptions { BatchSize = 8, Shuffle = false }).Epoch(0).ToList();
        Assert.Equal(Enumerable.Range(0, 50), batches.SelectMany(b => b.Examples));
    }

    [Fact]
    public void FixedSeedGivesAPinnedFirstBatch()
    {
        // Guards against accidental changes of the shuffle algorithm (which would break resuming old runs).
        var (src, tgt) = Examples(100);
        var first = new Batcher(src, tgt, new BatcherOptions { BatchSize = 4, Seed = 1 }).Epoch(0).First().Examples;
        Assert.Equal(PinnedFirstBatch, first);
    }

    private static readonly int[] PinnedFirstBatch = [82, 42, 2, 22];
}
