// GlobalAttentionTests: src/Attention's guarantees for every score kind — masked source positions get exactly zero
// weight, each row of weights sums to 1 over the real positions, and the output does not depend on what the masked
// positions of the memory bank hold.
using Seq2SeqRev.Attention;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Attention;

public sealed class GlobalAttentionTests
{
    [Theory]
    [InlineData(AttentionScore.General)]
    [InlineData(AttentionScore.Dot)]
    [InlineData(AttentionScore.Concat)]
    public void MaskedPositionsGetZeroWeightAndDoNotMatter(AttentionScore kind)
    {
        using var scope = NewDisposeScope();
        using var one = 1f.ToScalar();
        using var hundred = 100f.ToScalar();
        torch.manual_seed(7);
        const int batch = 2, steps = 3, sources = 5, size = 4;
        using var attention = new GlobalAttention(kind, size, size);
        var query = randn(batch, steps, size);
        var memory = randn(batch, sources, size);
        var mask = tensor(new[] { true, true, true, false, false, true, true, true, true, true }).reshape(batch, sources);

        var (output, weights) = attention.ForwardWithWeights(query, memory, mask);

        var masked = weights[0, TensorIndex.Colon, TensorIndex.Slice(3, 5)];
        Assert.Equal(0f, masked.abs().max().item<float>());
        var rowSums = weights.sum(-1);
        Assert.True(rowSums.sub(one).abs().max().item<float>() < 1e-5f, $"row sums {rowSums}");

        var changed = memory.clone();
        changed[0, TensorIndex.Slice(3, 5)] = randn(2, size).mul(hundred);
        var (again, _) = attention.ForwardWithWeights(query, changed, mask);
        Assert.True(again.equal(output).all().item<bool>(), "the output depends on masked memory positions");
    }
}
