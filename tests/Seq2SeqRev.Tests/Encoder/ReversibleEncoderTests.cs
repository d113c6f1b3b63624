// ReversibleEncoderTests: src/Encoder's promise that inference and training by reversal run the same encoder —
// Encode (no buffer, no tape) gives the memory bank that MemoryBank rebuilds from the training tape, and the same final
// state, for both cells and every memory bank, over padded batches. Equal up to float rounding, not bit for bit:
// inference projects each step's input on its own, training in windows of steps (InputWindows), and the forget gates
// are quantized (2^-10), so a rounding difference can move a state by ~1e-3 of its value.
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Encoder;

public sealed class ReversibleEncoderTests
{
    [Theory]
    [InlineData(ReversibleCellKind.RevGRU, MemoryBankKind.EmbeddingAndSlice)]
    [InlineData(ReversibleCellKind.RevGRU, MemoryBankKind.Hidden)]
    [InlineData(ReversibleCellKind.RevLSTM, MemoryBankKind.Slice)]
    [InlineData(ReversibleCellKind.RevLSTM, MemoryBankKind.Embedding)]
    public void InferenceEncodesWhatTheTrainingTapeRebuilds(ReversibleCellKind cell, MemoryBankKind bank)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        const int vocab = 20, steps = 9, batch = 3, layers = 2;
        using var encoder = new ReversibleEncoder(cell, vocab, 6, 8, layers, new ForgetLimit(3), bank, 2, FixedPointFormat.Default);
        var src = randint(1, vocab, [steps, batch], dtype: ScalarType.Int64);
        var lengths = tensor(new long[] { steps, 5, 2 });
        var noDropout = new SequenceDropout(null, new Tensor?[layers], null);

        var (inferred, inferredFinal) = encoder.Encode(src, lengths);
        using var tape = encoder.Forward(src, lengths, steps, noDropout);
        var rebuilt = encoder.MemoryBank(tape);
        var trainedFinal = tape.Final;

        Assert.Equal(inferred.shape, rebuilt.shape);
        AssertClose(rebuilt.detach(), inferred, "memory bank");
        for (var l = 0; l < layers; l++)
            AssertClose(trainedFinal[l].Output, inferredFinal[l].Output, $"final state of layer {l}");
    }

    /// <summary>Equal up to rounding: a float difference of the input projections can move a forget gate by one step of
    /// its fixed-point grid (2^-10) and so a state by ~1e-3 of its value; a wiring mistake differs by far more.</summary>
    internal static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= 5e-3f, $"{what}: differs by up to {diff}");
    }
}
