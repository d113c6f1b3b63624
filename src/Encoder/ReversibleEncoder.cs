// ReversibleEncoder: embedding + ReversibleRnn (RevGRU/RevLSTM stack) and its reversal, the encoder of the paper.
// Guarantees: the forward pass for reversal (Forward) keeps no per-step hidden state — only the stack's tape (final
// state, sealed information buffer, the saved top-layer columns of every step), the source ids and the masks, each
// compactly (SequenceTape); the
// memory bank is rebuilt from recomputed embeddings (Embed is deterministic given ids and the locked mask) and the
// saved columns; Reverse takes the bank's gradient (embedding part and hidden-column part) and the gradient of the
// final state, and leaves every parameter's gradient in .grad equal (to float rounding) to ordinary backprop through
// ForwardWithGraph. The saved columns are ReversibleRnn's saved columns (k ≤ H/2: top h1[:, :k]; k = H: the whole
// top state). Inference (Encode) runs the same cells without a buffer.
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Encoders;

public sealed class ReversibleEncoder : nn.Module
{
    /// <summary>Source positions per embedding-gradient accumulation in Reverse (bounds its temporaries).</summary>
    private const int EmbeddingGradientChunk = 8;

    private readonly Embedding embedding;
    private readonly ReversibleRnn rnn;

    public ReversibleEncoder(ReversibleCellKind kind, int vocabSize, int embeddingSize, int hiddenSize, int layers,
        ForgetLimit limit, MemoryBankKind bank, int slice, FixedPointFormat format) : base(nameof(ReversibleEncoder))
    {
        Bank = MemoryBankLayout.For(bank, embeddingSize, hiddenSize, slice);
        if (bank is MemoryBankKind.Slice or MemoryBankKind.EmbeddingAndSlice && (slice < 1 || (slice > hiddenSize / 2 && slice != hiddenSize)))
            throw new ArgumentException($"model.slice = {Bank.HiddenColumns} must be in 1..{hiddenSize / 2} (half the hidden size) or equal {hiddenSize}");
        EmbeddingSize = embeddingSize;
        HiddenSize = hiddenSize;
        embedding = nn.Embedding(vocabSize, embeddingSize);
        rnn = new ReversibleRnn("rnn", kind, embeddingSize, hiddenSize, layers, limit, Bank.HiddenColumns, format);
        RegisterComponents();
    }

    public int EmbeddingSize { get; }
    public int HiddenSize { get; }
    public MemoryBankLayout Bank { get; }
    public ReversibleRnn Rnn => rnn;
    /// <summary>Rows of the embedding table (the vocabulary the ids come from).</summary>
    public long VocabSize => embedding.weight!.shape[0];

    public Tensor Embed(Tensor ids, Tensor? mask) => LockedDropout.Embed(embedding, ids, mask);

    /// <summary>The step-input function over src [S, B]: embedding of step t with the batch's mask.</summary>
    public Func<int, Tensor> Inputs(Tensor src, Tensor? mask) => t => Embed(src[t], mask);

    private Tensor HiddenColumnsOf(Tensor output) => Bank.HiddenColumns == HiddenSize ? output : output.narrow(1, 0, Bank.HiddenColumns);

    /// <summary>Ordinary autograd (straight-through fixed point): the bank [B, S, C] and the final state, with graph.</summary>
    public (Tensor Bank, RnnState Final) ForwardWithGraph(Tensor src, Tensor lengths, int steps, SequenceDropout m)
    {
        var (outputs, final) = rnn.ForwardWithGraph(Inputs(src, m.Embedding), steps, lengths, rnn.ZeroState((int)src.shape[1]), m.Layers);
        var bank = Bank.Assemble(Bank.UsesEmbedding ? Embed(src, m.Embedding) : null,
            Bank.HiddenColumns > 0 ? stack(outputs.Select(HiddenColumnsOf)) : null, m.Top);
        return (bank, final);
    }

    /// <summary>Inference: the bank [B, S, C] (contiguous) and the final fixed-point state, no gradients, no buffer.</summary>
    public (Tensor Bank, RnnState Final) Encode(Tensor src, Tensor lengths)
    {
        using var noGrad = no_grad();
        var steps = (int)src.shape[0];
        var state = rnn.ZeroState((int)src.shape[1]);
        var hidden = new List<Tensor>();
        for (var t = 0; t < steps; t++)
        {
            using var step = t.ToScalar();
            state = rnn.Step(Embed(src[t], null), state, lengths.gt(step));
            if (Bank.HiddenColumns > 0) hidden.Add(rnn.Format.ToFloat(rnn.SavedOf(state)));
        }
        var bank = Bank.Assemble(Bank.UsesEmbedding ? Embed(src, null) : null, Bank.HiddenColumns > 0 ? stack(hidden) : null, null);
        return (bank.contiguous(), state);
    }

    /// <summary>Forward pass for training by reversal (no gradients): only the tape survives (the all-zero initial state
    /// is freed here; the reversal rebuilds it).</summary>
    public SequenceTape Forward(Tensor src, Tensor lengths, int steps, SequenceDropout m)
    {
        using var initial = rnn.ZeroState((int)src.shape[1]);
        return new(rnn.Forward(Inputs(src, m.Embedding), steps, lengths, initial, m.Layers), src, m, VocabSize);
    }

    /// <summary>The memory bank [B, S, C] rebuilt once from the tape as a leaf that requires grad: recomputed
    /// embeddings and the saved columns (the pieces it is built from are freed at once).</summary>
    public Tensor MemoryBank(SequenceTape tape)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var steps = tape.Rnn.Steps;
        var embedded = Bank.UsesEmbedding ? Embed(tape.Ids, tape.Dropout.Embedding) : null;
        var hidden = Bank.HiddenColumns > 0 ? rnn.Format.ToFloat(tape.Rnn.Saved!.narrow(0, 1, steps)) : null;
        return Bank.Assemble(embedded, hidden, tape.Dropout.Top).contiguous().requires_grad_(true).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The encoder's reversal: sends <paramref name="bankGrad"/> ([B, S, C], consumed) into the embedding (row-wise
    /// accumulation a few source positions at a time, so no [S, B, E] copies are alive) and, as per-step gradients of the saved columns, into the
    /// stack's reversal, which starts from <paramref name="finalGrad"/> (dL/d final state, [layer][part]) and sends each
    /// step's input gradient into the embedding. Parameter gradients accumulate in .grad; the tape's buffer is emptied
    /// and checked. The stack's reversal starts from the final state the tape holds or, once it was taken
    /// (<see cref="SequenceTape.TakeFinal"/>), from <paramref name="final"/> (exactly that state, e.g. rebuilt by the
    /// decoder's reversal; consumed).
    /// </summary>
    public void Reverse(SequenceTape tape, Tensor bankGrad, IReadOnlyList<IReadOnlyList<Tensor>> finalGrad, RnnState? final = null,
        Action? afterStep = null)
    {
        var e = Bank.EmbeddingColumns;
        Tensor? hiddenGrad = null;
        using (PhaseProfiler.Measure(Phase.BankGradient))
        using (bankGrad)
        {
            if (Bank.UsesEmbedding)
                for (var s0 = 0; s0 < tape.Rnn.Steps; s0 += EmbeddingGradientChunk)
                {
                    var n = Math.Min(EmbeddingGradientChunk, tape.Rnn.Steps - s0);
                    LockedDropout.EmbedBackward(embedding, tape.Ids.narrow(0, s0, n), tape.Dropout.Embedding,
                        bankGrad.narrow(1, s0, n).narrow(2, 0, e).transpose(0, 1));
                }
            if (Bank.HiddenColumns > 0)
                hiddenGrad = LockedDropout.Apply(bankGrad.narrow(2, e, Bank.HiddenColumns).transpose(0, 1), tape.Dropout.Top).contiguous();
        }
        ReverseFromSaved(tape, hiddenGrad, finalGrad, final, afterStep);
    }

    /// <summary>
    /// The encoder's reversal when the bank's embedding part has already gone into the embedding's gradient (streamed
    /// attention: <see cref="BankRebuilder"/>): <paramref name="savedGrad"/> [S, B, k] (consumed; null without saved
    /// columns) is dL/d(each step's saved columns, bank mask applied); the stack's reversal starts from
    /// <paramref name="finalGrad"/> and sends each step's input gradient into the embedding. Parameter gradients
    /// accumulate in .grad; the tape's buffer is emptied and checked. <paramref name="final"/> as in <see cref="Reverse"/>.
    /// <paramref name="afterStep"/> (optional) runs after each reversed step (e.g. housekeeping; it must not touch the
    /// tensors).
    /// </summary>
    public void ReverseFromSaved(SequenceTape tape, Tensor? savedGrad, IReadOnlyList<IReadOnlyList<Tensor>> finalGrad, RnnState? final = null,
        Action? afterStep = null)
    {
        Func<int, Tensor, Tensor?>? columnLoss = savedGrad is null ? null : (t, top) => HiddenColumnsOf(top).mul(savedGrad[t]).sum();
        Tensor[][] initialGrad;
        using (PhaseProfiler.Measure(Phase.EncoderReverse))
            initialGrad = rnn.Backward(tape.Rnn, Inputs(tape.Ids, tape.Dropout.Embedding), columnLoss, finalGrad,
                inputGradient: (t, grad) =>
                {
                    LockedDropout.EmbedBackward(embedding, tape.Ids[t], tape.Dropout.Embedding, grad);
                    afterStep?.Invoke();
                },
                start: final).InitialGradients;
        foreach (var g in initialGrad) foreach (var p in g) p.Dispose();
        savedGrad?.Dispose();
    }

    /// <summary>The memory bank of <paramref name="tape"/> read chunk by chunk (for streamed attention).</summary>
    public BankRebuilder Rebuilder(SequenceTape tape) => new(this, tape);

    /// <summary>dL/d(embedding rows of <paramref name="ids"/>) = <paramref name="grad"/> ⊙ mask into the embedding's .grad.</summary>
    internal void EmbedBackward(Tensor ids, Tensor? mask, Tensor grad) => LockedDropout.EmbedBackward(embedding, ids, mask, grad);
}
