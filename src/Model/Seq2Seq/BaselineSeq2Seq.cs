// BaselineSeq2Seq: GRU/LSTM encoder-decoder with attention over the encoder's full top-layer outputs.
// Guarantees: GraphLoss = fused encoder + per-token decoder, one autograd graph per batch; output dropout
// (dropout.output) is applied to decoder outputs and, as in the reference code, to the attention memory. The
// encoder and decoder are exposed for the training layer's gradient checkpointing, which steps them one token at a time.
using Seq2SeqRev.Decoders;
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed class BaselineSeq2Seq : Seq2SeqModel
{
    private readonly RnnEncoder encoder;
    private readonly RnnDecoder decoder;

    public BaselineSeq2Seq(ModelSpec spec, int sourceVocabSize, int targetVocabSize)
        : base(nameof(BaselineSeq2Seq), spec, targetVocabSize)
    {
        if (spec.IsReversible) throw new ArgumentException($"cell {spec.Cell} is reversible; use ReversibleSeq2Seq");
        if (spec.MemoryBank != MemoryBankKind.Hidden)
            throw new ArgumentException($"memory bank {spec.MemoryBank} needs a reversible cell (baselines attend over the hidden state)");
        encoder = new RnnEncoder(spec.IsLstm, sourceVocabSize, spec.Embedding, spec.Hidden, spec.Layers);
        decoder = new RnnDecoder(spec.IsLstm, targetVocabSize, spec.Embedding, spec.Hidden, spec.Layers, spec.Attention, spec.Hidden);
        RegisterComponents();
    }

    public RnnEncoder Encoder => encoder;
    public RnnDecoder Decoder => decoder;
    public override int ContextSize => Spec.Hidden;

    public override DropoutMasks DrawMasks(int batch) => DropoutMasks.Draw(training, batch, Spec.Embedding, Spec.Hidden,
        Spec.Layers, Spec.Dropout.Embedding, Spec.Dropout.Hidden, Spec.Dropout.Output, Spec.Hidden, Spec.Dropout.Output);

    public override Tensor GraphAttentional(PreparedBatch b, DropoutMasks m)
    {
        var (encOut, final) = encoder.Forward(b.Src, b.SrcLengths, m.Encoder);
        var bank = RnnEncoder.MemoryBank(encOut, m.Encoder);
        var state = final;
        var outputs = new List<Tensor>();
        for (var t = 0; t < b.TgtSteps; t++)
        {
            state = decoder.Step(decoder.Embed(b.TgtIn[t], m.Decoder.Embedding), state, null, m.Decoder.Layers);
            outputs.Add(state[^1][0]);
        }
        var q = LockedDropout.Apply(stack(outputs), m.Decoder.Top).transpose(0, 1);
        return decoder.Attend(q, bank, b.SrcMask);
    }

    public override DecoderState Start(IReadOnlyList<int[]> sources)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (src, lengths, mask, _) = PreparedBatch.Sources(sources);
        var (encOut, final) = encoder.Forward(src, lengths, SequenceDropout.None);
        return new Seq2SeqState(encOut.transpose(0, 1).contiguous(), mask, final);
    }

    public override (Tensor LogProbs, DecoderState Next, Tensor Attention) StepWithAttention(Tensor previousTokens, DecoderState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = (Seq2SeqState)state;
        var next = decoder.Step(decoder.Embed(previousTokens, null), s.Hidden, null, null);
        var (attentional, weights) = decoder.AttendWithWeights(next[^1][0].unsqueeze(1), s.Bank, s.SourceMask);
        return (InferenceLogProbs(attentional).MoveToOuterDisposeScope(), s.Continue(next), weights.squeeze(1).MoveToOuterDisposeScope());
    }
}
