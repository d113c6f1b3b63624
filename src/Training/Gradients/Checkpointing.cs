// Checkpointing: gradient checkpointing of the baseline seq2seq model — the encoder and the decoder are computed step
// by step with segment checkpointing (only segment-start states and the attention memory are kept; one segment's
// graph is alive at a time). Guarantees: the gradients equal Backprop's (the same function, recomputed in segments);
// the summed CE is exact.
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

public sealed class Checkpointing(BaselineSeq2Seq model, int segment) : IGradientMethod
{
    /// <summary>Steps per checkpoint segment (0 = round(sqrt(T))).</summary>
    public int Segment { get; } = segment;

    public (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks m)
    {
        var encoder = model.Encoder;
        var decoder = model.Decoder;
        Tensor[][] EncStep(int t, Tensor[][] s)
        {
            using var step = t.ToScalar();
            return encoder.Step(encoder.Embed(b.Src[t], m.Encoder.Embedding), s, b.SrcLengths.gt(step), m.Encoder.Layers);
        }
        Tensor[][] DecStep(int t, Tensor[][] s) =>
            decoder.Step(decoder.Embed(b.TgtIn[t], m.Decoder.Embedding), s, null, m.Decoder.Layers);

        var encSegment = SegmentCheckpoint.SegmentLength(Segment, b.SrcSteps);
        var decSegment = SegmentCheckpoint.SegmentLength(Segment, b.TgtSteps);
        var tops = new Tensor[b.SrcSteps];
        var (encCheckpoints, encFinal) = SegmentCheckpoint.Forward(b.SrcSteps, encSegment, encoder.ZeroState(b.Batch), EncStep,
            (t, s) => tops[t] = s[^1][0]);
        using var bank = LockedDropout.Apply(stack(tops), m.Encoder.Bank).transpose(0, 1).detach().requires_grad_(true);   // [B, S, H] leaf
        var (decCheckpoints, _) = SegmentCheckpoint.Forward(b.TgtSteps, decSegment, encFinal, DecStep);

        double loss = 0;
        Tensor StepLoss(int t, Tensor[][] s)
        {
            var q = LockedDropout.Apply(s[^1][0], m.Decoder.Output);
            var nll = model.Loss(decoder.Attend(q.unsqueeze(1), bank, b.SrcMask), b.TgtOut[t].unsqueeze(1));
            loss += nll.item<float>();
            return GradientMethod.PerSentence(nll, b.Batch);
        }
        var dInitial = SegmentCheckpoint.Backward(decCheckpoints, b.TgtSteps, decSegment, DecStep, StepLoss, null);
        var bankGrad = LockedDropout.Apply(bank.grad!.transpose(0, 1), m.Encoder.Bank).contiguous();   // dL/d(top output) [S, B, H]
        SegmentCheckpoint.Backward(encCheckpoints, b.SrcSteps, encSegment, EncStep,
            (t, s) => s[^1][0].mul(bankGrad[t]).sum(), dInitial);
        return (loss, null, null);
    }
}
