// GradientMethod: the three ways of computing a batch's gradients — ordinary backprop, gradient checkpointing and
// training by reversal — as types, one chosen at start-up from training.memory.
// Guarantees: every method accumulates in .grad the gradient of (summed token CE / sentences) of the same function
// (the model's GraphLoss), returns the summed CE, and differs only in what it keeps between forward and backward;
// a method the model cannot use is an ArgumentException/NotSupportedException naming the setting, before training.
using Seq2SeqRev.Model;
using Seq2SeqRev.Training.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training.Gradients;

public interface IGradientMethod
{
    /// <summary>Forward and backward of one batch with its masks: (summed CE, encoder bits, decoder bits).</summary>
    (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks masks);
}

public static class GradientMethod
{
    /// <param name="checkpointSegment">Steps per checkpoint segment (0 = round(sqrt(T))), for checkpointing.</param>
    /// <param name="reversalBlock">Decoder steps per reversal block, for reversal.</param>
    public static IGradientMethod Create(TrainingMemory memory, Seq2SeqModel model, int checkpointSegment, int reversalBlock = 1) => memory switch
    {
        TrainingMemory.Backprop => new Backprop(model),
        TrainingMemory.Checkpoint => model is BaselineSeq2Seq baseline
            ? new Checkpointing(baseline, checkpointSegment)
            : throw new NotSupportedException("training.memory = checkpoint is implemented for the baseline cells (gru, lstm) only; use reversal or backprop"),
        TrainingMemory.Reversal => model is ReversibleSeq2Seq reversible
            ? new Reversal(reversible, reversalBlock)
            : throw new ArgumentException($"training.memory = reversal needs a reversible cell, not {SettingNames.Cells.NameOf(model.Spec.Cell)}"),
        _ => throw new ArgumentOutOfRangeException(nameof(memory), memory, null),
    };

    /// <summary>loss / sentences, as a scalar for backward (the Scalar outlives the call).</summary>
    internal static Tensor PerSentence(Tensor lossSum, int sentences)
    {
        using var batch = sentences.ToScalar();
        return lossSum.div(batch);
    }
}

/// <summary>Ordinary backprop: one autograd graph over the whole batch (every step's activations are kept).</summary>
public sealed class Backprop(Seq2SeqModel model) : IGradientMethod
{
    public (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) Backward(PreparedBatch b, DropoutMasks masks)
    {
        var nll = model.GraphLoss(b, masks);
        GradientMethod.PerSentence(nll, b.Batch).backward();
        return (nll.item<float>(), null, null);
    }
}
