// Checkpointing: gradient checkpointing of the baseline seq2seq model — the encoder and the decoder are computed step
// by step with segment checkpointing (only segment-start states and the attention memory are kept; one segment's
// graph is alive at a time). Guarantees: the gradients equal Backprop's (the same function, recomputed in segments);
// the summed CE is exact. The generator and the loss run per step, or with a loss shard (training.loss_shard > 0) per
// segment in shards of that many steps, through the loss head's written-out gradient (GradientMethod.ShardedLoss), so
// one step's or shard's logits buffer is alive at a time.
// What stays alive between forward and backward: the segment-start states, the encoder's top outputs (one [S, B, H]
// tensor: they are the attention memory) and the bank built from them; the forward's other states and temporaries are
// freed step by step (SegmentCheckpoint.Forward), and the bank's top outputs once the bank is built.
using Seq2SeqRev.Decoders;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

public sealed class Checkpointing(BaselineSeq2Seq model, int segment, int lossShard = 0) : IGradientMethod
{
    /// <summary>Steps per checkpoint segment (0 = round(sqrt(T))).</summary>
    public int Segment { get; } = segment;

    /// <summary>Target steps per generator-and-loss shard within a segment (0 = one step at a time).</summary>
    public int LossShard { get; } = lossShard;

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
        var tops = empty(b.SrcSteps, b.Batch, model.Spec.Hidden);
        var (encCheckpoints, encFinal) = SegmentCheckpoint.Forward(b.SrcSteps, encSegment, encoder.ZeroState(b.Batch), EncStep,
            (t, s) => tops[t].copy_(s[^1][0]));
        var bank = LockedDropout.Apply(tops, m.Encoder.Top).transpose(0, 1).detach().requires_grad_(true);   // [B, S, H] leaf
        if (m.Encoder.Top is not null) tops.Dispose();
        var (decCheckpoints, _) = SegmentCheckpoint.Forward(b.TgtSteps, decSegment, encFinal, DecStep);

        using var lossSum = zeros(1, ScalarType.Float64);
        Tensor Attentional(Tensor[][] s) => decoder.Attend(LockedDropout.Apply(s[^1][0], m.Decoder.Top).unsqueeze(1), bank, b.SrcMask);
        // Per step (no shard) or per segment in shards: the loss head's written-out gradient (GradientMethod.ShardedLoss),
        // and backward through the surrogate Σ a ⊙ dL/da.
        Tensor Loss(Tensor a, Tensor target, int shard)
        {
            var (nll, surrogate) = GradientMethod.ShardedLoss(model, a, target, b.Batch, shard);
            using (nll) lossSum.add_(nll, Scalars.UnitAlpha);
            return surrogate;
        }
        Tensor StepLoss(int t, Tensor[][] s) => Loss(Attentional(s), b.TgtOut[t].unsqueeze(1), 0);
        Tensor SegmentLoss(int start, IReadOnlyList<Tensor[][]> states) =>
            Loss(cat([.. states.Select(Attentional)], 1), b.TgtOut.narrow(0, start, states.Count).t(), LossShard);
        var dInitial = LossShard > 0
            ? SegmentCheckpoint.Backward(decCheckpoints, b.TgtSteps, decSegment, DecStep, null, null, SegmentLoss)
            : SegmentCheckpoint.Backward(decCheckpoints, b.TgtSteps, decSegment, DecStep, StepLoss, null);
        var bankGrad = LockedDropout.Apply(bank.grad!.transpose(0, 1), m.Encoder.Top).contiguous();   // dL/d(top output) [S, B, H]
        bank.grad!.Dispose();
        bank.Dispose();
        tops.Dispose();
        SegmentCheckpoint.Backward(encCheckpoints, b.SrcSteps, encSegment, EncStep,
            (t, s) => s[^1][0].mul(bankGrad[t]).sum(), dInitial);
        return (lossSum.item<double>(), null, null);
    }
}
