// GradientMethod: the three ways of computing a batch's gradients — ordinary backprop, gradient checkpointing and
// training by reversal — as types, one chosen at start-up from training.memory.
// Guarantees: every method accumulates in .grad the gradient of (summed token CE / sentences) of the same function
// (the model's GraphLoss), returns the summed CE, and differs only in what it keeps between forward and backward;
// a method the model cannot use is an ArgumentException/NotSupportedException naming the setting, before training.
using Seq2SeqRev.Memory;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

public interface IGradientMethod
{
    /// <summary>Forward and backward of one batch with its masks: (summed CE, encoder bits, decoder bits). The method owns
    /// the batch's tensors and the masks from the call on and may free them early (reversal does, once it holds compact
    /// copies); the caller reads only the batch's counts afterwards.</summary>
    (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks masks);
}

public static class GradientMethod
{
    /// <param name="checkpointSegment">Steps per checkpoint segment (0 = round(sqrt(T))), for checkpointing.</param>
    /// <param name="lossShard">Target steps per generator-and-loss shard (0 = whole sequence / segment), for backprop and
    /// checkpointing; reversal ignores it.</param>
    /// <param name="reversalBlock">Decoder steps per reversal block, for reversal.</param>
    /// <param name="attentionChunk">Source positions per chunk of reversal's streamed attention (0 = the bank
    /// materialised whole), for reversal.</param>
    /// <param name="lossHead">Backprop's loss head (the others always use the written-out one); autograd needs lossShard 0.</param>
    /// <param name="reversalLossShard">Decoder steps per piece of the generator and loss inside a reversal block (0 = the
    /// whole block), for reversal.</param>
    /// <param name="reversalGcMib">MiB of managed allocation between collections of generation 0 during reversal (0 = .NET's own
    /// budget), for reversal.</param>
    public static IGradientMethod Create(TrainingMemory memory, Seq2SeqModel model, int checkpointSegment, int lossShard = 0, int reversalBlock = 1,
        LossHead lossHead = LossHead.Written, int attentionChunk = 0, int reversalLossShard = 0, int reversalGcMib = 0) => memory switch
    {
        TrainingMemory.Backprop => new Backprop(model, lossShard, lossHead),
        TrainingMemory.Checkpoint => model is BaselineSeq2Seq baseline
            ? new Checkpointing(baseline, checkpointSegment, lossShard)
            : throw new NotSupportedException("training.memory = checkpoint is implemented for the baseline cells (gru, lstm) only; use reversal or backprop"),
        TrainingMemory.Reversal => model is ReversibleSeq2Seq reversible
            ? new Reversal(reversible, reversalBlock, attentionChunk, reversalLossShard, reversalGcMib)
            : throw new ArgumentException($"training.memory = reversal needs a reversible cell, not {SettingNames.Cells.NameOf(model.Spec.Cell)}"),
        _ => throw new ArgumentOutOfRangeException(nameof(memory), memory, null),
    };

    /// <summary>loss / sentences, as a scalar for backward (the Scalar outlives the call).</summary>
    internal static Tensor PerSentence(Tensor lossSum, int sentences)
    {
        using var batch = sentences.ToScalar();
        return lossSum.div(batch);
    }

    /// <summary>
    /// The generator and the loss in shards (OpenNMT-py's sharded loss) through the loss head's written-out gradient
    /// (<see cref="Seq2SeqModel.LossAndGradient"/>): for <paramref name="attentional"/> [B, T, H] (with graph) the loss
    /// of every <paramref name="shard"/> target steps (0 = all at once) is computed without graph, so one shard's
    /// [B·shard, V] buffer is alive at a time, its gradient goes into the generator's .grad and into a [B, T, H]
    /// gradient for <paramref name="attentional"/>. Returns the summed CE (float64, on the tensor side) and the surrogate
    /// Σ attentional ⊙ dL/d(attentional), whose backward sends exactly that gradient through attentional's graph.
    /// </summary>
    internal static (Tensor LossSum, Tensor Surrogate) ShardedLoss(Seq2SeqModel model, Tensor attentional, Tensor target, int sentences, int shard)
    {
        var steps = (int)attentional.shape[1];
        if (shard <= 0) shard = steps;
        var lossSum = zeros(1, ScalarType.Float64);
        var grad = empty_like(attentional);
        using (var values = attentional.detach())
            for (var t0 = 0; t0 < steps; t0 += shard)
            {
                using var scope = NewDisposeScope();
                var n = Math.Min(shard, steps - t0);
                var (nll, g) = model.LossAndGradient(values.narrow(1, t0, n), target.narrow(1, t0, n), sentences);
                grad.narrow(1, t0, n).copy_(g);
                lossSum.add_(nll.to(ScalarType.Float64), Scalars.UnitAlpha);
            }
        using (grad) return (lossSum, attentional.mul(grad).sum());
    }
}

/// <summary>Ordinary backprop: one autograd graph over the whole batch up to the attentional vectors (every step's
/// activations are kept). The generator and the loss: with the written-out head (the default) through
/// <see cref="GradientMethod.ShardedLoss"/>, the whole sequence at once or, with <paramref name="lossShard"/> &gt; 0, in
/// shards of that many target steps (the [B, T, V] logits never all alive); with the autograd head, autograd through the
/// whole sequence's logits (the reference the written-out head equals up to float rounding).</summary>
public sealed class Backprop : IGradientMethod
{
    private readonly Seq2SeqModel model;

    public Backprop(Seq2SeqModel model, int lossShard = 0, LossHead lossHead = LossHead.Written)
    {
        if (lossHead == LossHead.Autograd && lossShard != 0)
            throw new ArgumentException($"training.loss_head = autograd needs training.loss_shard = 0, not {lossShard}");
        this.model = model;
        LossShard = lossShard;
        LossHead = lossHead;
    }

    /// <summary>Target steps per generator-and-loss shard (0 = the whole sequence at once).</summary>
    public int LossShard { get; }

    /// <summary>How the generator-and-loss gradient is computed.</summary>
    public LossHead LossHead { get; }

    public (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks masks)
    {
        if (LossHead == LossHead.Written)
        {
            var (lossSum, surrogate) = GradientMethod.ShardedLoss(model, model.GraphAttentional(b, masks), b.TgtOut.t(), b.Batch, LossShard);
            using (lossSum)
            {
                surrogate.backward();
                return (lossSum.item<double>(), null, null);
            }
        }
        var nll = model.GraphLoss(b, masks);
        GradientMethod.PerSentence(nll, b.Batch).backward();
        return (nll.item<float>(), null, null);
    }
}
