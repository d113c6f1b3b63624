using Seq2SeqRev.Model.Config;
namespace Seq2SeqRev.Model.Training;
public sealed record TrainingBatch(IReadOnlyList<int[]> Sources, IReadOnlyList<int[]> Targets);
public sealed record MemoryBits(long Baseline, long Actual, double Optimal) {
    public double SavingActual => Actual == 0 ? 0 : (double)Baseline / Actual;
    public double SavingOptimal => Optimal == 0 ? 0 : Baseline / Optimal;
    public MemoryBits Add(MemoryBits o) => new(Baseline + o.Baseline, Actual + o.Actual, Optimal + o.Optimal);
}
public sealed record StepResult(double LossSum, long Tokens, int Sentences, MemoryBits? Encoder, MemoryBits? Decoder);
public interface ITranslationModel : Seq2SeqRev.Model.Search.IStepDecoder, IDisposable {
    TorchSharp.torch.nn.Module Module { get; }   // parameters(), state_dict, train()/eval(), save/load
    StepResult TrainStep(TrainingBatch batch);    // forward+backward, grads accumulate (loss = token CE sum / sentences); no optimizer step
    StepResult Evaluate(TrainingBatch batch);     // loss only, no grad
}
