// ITranslationModel: the contract between the seq2seq models and the trainer.
// Guarantees: TrainStep accumulates gradients of (token CE sum / sentences) in .grad without stepping
// an optimizer, in the configured memory mode (reversal | backprop | checkpoint); Evaluate computes
// the same loss without gradients; both report the summed CE, the token count and the sentence count;
// memory accounting (bits) is reported for reversible models trained by reversal, null otherwise.
using Seq2SeqRev.Model.Config;

namespace Seq2SeqRev.Model.Training;

public sealed record TrainingBatch(IReadOnlyList<int[]> Sources, IReadOnlyList<int[]> Targets);

public sealed record MemoryBits(long Baseline, long Actual, double Optimal)
{
    public double SavingActual => Actual == 0 ? 0 : (double)Baseline / Actual;
    public double SavingOptimal => Optimal == 0 ? 0 : Baseline / Optimal;
    public MemoryBits Add(MemoryBits o) => new(Baseline + o.Baseline, Actual + o.Actual, Optimal + o.Optimal);
}

public sealed record StepResult(double LossSum, long Tokens, int Sentences, MemoryBits? Encoder, MemoryBits? Decoder);

public interface ITranslationModel : Seq2SeqRev.Model.Search.IStepDecoder, IDisposable
{
    TorchSharp.torch.nn.Module Module { get; }   // parameters(), state_dict, train()/eval(), save/load
    /// Forward + backward of one batch in the configured memory mode; gradients accumulate in .grad
    /// (loss = token CE sum / sentences). Does not step the optimizer. Caller sets train mode.
    StepResult TrainStep(TrainingBatch batch);
    /// Loss only, no gradients (caller sets eval mode).
    StepResult Evaluate(TrainingBatch batch);
}

public static class TranslationModelFactory
{
    public static ITranslationModel Create(ModelConfig model, TrainingConfig training, int sourceVocabSize, int targetVocabSize) =>
        Seq2SeqModel.Create(model, training, sourceVocabSize, targetVocabSize);
}
