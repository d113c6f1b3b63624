// ReversibleSeq2Seq: RevGRU/RevLSTM encoder-decoder with attention over the paper's memory banks ("hidden" = whole
// top state, "slice" = top h1[:, :k], "emb" = source embeddings, "emb+slice").
// Guarantees: GraphLoss is ordinary autograd through the same fixed-point forward (straight-through rounding) — the
// reference the reversal gradients must match; the encoder and decoder (each with its own reversal) are exposed for
// the training layer's reversal; search runs the same cells with no information buffer.
using Seq2SeqRev.Decoders;
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed class ReversibleSeq2Seq : Seq2SeqModel
{
    private readonly ReversibleEncoder encoder;
    private readonly ReversibleDecoder decoder;

    public ReversibleSeq2Seq(ModelSpec spec, int sourceVocabSize, int targetVocabSize)
        : base(nameof(ReversibleSeq2Seq), spec, targetVocabSize)
    {
        if (!spec.IsReversible) throw new ArgumentException($"cell {spec.Cell} is not reversible; use BaselineSeq2Seq");
        if (spec.Hidden % 2 != 0) throw new ArgumentException($"reversible cells need an even hidden size, got {spec.Hidden}");
        encoder = new ReversibleEncoder(spec.ReversibleKind, sourceVocabSize, spec.Embedding, spec.Hidden, spec.Layers,
            spec.ForgetLimit, spec.MemoryBank, spec.Slice, spec.Format);
        decoder = new ReversibleDecoder(spec.ReversibleKind, targetVocabSize, spec.Embedding, spec.Hidden, spec.Layers,
            spec.ForgetLimit, spec.Format, spec.Attention, encoder.Bank.ContextSize);
        RegisterComponents();
    }

    public ReversibleEncoder Encoder => encoder;
    public ReversibleDecoder Decoder => decoder;
    public override int ContextSize => encoder.Bank.ContextSize;

    public override DropoutMasks DrawMasks(int batch) => DropoutMasks.Draw(training, batch, Spec.Embedding, Spec.Hidden,
        Spec.Layers, Spec.Dropout.Embedding, Spec.Dropout.Hidden, Spec.Dropout.Output, encoder.Bank.HiddenColumns, Spec.Dropout.Slice);

    public override Tensor GraphAttentional(PreparedBatch b, DropoutMasks m)
    {
        var (bank, encFinal) = encoder.ForwardWithGraph(b.Src, b.SrcLengths, b.SrcSteps, m.Encoder);
        var decOuts = decoder.ForwardWithGraph(b.TgtIn, b.TgtLengths, b.TgtSteps, m.Decoder, encFinal);
        var q = LockedDropout.Apply(stack(decOuts), m.Decoder.Top);
        return decoder.Attend(q.transpose(0, 1), bank, b.SrcMask);
    }

    public override DecoderState Start(IReadOnlyList<int[]> sources)
    {
        using var scope = NewDisposeScope();
        var (src, lengths, mask, _) = PreparedBatch.Sources(sources);
        var (bank, final) = encoder.Encode(src, lengths);
        return new Seq2SeqState(bank, mask, Ints(final));
    }

    public override (Tensor LogProbs, DecoderState Next, Tensor Attention) StepWithAttention(Tensor previousTokens, DecoderState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = (Seq2SeqState)state;
        var format = decoder.Rnn.Format;
        var current = new RnnState([.. s.Hidden.Select(parts => new CellState([.. parts.Select(i => new Part(i, null, format))]))]);
        var next = decoder.Step(previousTokens, current);
        var (attentional, weights) = decoder.AttendWithWeights(next.TopOutput.unsqueeze(1), s.Bank, s.SourceMask);
        return (InferenceLogProbs(attentional).MoveToOuterDisposeScope(), s.Continue(Ints(next)), weights.squeeze(1).MoveToOuterDisposeScope());
    }

    private static Tensor[][] Ints(RnnState state) => [.. state.Layers.Select(c => c.Parts.Select(p => p.Int).ToArray())];
}
