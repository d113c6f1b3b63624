// Reversal: training by reversal (MacKay et al. 2018) of the reversible seq2seq model — the wiring of the encoder's
// and the decoder's own reversals.
// Guarantees: between the forward and the backward pass only the two tapes (final states, sealed information
// buffers, the encoder's saved columns), the token ids and the dropout masks are kept — never all steps' logits or
// hidden states; the memory bank is one leaf rebuilt from the tape, its gradient (accumulated over every decoder step)
// goes into the embedding and the encoder's reversal; the gradients equal Backprop's (the model's GraphLoss) up to
// float rounding (ReversalGradientTests); the memory accounting is taken from the tapes before reversal.
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

public sealed class Reversal(ReversibleSeq2Seq model) : IGradientMethod
{
    public (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks m)
    {
        var encoder = model.Encoder;
        var decoder = model.Decoder;

        // 1. Forward passes without gradients: only the tapes survive.
        using var encTape = encoder.Forward(b.Src, b.SrcLengths, b.SrcSteps, m.Encoder);
        using var decTape = decoder.Forward(b.TgtIn, b.TgtLengths, b.TgtSteps, m.Decoder, encTape.Final);
        var (encBits, decBits) = Accounting(encTape, decTape, b);

        // 2. The memory bank, rebuilt once as a leaf; 3. the decoder's reversal: per step, the loss of the reconstructed
        //    top output; returns dL/d(encoder final) and dL/d(bank). The bank is freed before the encoder's reversal.
        double loss = 0;
        Tensor StepLoss(int t, Tensor attentional)
        {
            var nll = model.Loss(attentional, b.TgtOut[t].unsqueeze(1));
            loss += nll.item<float>();
            return GradientMethod.PerSentence(nll, b.Batch);
        }
        Tensor[][] dFinal;
        Tensor bankGrad;
        Tensor bank;
        using (PhaseProfiler.Measure(Phase.Bank)) bank = encoder.MemoryBank(encTape);
        using (bank)
        using (PhaseProfiler.Measure(Phase.DecoderReverse))
            (dFinal, bankGrad) = decoder.Reverse(decTape, bank, b.SrcMask, StepLoss);

        // 4. Encoder reversal from the bank's gradient and dL/d(final state).
        encoder.Reverse(encTape, bankGrad, dFinal);
        foreach (var g in dFinal) foreach (var p in g) p.Dispose();
        return (loss, encBits, decBits);
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
