// Trainable: what the trainer trains — a model together with the way its gradients are computed, chosen once at
// start-up from training.memory (Gradients/). Guarantees: TrainStep accumulates gradients of (token CE sum / sentences)
// in .grad without stepping an optimizer; Evaluate computes the same loss without gradients (ordinary forward);
// both report the summed CE, the token count and the sentence count; memory accounting (bits) is reported by
// reversal, null otherwise; every call frees its native temporaries.
using Seq2SeqRev.Memory;
using Seq2SeqRev.Model;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training.Gradients;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training;

/// <summary>Source and target ids of a batch of sentence pairs (no BOS/EOS).</summary>
public sealed record TrainingBatch(IReadOnlyList<int[]> Sources, IReadOnlyList<int[]> Targets);

public sealed record StepResult(double LossSum, long Tokens, int Sentences, MemoryBits? Encoder, MemoryBits? Decoder);

/// <summary>A model the trainer can train, validate and decode (the trainer's view; translation needs only IStepDecoder).</summary>
public interface ITrainable : IStepDecoder, IDisposable
{
    nn.Module Module { get; }   // parameters(), state_dict, train()/eval(), save/load
    /// Forward + backward of one batch; gradients accumulate in .grad (loss = token CE sum / sentences). Does not step
    /// the optimizer. Caller sets train mode.
    StepResult TrainStep(TrainingBatch batch);
    /// Loss only, no gradients (caller sets eval mode).
    StepResult Evaluate(TrainingBatch batch);
}

/// <summary>A Seq2SeqModel trained with one gradient method.</summary>
public sealed class TrainableModel(Seq2SeqModel model, IGradientMethod gradients) : ITrainable
{
    public Seq2SeqModel Model { get; } = model;
    public IGradientMethod Gradients { get; } = gradients;
    public nn.Module Module => Model;
    public int BosId => Model.BosId;
    public int EosId => Model.EosId;
    public int PadId => Model.PadId;

    /// <summary>Builds the model of <paramref name="model"/> and the gradient method of <paramref name="training"/>.</summary>
    public static TrainableModel Create(ModelConfig model, TrainingConfig training, int sourceVocabSize, int targetVocabSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        var built = Seq2SeqModel.Create(model.ToSpec(), sourceVocabSize, targetVocabSize);
        try
        {
            return new TrainableModel(built, GradientMethod.Create(training.MemoryMode(model.Cell), built, training.CheckpointSegment,
                training.LossShard, training.ReversalBlock, training.LossHead, training.AttentionChunk, training.ReversalLossShard,
                training.ReversalGcMib));
        }
        catch
        {
            built.Dispose();
            throw;
        }
    }

    public StepResult TrainStep(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var b = PreparedBatch.Create(batch.Sources, batch.Targets);
        var (loss, enc, dec) = Gradients.Backward(b, Model.DrawMasks(b.Batch));
        return new StepResult(loss, b.Tokens, b.Batch, enc, dec);
    }

    public StepResult Evaluate(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var b = PreparedBatch.Create(batch.Sources, batch.Targets);
        var loss = Model.GraphLoss(b, Model.DrawMasks(b.Batch)).item<float>();
        return new StepResult(loss, b.Tokens, b.Batch, null, null);
    }

    public DecoderState Start(IReadOnlyList<int[]> sources) => Model.Start(sources);
    public (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state) => Model.Step(previousTokens, state);
    public void Dispose() => Model.Dispose();
}
