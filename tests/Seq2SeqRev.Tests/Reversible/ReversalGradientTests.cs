using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

/// <summary>
/// Training by reversal gives the same gradients as ordinary autograd through the same fixed-point
/// forward pass (straight-through rounding): parameters, inputs and the initial state, with masks,
/// saved columns and inter-layer dropout masks.
/// </summary>
public class ReversalGradientTests
{
    public static TheoryData<ReversibleCellKind, int, int> Cases() => new()
    {
        { ReversibleCellKind.RevGRU, 1, 0 }, { ReversibleCellKind.RevGRU, 1, 3 }, { ReversibleCellKind.RevGRU, 2, 2 },
        { ReversibleCellKind.RevGRU, 2, 12 },
        { ReversibleCellKind.RevLSTM, 1, 0 }, { ReversibleCellKind.RevLSTM, 1, 3 }, { ReversibleCellKind.RevLSTM, 2, 2 },
        { ReversibleCellKind.RevLSTM, 2, 12 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReversalGradientsEqualAutograd(ReversibleCellKind kind, int layers, int saved)
    {
        using var _ = NewDisposeScope();
        const int steps = 25, batch = 5, input = 4, hidden = 12;
        var rnn = ReversalTestKit.MakeRnn(kind, input, hidden, layers, ForgetLimit.Parse("3"), saved, 3);
        var (x, lengths) = ReversalTestKit.RandomBatch(steps, batch, input, 5);
        var g = new Generator(9);
        var weights = randn(steps, batch, hidden, generator: g);
        var finalWeights = randn(batch, hidden, generator: g);
        var keep = Scalars.Float32(0.7f);
        var dropout = layers > 1 ? bernoulli(full(batch, hidden, keep), g).div(keep) : null;
        IReadOnlyList<Tensor?> masks = [null, dropout];

        // 1. ordinary autograd through the fixed-point forward
        var x1 = x.clone().requires_grad_(true);
        var (outputs, final) = rnn.ForwardWithGraph(t => x1[t], steps, lengths, rnn.ZeroState(batch), masks);
        var loss = stack(outputs).mul(weights).sum().add(final.TopOutput.mul(finalWeights).sum(), Scalars.UnitAlpha);
        loss.backward();
        var expected = rnn.parameters().Select(p => p.grad!.clone()).ToArray();
        var expectedInput = x1.grad!.clone();
        rnn.zero_grad();

        // 2. training by reversal
        var x2 = x.clone().requires_grad_(true);
        var tape = rnn.Forward(t => x2[t].detach(), steps, lengths, rnn.ZeroState(batch), masks);
        var half = hidden / 2;
        var finalGrads = Enumerable.Range(0, layers).Select(l => (IReadOnlyList<Tensor>)Enumerable.Range(0, rnn.PartCount)
            .Select(p => l == layers - 1 && p < 2 ? finalWeights.narrow(1, p * half, half) : zeros(batch, half)).ToArray()).ToArray();
        rnn.Backward(tape, t => x2[t], (t, output) => output.mul(weights[t]).sum(), finalGrads);
        var actual = rnn.parameters().Select(p => p.grad!).ToArray();

        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"parameter {i}");
        AssertClose(expectedInput, x2.grad!, "input");
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        var diff = expected.sub(actual).norm().item<float>();
        var scale = expected.norm().item<float>();
        Assert.True(scale > 0, $"{what}: zero reference gradient");
        Assert.True(diff <= 1e-5 * scale, $"{what}: ‖Δ‖ = {diff} > 1e-5 · ‖g‖ = {1e-5 * scale}");
    }
}
