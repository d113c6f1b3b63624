// BaselineSeq2Seq: GRU/LSTM encoder-decoder with attention over the encoder's full top-layer outputs.
// Guarantees: "backprop" = fused encoder + per-token decoder, one autograd graph per batch;
// "checkpoint" = the same function computed step by step with segment checkpointing in the encoder
// and the decoder (only segment-start states and the attention memory are kept), whose gradients
// equal backprop's; output dropout (dropout.output) is applied to decoder outputs and, as in the
// reference code, to the attention memory. Search state: [bank, srcMask, state parts...].
using Seq2SeqRev.Decoder;
using Seq2SeqRev.Encoder;
using Seq2SeqRev.Model.Config;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model.Training;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed class BaselineSeq2Seq : Seq2SeqModel
{
    private readonly RnnEncoder encoder;
    private readonly RnnDecoder decoder;

    public BaselineSeq2Seq(ModelConfig config, string memoryMode, int checkpointSegment, int sourceVocabSize, int targetVocabSize)
        : base(nameof(BaselineSeq2Seq), config, memoryMode, checkpointSegment, targetVocabSize)
    {
        var lstm = config.Cell == "lstm";
        encoder = new RnnEncoder(lstm, sourceVocabSize, config.Embedding, config.Hidden, config.Layers);
        decoder = new RnnDecoder(lstm, targetVocabSize, config.Embedding, config.Hidden, config.Layers, config.Attention, config.Hidden);
        RegisterComponents();
    }

    public override int ContextSize => Config.Hidden;

    protected override DropoutMasks DrawMasks(int batch) => DropoutMasks.Draw(training, batch, Config.Embedding, Config.Hidden,
        Config.Layers, Config.Dropout.Embedding, Config.Dropout.Hidden, Config.Dropout.Output, Config.Hidden, Config.Dropout.Output);

    protected override (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) TrainCore(PreparedBatch b, DropoutMasks m)
    {
        if (MemoryMode == "checkpoint") return (CheckpointedBackward(b, m), null, null);
        var nll = GraphLoss(b, m);
        using (var batch = b.Batch.ToScalar()) nll.div(batch).backward();
        return (nll.item<float>(), null, null);
    }

    protected override Tensor GraphLoss(PreparedBatch b, DropoutMasks m)
    {
        var (encOut, final) = encoder.Forward(b.Src, b.SrcLengths, m.EncoderEmbedding, m.EncoderLayers);
        var bank = LockedDropout.Apply(encOut, m.Bank).transpose(0, 1);
        var state = final;
        var outputs = new List<Tensor>();
        for (var t = 0; t < b.TgtSteps; t++)
        {
            state = decoder.Step(decoder.Embed(b.TgtIn[t], m.DecoderEmbedding), state, null, m.DecoderLayers);
            outputs.Add(state[^1][0]);
        }
        var q = LockedDropout.Apply(stack(outputs), m.Output).transpose(0, 1);
        return SumNll(decoder.Attention, q, bank, b.SrcMask, b.TgtOut.t());
    }

    private double CheckpointedBackward(PreparedBatch b, DropoutMasks m)
    {
        Tensor[][] EncStep(int t, Tensor[][] s)
        {
            using var step = t.ToScalar();
            return encoder.Step(encoder.Embed(b.Src[t], m.EncoderEmbedding), s, b.SrcLengths.gt(step), m.EncoderLayers);
        }
        Tensor[][] DecStep(int t, Tensor[][] s) =>
            decoder.Step(decoder.Embed(b.TgtIn[t], m.DecoderEmbedding), s, null, m.DecoderLayers);

        var encSegment = SegmentCheckpoint.SegmentLength(CheckpointSegment, b.SrcSteps);
        var decSegment = SegmentCheckpoint.SegmentLength(CheckpointSegment, b.TgtSteps);
        var tops = new Tensor[b.SrcSteps];
        var (encCheckpoints, encFinal) = SegmentCheckpoint.Forward(b.SrcSteps, encSegment, encoder.ZeroState(b.Batch), EncStep,
            (t, s) => tops[t] = s[^1][0]);
        using var bank = LockedDropout.Apply(stack(tops), m.Bank).transpose(0, 1).detach().requires_grad_(true);   // [B, S, H] leaf
        var (decCheckpoints, _) = SegmentCheckpoint.Forward(b.TgtSteps, decSegment, encFinal, DecStep);

        double loss = 0;
        Tensor StepLoss(int t, Tensor[][] s)
        {
            var nll = StepNll(decoder.Attention, s[^1][0], m.Output, bank, b.SrcMask, b.TgtOut[t]);
            loss += nll.item<float>();
            using var batch = b.Batch.ToScalar();
            return nll.div(batch);
        }
        var dInitial = SegmentCheckpoint.Backward(decCheckpoints, b.TgtSteps, decSegment, DecStep, StepLoss, null);
        var bankGrad = LockedDropout.Apply(bank.grad!.transpose(0, 1), m.Bank).contiguous();   // dL/d(top output) [S, B, H]
        SegmentCheckpoint.Backward(encCheckpoints, b.SrcSteps, encSegment, EncStep,
            (t, s) => s[^1][0].mul(bankGrad[t]).sum(), dInitial);
        return loss;
    }


    public override DecoderState Start(IReadOnlyList<int[]> sources)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (src, lengths, mask, _) = PreparedBatch.Sources(sources);
        var (encOut, final) = encoder.Forward(src, lengths, null, null);
        return new DecoderState([encOut.transpose(0, 1).contiguous(), mask, .. final.SelectMany(l => l)]);
    }

    public override (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bank = state.Tensors[0];
        var mask = state.Tensors[1];
        var parts = encoder.PartCount;
        var current = Enumerable.Range(0, Config.Layers).Select(l => state.Tensors.Skip(2 + l * parts).Take(parts).ToArray()).ToArray();
        var next = decoder.Step(decoder.Embed(previousTokens, null), current, null, null);
        var logProbs = InferenceLogProbs(decoder.Attention, next[^1][0], bank, mask);
        var nextState = new DecoderState([bank.alias(), mask.alias(), .. next.SelectMany(l => l)]);
        return (logProbs.MoveToOuterDisposeScope(), nextState);
    }
}
