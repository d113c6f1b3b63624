// LossHeadTests: Seq2SeqModel.LossAndGradient (the loss head with its gradient written out, used per reversal block)
// against autograd through Loss / sentences: the summed CE, dL/d(attentional) and the generator's weight and bias
// gradients agree to float rounding, with pads among the targets, a batch size that is not a power of two and
// gradients already in .grad (they accumulate); pad positions get no gradient.
using Seq2SeqRev.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Seq2Seq;

public sealed class LossHeadTests
{
    [Theory]
    [InlineData(5, 3)]
    [InlineData(4, 1)]
    public void LossAndGradientEqualAutograd(int batch, int steps)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var trainable = Seq2SeqTestKit.Create(Seq2SeqTestKit.Config("revgru", "emb+slice"), "reversal", seed: 3);
        var model = (Seq2SeqModel)trainable.Module;
        var hidden = model.Spec.Hidden;
        var attentional = randn(batch, steps, hidden);
        var target = randint(PreparedBatch.Eos, Seq2SeqTestKit.Vocab, [batch, steps]);
        target[0, steps - 1] = tensor((long)PreparedBatch.Pad);
        target[batch - 1, 0] = tensor((long)PreparedBatch.Pad);
        var generator = model.named_parameters().Where(p => p.name.StartsWith("generator.", StringComparison.Ordinal))
            .ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(2, generator.Count);

        // Autograd, twice (the second accumulates onto the first).
        model.zero_grad();
        var leaf = attentional.clone().requires_grad_(true);
        Tensor expectedLoss = zeros(1);
        for (var i = 0; i < 2; i++)
        {
            var nll = model.Loss(leaf, target);
            expectedLoss = nll.detach();
            using var sentences = ((double)batch).ToScalar();
            nll.div(sentences).backward();
        }
        var expectedInput = leaf.grad!.div(Seq2SeqRev.Reversible.Scalars.Float32(2f)).clone();
        var expected = generator.ToDictionary(p => p.Key, p => p.Value.grad!.clone());

        // Written out, twice.
        model.zero_grad();
        Tensor loss = zeros(1), input = zeros(1);
        for (var i = 0; i < 2; i++) (loss, input) = model.LossAndGradient(attentional, target, batch);

        Assert.Equal(expectedLoss.item<float>(), loss.item<float>(), 1e-5f * Math.Abs(expectedLoss.item<float>()));
        Assert.True(input.allclose(expectedInput, 1e-5, 1e-7), "dL/d(attentional)");
        foreach (var (name, p) in generator)
            Assert.True(p.grad!.allclose(expected[name], 1e-5, 1e-7), $"{name}: max |diff| {(p.grad! - expected[name]).abs().max().item<float>()}");
        Assert.Equal(0f, input[0, steps - 1].abs().sum().item<float>());
        Assert.Equal(0f, input[batch - 1, 0].abs().sum().item<float>());
        Assert.True(input[1, 0].abs().sum().item<float>() > 0);
    }
}
