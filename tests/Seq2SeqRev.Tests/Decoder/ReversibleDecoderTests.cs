// ReversibleDecoderTests: src/Decoder's promise that search and training by reversal run the same decoder — stepping
// the target tokens one at a time with Step (what search does, no buffer) ends in the final state that the training
// forward pass (Forward, which keeps only a tape) leaves on its tape, for both cells. Equal up to float rounding:
// the training forward pass projects the inputs in windows of steps (InputWindows), each inference step on its own.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Decoders;
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Decoder;

public sealed class ReversibleDecoderTests
{
    [Theory]
    [InlineData(ReversibleCellKind.RevGRU)]
    [InlineData(ReversibleCellKind.RevLSTM)]
    public void SteppingEndsWhereTheTrainingForwardPassEnds(ReversibleCellKind cell)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(13);
        const int vocab = 20, steps = 7, batch = 3, layers = 2, hidden = 8;
        using var decoder = new ReversibleDecoder(cell, vocab, 6, hidden, layers, new ForgetLimit(2), FixedPointFormat.Default,
            AttentionScore.General, hidden);
        var tgtIn = randint(1, vocab, [steps, batch], dtype: ScalarType.Int64);
        var lengths = tensor(new long[] { steps, steps, steps });
        var noDropout = new SequenceDropout(null, new Tensor?[layers], null);

        using var tape = decoder.Forward(tgtIn, lengths, steps, noDropout, decoder.Rnn.ZeroState(batch));
        var trained = tape.Rnn.Final;
        var stepped = decoder.Rnn.ZeroState(batch);
        using (no_grad())
            for (var t = 0; t < steps; t++) stepped = decoder.Step(tgtIn[t], stepped);

        for (var l = 0; l < layers; l++)
            Encoder.ReversibleEncoderTests.AssertClose(trained[l].Output, stepped[l].Output, $"final state of layer {l}");
    }
}
