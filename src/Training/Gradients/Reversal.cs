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

    /// <summary>Bits per batch from the tapes (before reversal), in both conventions (see <see cref="MemoryBits"/>). Paper:
    /// source token ids (32 bits each) are counted for banks with embeddings, which are recomputed from them. Held: see
    /// <see cref="HeldAccounting"/>.</summary>
    private (MemoryBits Encoder, MemoryBits Decoder) Accounting(Encoder.EncoderTape enc, Decoder.DecoderTape dec, PreparedBatch b)
    {
        var ids = model.Encoder.Bank.UsesEmbedding ? 32L * b.Batch * b.SrcSteps : 0;
        var (encHeld, encLimit) = HeldAccounting.ForEncoder(enc, b, model.Encoder.VocabSize);
        var (decHeld, decLimit) = HeldAccounting.ForDecoder(dec, b, model.Decoder.VocabSize);
        return (new MemoryBits(enc.Rnn.BaselineBits, enc.Rnn.ActualBits + ids, enc.Rnn.OptimalBits + ids)
            {
                BaselineUnpadded = enc.Rnn.BaselineBitsUnpadded, HeldParts = encHeld, LimitParts = encLimit,
            },
            new MemoryBits(dec.Rnn.BaselineBits, dec.Rnn.ActualBits, dec.Rnn.OptimalBits)
            {
                BaselineUnpadded = dec.Rnn.BaselineBitsUnpadded, HeldParts = decHeld, LimitParts = decLimit,
            });
    }
}

/// <summary>
/// The held convention: every bit training by reversal keeps between its forward and its backward pass, by part, as
/// stored (tensor element width × elements), and the same parts at their information minimum.
/// Encoder: final state, buffer (packed registers, spilled chunks, one flag bit per multiply), saved attention columns
/// ([T+1, B, k] int32), source ids [S, B], source lengths [B], the attention mask [B, S] (bool, one byte each), dropout
/// masks (embedding, between layers, bank columns; float32 [B, dim] each). Decoder: final state, buffer, decoder input ids
/// [T, B] and loss target ids [T, B] (both re-read by the reverse sweep), target lengths [B], dropout masks (embedding,
/// between layers, output). Not counted: parameters and their gradients (every method has them), the memory bank and
/// everything else the backward pass itself allocates (measured memory covers those).
/// </summary>
public static class HeldAccounting
{
    public const string FinalState = "final_state", BufferRegisters = "buffer_registers", BufferChunks = "buffer_chunks",
        BufferFlags = "buffer_flags", Buffer = "buffer", SavedSlices = "saved_slices", SourceIds = "source_ids",
        SourceLengths = "source_lengths", AttentionMask = "attention_mask", DropoutMasks = "dropout_masks",
        TargetInputIds = "target_input_ids", TargetOutputIds = "target_output_ids", TargetLengths = "target_lengths";

    public static (List<BitPart> Held, List<BitPart> Limit) ForEncoder(Seq2SeqRev.Encoder.EncoderTape tape, PreparedBatch b, long vocab)
    {
        var rnn = tape.Rnn;
        var d = tape.Dropout;
        var held = Common(rnn);
        held.Add(new(SavedSlices, rnn.SavedBits));
        held.Add(new(SourceIds, Bits(tape.Src)));
        held.Add(new(SourceLengths, rnn.LengthsBits));
        held.Add(new(AttentionMask, Bits(b.SrcMask)));
        held.Add(new(DropoutMasks, Bits(d.Embedding) + d.Layers.Sum(Bits) + Bits(d.Bank)));

        var limit = CommonLimit(rnn);
        limit.Add(new(SavedSlices, rnn.Saved is null ? 0 : 32.0 * rnn.Saved.shape[2] * rnn.RealSteps));
        limit.Add(new(SourceIds, CeilLog2(vocab) * rnn.RealSteps));
        limit.Add(new(SourceLengths, (double)CeilLog2(rnn.Steps + 1) * rnn.Batch));
        limit.Add(new(AttentionMask, 0));
        limit.Add(new(DropoutMasks, Elements(d.Embedding) + d.Layers.Sum(Elements) + Elements(d.Bank)));
        return (held, limit);
    }

    public static (List<BitPart> Held, List<BitPart> Limit) ForDecoder(Seq2SeqRev.Decoder.DecoderTape tape, PreparedBatch b, long vocab)
    {
        var rnn = tape.Rnn;
        var d = tape.Dropout;
        var held = Common(rnn);
        held.Add(new(TargetInputIds, Bits(tape.TgtIn)));
        held.Add(new(TargetOutputIds, Bits(b.TgtOut)));
        held.Add(new(TargetLengths, rnn.LengthsBits));
        held.Add(new(DropoutMasks, Bits(d.Embedding) + d.Layers.Sum(Bits) + Bits(d.Output)));

        var limit = CommonLimit(rnn);
        limit.Add(new(TargetInputIds, CeilLog2(vocab) * rnn.RealSteps));
        limit.Add(new(TargetOutputIds, 0));   // the input ids shifted by one, EOS at each length
        limit.Add(new(TargetLengths, (double)CeilLog2(rnn.Steps + 1) * rnn.Batch));
        limit.Add(new(DropoutMasks, Elements(d.Embedding) + d.Layers.Sum(Elements) + Elements(d.Output)));
        return (held, limit);
    }

    private static List<BitPart> Common(ReversalTape rnn) =>
    [
        new(FinalState, rnn.FinalStateBits),
        new(BufferRegisters, rnn.BufferRegisterBits),
        new(BufferChunks, rnn.BufferChunkBits),
        new(BufferFlags, rnn.BufferFlagBits),
    ];

    /// <summary>The final state at 32 bits per value (the fixed-point width the values are checked to fit) and the buffer
    /// at Σ −log2 z.</summary>
    private static List<BitPart> CommonLimit(ReversalTape rnn) =>
    [
        new(FinalState, 32.0 * rnn.FinalStateValues),
        new(Buffer, rnn.OptimalBits - rnn.SavedBits),
    ];

    /// <summary>Bits of a tensor as stored: elements × element width.</summary>
    public static long Bits(Tensor? t) => t is null ? 0 : t.numel() * t.element_size() * 8;

    private static double Elements(Tensor? t) => t is null ? 0 : t.numel();

    private static long CeilLog2(long n) => n <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(n - 1));
}
