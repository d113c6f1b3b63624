// Reversal: training by reversal (MacKay et al. 2018) of the reversible seq2seq model — the wiring of the encoder's
// and the decoder's own reversals.
// Guarantees: between the forward and the backward pass only the two tapes (final states, sealed information
// buffers, the encoder's saved columns), the token ids and the dropout masks are kept — never all steps' logits or
// hidden states; the decoder's loss runs per block of steps (training.reversal_block) as one batch; the memory bank is
// one leaf rebuilt from the tape, its gradient (accumulated over every decoder step)
// goes into the embedding and the encoder's reversal; the gradients equal Backprop's (the model's GraphLoss) up to
// float rounding (ReversalGradientTests); the memory accounting is taken from the tapes before reversal.
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

/// <param name="block">Decoder steps per reversal block (training.reversal_block): their attention, generator and
/// loss run as one batch.</param>
public sealed class Reversal(ReversibleSeq2Seq model, int block = 1) : IGradientMethod
{
    public int Block { get; } = block >= 1 ? block : throw new ArgumentOutOfRangeException(nameof(block), block, "training.reversal_block must be at least 1");

    public (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks m)
    {
        var encoder = model.Encoder;
        var decoder = model.Decoder;

        // 1. Forward passes without gradients: only the tapes survive.
        using var encTape = encoder.Forward(b.Src, b.SrcLengths, b.SrcSteps, m.Encoder);
        using var decTape = decoder.Forward(b.TgtIn, b.TgtLengths, b.TgtSteps, m.Decoder, encTape.Final);
        var (encBits, decBits) = Accounting(encTape, decTape, b);

        // 2. The memory bank, rebuilt once as a leaf; 3. the decoder's reversal: per block of steps, the loss of the
        //    reconstructed top outputs; returns dL/d(encoder final) and dL/d(bank). The bank is freed before the
        //    encoder's reversal. The summed CE stays on the tensor side (float64, as the host sum was): one read at the end.
        using var lossSum = zeros(1, ScalarType.Float64);
        Tensor BlockLoss(int firstStep, Tensor attentional)
        {
            var nll = model.Loss(attentional, b.TgtOut.narrow(0, firstStep, attentional.shape[1]).t());
            lossSum.add_(nll.detach().to(ScalarType.Float64), Scalars.UnitAlpha);
            return GradientMethod.PerSentence(nll, b.Batch);
        }
        Tensor[][] dFinal;
        Tensor bankGrad;
        Tensor bank;
        using (PhaseProfiler.Measure(Phase.Bank)) bank = encoder.MemoryBank(encTape);
        using (bank)
        using (PhaseProfiler.Measure(Phase.DecoderReverse))
            (dFinal, bankGrad) = decoder.Reverse(decTape, bank, b.SrcMask, BlockLoss, Block);

        // 4. Encoder reversal from the bank's gradient and dL/d(final state).
        encoder.Reverse(encTape, bankGrad, dFinal);
        foreach (var g in dFinal) foreach (var p in g) p.Dispose();
        return (lossSum.item<double>(), encBits, decBits);
    }

    /// <summary>Bits per batch from the tapes (before reversal). Source token ids (32 bits each) are counted for banks
    /// with embeddings, which are recomputed from them.</summary>
    private (MemoryBits Encoder, MemoryBits Decoder) Accounting(Encoder.EncoderTape enc, Decoder.DecoderTape dec, PreparedBatch b)
    {
        var ids = model.Encoder.Bank.UsesEmbedding ? 32L * b.Batch * b.SrcSteps : 0;
        return (new MemoryBits(enc.Rnn.BaselineBits, enc.Rnn.ActualBits + ids, enc.Rnn.OptimalBits + ids),
            new MemoryBits(dec.Rnn.BaselineBits, dec.Rnn.ActualBits, dec.Rnn.OptimalBits));
    }
}
