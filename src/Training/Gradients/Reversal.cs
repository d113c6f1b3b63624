// Reversal: training by reversal (MacKay et al. 2018) of the reversible seq2seq model — the wiring of the encoder's
// and the decoder's own reversals.
// Guarantees: between the forward and the backward pass only the two tapes are kept, each part compactly (the decoder's
// final state and both buffers packed by significant bits, the encoder's saved columns of real steps packed the same
// way, ids at the narrowest integer type, lengths likewise, dropout masks at one bit per element) — never all steps'
// logits or hidden states; the batch's own tensors and the float masks are freed once both forward passes are done,
// and the encoder's final state is not held at all: it is the decoder's initial state, which the decoder's reversal
// rebuilds bit for bit and hands to the encoder's reversal. The loss targets are derived from the decoder inputs and
// the attention mask from the source lengths. Everything restored is bit-identical, so training computes exactly what
// it computed with the uncompacted tapes (ReproducibilityTests, Seq2SeqReversalGradientTests). The decoder's loss runs per
// block of steps (training.reversal_block) as one batch; its attention reads the memory bank a chunk of source
// positions at a time (training.attention_chunk), each chunk rebuilt from the held source ids and saved columns and
// dropped, and sends the bank's gradient chunk by chunk into the embedding and a [S, B, k] accumulator the encoder's
// reversal consumes, so no [B, S, C] tensor lives across the step (attention_chunk = 0: the bank materialised whole
// as one leaf, its gradient accumulated over every decoder step, autograd through the attention); the gradients
// equal Backprop's (the model's GraphLoss) up to float rounding (Seq2SeqReversalGradientTests); the memory accounting is
// taken from the tapes between the passes.
using Seq2SeqRev.Memory;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

public sealed class Reversal : IGradientMethod
{
    private readonly ReversibleSeq2Seq model;

    /// <summary>Also sets the decoder's input projection windows to one block: each block then holds exactly its own
    /// window (blocks of one step: no window beyond the step, the least memory).</summary>
    /// <param name="model">The reversible model.</param>
    /// <param name="block">Decoder steps per reversal block (training.reversal_block): their attention, generator and
    /// loss run as one batch.</param>
    /// <param name="attentionChunk">Source positions per chunk of the streamed attention (training.attention_chunk); 0
    /// = the bank materialised whole as one leaf with autograd through the attention.</param>
    /// <param name="lossShard">Decoder steps per piece of the block's generator and loss (training.reversal_loss_shard):
    /// one [B·lossShard, V] buffer alive at a time; 0 = the whole block at once.</param>
    /// <param name="gcMib">MiB of managed allocation between collections of generation 0 during the step
    /// (training.reversal_gc_mib, <see cref="ManagedGarbage"/>); 0 = .NET's own budget.</param>
    public Reversal(ReversibleSeq2Seq model, int block = 1, int attentionChunk = 0, int lossShard = 0, int gcMib = 0)
    {
        GcMib = gcMib >= 0 ? gcMib : throw new ArgumentOutOfRangeException(nameof(gcMib), gcMib, "training.reversal_gc_mib must be at least 0");
        LossShard = lossShard >= 0 ? lossShard
            : throw new ArgumentOutOfRangeException(nameof(lossShard), lossShard, "training.reversal_loss_shard must be at least 0");
        Block = block >= 1 ? block : throw new ArgumentOutOfRangeException(nameof(block), block, "training.reversal_block must be at least 1");
        AttentionChunk = attentionChunk >= 0 ? attentionChunk
            : throw new ArgumentOutOfRangeException(nameof(attentionChunk), attentionChunk, "training.attention_chunk must be at least 0");
        this.model = model;
        model.Decoder.Rnn.InputWindow = block;
    }

    public int Block { get; }
    /// <summary>Source positions per attention chunk; 0 = the whole bank materialised.</summary>
    public int AttentionChunk { get; }
    /// <summary>Decoder steps per piece of a block's generator and loss; 0 = the whole block.</summary>
    public int LossShard { get; }
    /// <summary>MiB of managed allocation between collections of generation 0 during the step; 0 = .NET's own budget.</summary>
    public int GcMib { get; }

    /// <summary>Called between the forward and the backward pass with the two tapes, the batch and the masks (for tests:
    /// what is held then, and that the batch's tensors and the float masks are freed).</summary>
    public Action<SequenceTape, SequenceTape, PreparedBatch, DropoutMasks>? BetweenPasses { get; set; }

    /// <summary>Frees <paramref name="b"/>'s tensors and <paramref name="m"/> once both forward passes are done (the
    /// tapes hold compact copies); the caller reads only <paramref name="b"/>'s counts afterwards.</summary>
    public (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks m)
    {
        var encoder = model.Encoder;
        var decoder = model.Decoder;

        // 1. Forward passes without gradients: only the tapes survive. The decoder starts from the encoder's final state;
        //    it is taken from the encoder's tape (the decoder's reversal rebuilds it and hands it to the encoder's reversal),
        //    and the batch's tensors and the float masks are freed.
        //    The forward passes run in a dispose scope of their own, so no temporary of theirs (a state, a view, a zero
        //    initial state) outlives them: what they keep is in the tapes, which own it (AliveBytesTests).
        SequenceTape encoderTape;
        SequenceTape decoderTape;
        // The managed garbage of the whole step counts, the forward passes' too (their tensor handles, about as many as
        // the reversal's): collected, if over budget, before the reversal starts instead of lying under its peak.
        var garbage = new ManagedGarbage(GcMib);
        using (var forwardScope = NewDisposeScope())
        {
            encoderTape = encoder.Forward(b.Src, b.SrcLengths, b.SrcSteps, m.Encoder);
            using var initial = encoderTape.TakeFinal();
            decoderTape = decoder.Forward(b.TgtIn, b.TgtLengths, b.TgtSteps, m.Decoder, initial);
        }
        using var encTape = encoderTape;
        using var decTape = decoderTape;
        b.DisposeTensors();
        m.DisposeTensors();
        garbage.Step();
        var (encBits, decBits) = Accounting(encTape, decTape, b);
        BetweenPasses?.Invoke(encTape, decTape, b, m);

        // 2. The memory bank, rebuilt once as a leaf; 3. the decoder's reversal: per block of steps, the loss of the
        //    reconstructed top outputs; returns dL/d(encoder final) and dL/d(bank). The bank is freed before the
        //    encoder's reversal. The summed CE stays on the tensor side (float64, as the host sum was): one read at the end.
        using var lossSum = zeros(1, ScalarType.Float64);
        using var targets = PreparedBatch.TargetsFromInputs(decTape.Ids, decTape.Rnn.Lengths!, 0, b.TgtSteps);
        Tensor GeneratorLoss(int firstStep, Tensor attentional)
        {
            garbage.Step();
            // The block's generator and loss in pieces of LossShard steps (0: one piece) with their gradient written out
            // (no graph); what goes back through the attention is the surrogate Σ attentional ⊙ dL/d(attentional).
            var (nll, surrogate) = GradientMethod.ShardedLoss(model, attentional, targets.narrow(0, firstStep, attentional.shape[1]).t(), b.Batch, LossShard);
            using (nll) lossSum.add_(nll, Scalars.UnitAlpha);
            return surrogate;
        }
        using var srcMask = PreparedBatch.SourceMask(encTape.Rnn.Lengths!, b.SrcSteps);
        Tensor[][] dFinal;
        RnnState encoderFinal;
        if (AttentionChunk > 0)
        {
            // 2–3 streamed: each block's attention rebuilds the bank chunk by chunk from the held ids and saved columns;
            //    the bank's gradient goes into the embedding and a [S, B, k] accumulator of the saved columns' gradient.
            Tensor? savedGrad;
            using (var rebuilder = encoder.Rebuilder(encTape))
            {
                Tensor Chunk(int s0, int n)
                {
                    using (PhaseProfiler.Measure(Phase.Bank)) return rebuilder.Chunk(s0, n);
                }
                void AddGradient(int s0, int n, Tensor g)
                {
                    using (PhaseProfiler.Measure(Phase.BankGradient)) rebuilder.AddGradient(s0, n, g);
                }
                var bank = new Seq2SeqRev.Attention.ChunkedBank(rebuilder.Length, rebuilder.Width, Chunk, AddGradient);
                ReversalResult reversal;
                using (PhaseProfiler.Measure(Phase.DecoderReverse))
                    reversal = decoder.ReverseStreaming(decTape, bank, srcMask, GeneratorLoss, Block, AttentionChunk);
                (dFinal, encoderFinal) = (reversal.InitialGradients, reversal.RebuiltInitial!);
                savedGrad = rebuilder.TakeSavedGradient();
            }
            encoder.ReverseFromSaved(encTape, savedGrad, dFinal, encoderFinal, garbage.Step);
        }
        else
        {
            Tensor bankGrad;
            Tensor bank;
            using (PhaseProfiler.Measure(Phase.Bank)) bank = encoder.MemoryBank(encTape);
            using (bank)
            using (PhaseProfiler.Measure(Phase.DecoderReverse))
                (dFinal, encoderFinal, bankGrad) = decoder.Reverse(decTape, bank, srcMask, GeneratorLoss, Block);

            // 4. Encoder reversal from the bank's gradient and dL/d(final state), starting from the final state the decoder's
            //    reversal rebuilt.
            encoder.Reverse(encTape, bankGrad, dFinal, encoderFinal, garbage.Step);
        }
        foreach (var g in dFinal) foreach (var p in g) p.Dispose();
        return (lossSum.item<double>(), encBits, decBits);
    }

    /// <summary>Bits per batch from the tapes (between the passes), in both conventions (see <see cref="MemoryBits"/>).
    /// Paper: source token ids (32 bits each) are counted for banks with embeddings, which are recomputed from them.
    /// Held: see <see cref="HeldAccounting"/>.</summary>
    private (MemoryBits Encoder, MemoryBits Decoder) Accounting(SequenceTape enc, SequenceTape dec, PreparedBatch b)
    {
        var ids = model.Encoder.Bank.UsesEmbedding ? 32L * b.Batch * b.SrcSteps : 0;
        var (encHeld, encLimit) = HeldAccounting.For(ModelSide.Encoder, enc, model.Encoder.VocabSize);
        var (decHeld, decLimit) = HeldAccounting.For(ModelSide.Decoder, dec, model.Decoder.VocabSize);
        var (e, d) = (enc.Rnn.Bits, dec.Rnn.Bits);
        return (new MemoryBits(e.BaselineBits, e.ActualBits + ids, e.OptimalBits + ids)
            {
                BaselineUnpadded = e.BaselineBitsUnpadded, HeldParts = encHeld, LimitParts = encLimit,
            },
            new MemoryBits(d.BaselineBits, d.ActualBits, d.OptimalBits)
            {
                BaselineUnpadded = d.BaselineBitsUnpadded, HeldParts = decHeld, LimitParts = decLimit,
            });
    }
}
