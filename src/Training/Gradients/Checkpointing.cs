// Checkpointing: gradient checkpointing of the baseline seq2seq model — the encoder and the decoder are computed step
// by step with segment checkpointing (only segment-start states and the attention memory are kept; one segment's
// graph is alive at a time). Guarantees: the gradients equal Backprop's (the same function, recomputed in segments);
// the summed CE is exact. With a loss shard (training.loss_shard > 0) the generator and the loss of a segment run in
// shards of that many steps (GradientMethod.ShardedLoss), so one shard's logits are alive at a time.
// What stays alive between forward and backward: the segment-start states, the encoder's top outputs (one [S, B, H]
// tensor: they are the attention memory) and the bank built from them; the forward's other states and temporaries are
// freed step by step (SegmentCheckpoint.Forward), and the bank's top outputs once the bank is built.
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

public sealed class Checkpointing(BaselineSeq2Seq model, int segment, int lossShard = 0) : IGradientMethod
{
    /// <summary>Steps per checkpoint segment (0 = round(sqrt(T))).</summary>
    public int Segment { get; } = segment;

    /// <summary>Target steps per generator-and-loss shard within a segment (0 = the whole segment at once).</summary>
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
        var bank = LockedDropout.Apply(tops, m.Encoder.Bank).transpose(0, 1).detach().requires_grad_(true);   // [B, S, H] leaf
        if (m.Encoder.Bank is not null) tops.Dispose();
        var (decCheckpoints, _) = SegmentCheckpoint.Forward(b.TgtSteps, decSegment, encFinal, DecStep);

        double loss = 0;
        Tensor Attentional(Tensor[][] s) => decoder.Attend(LockedDropout.Apply(s[^1][0], m.Decoder.Output).unsqueeze(1), bank, b.SrcMask);
        Tensor StepLoss(int t, Tensor[][] s)
        {
            var nll = model.Loss(Attentional(s), b.TgtOut[t].unsqueeze(1));
            loss += nll.item<float>();
            return GradientMethod.PerSentence(nll, b.Batch);
        }
        // Sharded: the segment's attentional vectors [B, n, H] with graph; the loss runs shard by shard into a leaf, and
        // the segment's backward takes the leaf's gradient through a surrogate Σ a·grad(a).
        Tensor SegmentLoss(int start, IReadOnlyList<Tensor[][]> states)
        {
            var a = cat([.. states.Select(Attentional)], 1);
            var target = b.TgtOut.narrow(0, start, states.Count).t();
            using var leaf = a.detach().requires_grad_(true);
            using (NewDisposeScope())
                for (var t0 = 0; t0 < states.Count; t0 += LossShard)
                {
                    var n = Math.Min(LossShard, states.Count - t0);
                    var nll = model.Loss(leaf.narrow(1, t0, n), target.narrow(1, t0, n));
                    loss += nll.item<float>();
                    GradientMethod.PerSentence(nll, b.Batch).backward();
                }
            return a.mul(leaf.grad!).sum();
        }
        var dInitial = LossShard > 0
            ? SegmentCheckpoint.Backward(decCheckpoints, b.TgtSteps, decSegment, DecStep, null, null, SegmentLoss)
            : SegmentCheckpoint.Backward(decCheckpoints, b.TgtSteps, decSegment, DecStep, StepLoss, null);
        var bankGrad = LockedDropout.Apply(bank.grad!.transpose(0, 1), m.Encoder.Bank).contiguous();   // dL/d(top output) [S, B, H]
        bank.grad!.Dispose();
        bank.Dispose();
        tops.Dispose();
        SegmentCheckpoint.Backward(encCheckpoints, b.SrcSteps, encSegment, EncStep,
            (t, s) => s[^1][0].mul(bankGrad[t]).sum(), dInitial);
        return (loss, null, null);
    }
}
