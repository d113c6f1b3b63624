// ReversibleDecoder: embedding + ReversibleRnn (its own information buffer, no saved columns) + Luong attention over
// the encoder's memory bank, and the decoder's reversal. No input feeding, so the recurrence never sees attention and
// the decoder reverses without attention contexts (MacKay et al. 2018 §3).
// Guarantees: the forward pass for reversal (Forward) keeps only the stack's tape (final state, sealed buffer), the
// target input ids and the masks, each compactly (SequenceTape); Reverse walks back from the last step in blocks of K steps, rebuilding every state exactly,
// and for each block computes the attentional vectors of the reconstructed top outputs (output mask, attention over the
// bank) in one batch and hands them to the caller's loss (the generator and cross-entropy live in the model); it
// returns the gradient of the initial state (for the encoder's final state) and of the memory bank, equal (to float
// rounding) to ordinary backprop through ForwardWithGraph. Inference (Step) runs the same cells without a buffer.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Decoders;

/// <summary>The loss of decoder steps <c>firstStep</c> … <c>firstStep</c> + K − 1 given their attentional vectors
/// [B, K, H] (a scalar with graph), or null.</summary>
public delegate Tensor? AttentionalLoss(int firstStep, Tensor attentional);

public sealed class ReversibleDecoder : nn.Module, IAttentionalDecoder
{
    private readonly Embedding embedding;
    private readonly ReversibleRnn rnn;
    private readonly GlobalAttention attention;

    public ReversibleDecoder(ReversibleCellKind kind, int vocabSize, int embeddingSize, int hiddenSize, int layers,
        ForgetLimit limit, FixedPointFormat format, AttentionScore attentionKind, int contextSize) : base(nameof(ReversibleDecoder))
    {
        embedding = nn.Embedding(vocabSize, embeddingSize);
        rnn = new ReversibleRnn("rnn", kind, embeddingSize, hiddenSize, layers, limit, 0, format);
        attention = new GlobalAttention(attentionKind, hiddenSize, contextSize);
        RegisterComponents();
    }

    public ReversibleRnn Rnn => rnn;
    /// <summary>Rows of the embedding table (the vocabulary the ids come from).</summary>
    public long VocabSize => embedding.weight!.shape[0];
    public GlobalAttention Attention => attention;

    public Tensor Embed(Tensor ids, Tensor? mask) => LockedDropout.Embed(embedding, ids, mask);

    /// <summary>The step-input function over decoder inputs [T, B] ([BOS, y1..yn] padded).</summary>
    public Func<int, Tensor> Inputs(Tensor tgtIn, Tensor? mask) => t => Embed(tgtIn[t], mask);

    /// <summary>Ordinary autograd (straight-through fixed point) from <paramref name="initial"/>: the top output
    /// [B, H] of every step, with graph.</summary>
    public List<Tensor> ForwardWithGraph(Tensor tgtIn, Tensor lengths, int steps, SequenceDropout m, RnnState initial) =>
        rnn.ForwardWithGraph(Inputs(tgtIn, m.Embedding), steps, lengths, initial, m.Layers).Outputs;

    /// <summary>One inference step of every layer (no gradients, no buffer).</summary>
    public RnnState Step(Tensor previousTokens, RnnState state) => rnn.Step(Embed(previousTokens, null), state);

    /// <summary>Forward pass for training by reversal from the encoder's final state (no gradients).</summary>
    public SequenceTape Forward(Tensor tgtIn, Tensor lengths, int steps, SequenceDropout m, RnnState initial) =>
        new(rnn.Forward(Inputs(tgtIn, m.Embedding), steps, lengths, initial, m.Layers), tgtIn, m, VocabSize);

    /// <summary>
    /// The decoder's reversal, in blocks of <paramref name="block"/> steps (1: one step at a time). For each block, last
    /// first, it rebuilds the states exactly, computes the attentional vectors of the block's steps over
    /// <paramref name="bank"/> (a leaf that requires grad) in one batch, backpropagates <paramref name="loss"/>(first
    /// step, ·) once, and backpropagates through the block's steps. Returns dL/d(initial state) [layer][part], the
    /// initial state rebuilt bit for bit (= the encoder's final state; the caller owns it) and dL/d(bank) (taken from the
    /// bank).
    /// </summary>
    public (Tensor[][] InitialGrad, RnnState Initial, Tensor BankGrad) Reverse(SequenceTape tape, Tensor bank, Tensor srcMask, AttentionalLoss loss, int block = 1)
    {
        Tensor? LossFromTopOutputs(int firstStep, Tensor outputs)
        {
            using var phase = PhaseProfiler.Measure(Phase.Attention);
            var queries = LockedDropout.Apply(outputs, tape.Dropout.Top).transpose(0, 1);
            return loss(firstStep, this.Attend(queries, bank, srcMask));
        }
        var reversal = rnn.Backward(tape.Rnn, Inputs(tape.Ids, tape.Dropout.Embedding), block, LossFromTopOutputs,
            inputGradient: (t, grad) => LockedDropout.EmbedBackward(embedding, tape.Ids[t], tape.Dropout.Embedding, grad),
            keepInitial: true);
        var bankGrad = bank.grad ?? zeros_like(bank);
        return (reversal.InitialGradients, reversal.RebuiltInitial!, bankGrad);
    }

    /// <summary>
    /// The decoder's reversal with streamed attention: as <see cref="Reverse"/>, but the attention of each block reads
    /// <paramref name="bank"/> <paramref name="chunk"/> source positions at a time and its backward is written out
    /// (<see cref="GlobalAttention.Stream"/>), so no [B, S, C] tensor lives across the blocks: the bank's gradient goes
    /// to <see cref="ChunkedBank.AddGradient"/> chunk by chunk and the attention's parameter gradients accumulate in
    /// place. <paramref name="loss"/> gets the attentional vectors as a leaf [B, K, H] and returns a scalar with graph to
    /// them. Returns dL/d(initial state) [layer][part] and the rebuilt initial state (as <see cref="Reverse"/>).
    /// </summary>
    public ReversalResult ReverseStreaming(SequenceTape tape, ChunkedBank bank, Tensor srcMask, AttentionalLoss loss, int block, int chunk)
    {
        Tensor? LossFromTopOutputs(int firstStep, Tensor outputs)
        {
            using var phase = PhaseProfiler.Measure(Phase.Attention);
            var queries = LockedDropout.Apply(outputs, tape.Dropout.Top).transpose(0, 1);
            Tensor dQueries;
            using (var scope = NewDisposeScope())
            {
                using var streamed = attention.Stream(queries, bank, srcMask, chunk);
                var attentional = streamed.Output.detach().requires_grad_(true);
                var blockLoss = loss(firstStep, attentional);
                if (blockLoss is null) return null;
                blockLoss.backward();
                dQueries = streamed.Backward(attentional.grad!).MoveToOuterDisposeScope();
            }
            using (dQueries) return queries.mul(dQueries).sum();
        }
        return rnn.Backward(tape.Rnn, Inputs(tape.Ids, tape.Dropout.Embedding), block, LossFromTopOutputs,
            inputGradient: (t, grad) => LockedDropout.EmbedBackward(embedding, tape.Ids[t], tape.Dropout.Embedding, grad),
            keepInitial: true);
    }
}
