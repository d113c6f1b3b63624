// Trainable: what the trainer trains — a model together with the way its gradients are computed, chosen once at
// start-up from training.memory (Gradients/). Guarantees: TrainStep accumulates gradients of (token CE sum / sentences)
// in .grad without stepping an optimizer; Evaluate computes the same loss without gradients (ordinary forward);
// both report the summed CE, the token count and the sentence count; memory accounting (bits) is reported by
// reversal, null otherwise; every call frees its native temporaries.
using Seq2SeqRev.Model;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training.Gradients;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training;

/// <summary>Source and target ids of a batch of sentence pairs (no BOS/EOS).</summary>
public sealed record TrainingBatch(IReadOnlyList<int[]> Sources, IReadOnlyList<int[]> Targets);

/// <summary>One part of what training by reversal holds between its forward and its backward pass, in bits.</summary>
public sealed record BitPart(string Name, double Bits);

/// <summary>
/// Memory bits of one part of the model (encoder or decoder) in two conventions.
/// <para><b>Paper</b> (MacKay et al. 2018, §2.6 of the digest): <see cref="Baseline"/> = 32 bits per hidden value (h and c
/// for LSTM) per step over the padded batch (B × T_max); <see cref="Actual"/> = the information buffer plus the saved
/// attention columns (plus 32-bit source ids for banks with embeddings); <see cref="Optimal"/> = Σ −log2 z plus the same.</para>
/// <para><b>Held</b>: <see cref="HeldParts"/> = every bit kept between forward and backward, part by part, as stored
/// (Gradients.HeldAccounting); <see cref="BaselineUnpadded"/> = 32 bits per hidden value per layer (h and c for LSTM) at
/// every real (unpadded) step, the hidden states ordinary backprop of a packed batch keeps; <see cref="LimitParts"/> = the
/// same parts at their floor (final state and saved slices at each unit's range width without headers, the buffer at
/// Σ −log2 z, ids at ⌈log2 V⌉ bits per real token, masks at 1 bit per element, what is derived at 0).</para>
/// </summary>
public sealed record MemoryBits(long Baseline, long Actual, double Optimal)
{
    public long BaselineUnpadded { get; init; }
    public IReadOnlyList<BitPart> HeldParts { get; init; } = [];
    public IReadOnlyList<BitPart> LimitParts { get; init; } = [];

    public double SavingActual => Actual == 0 ? 0 : (double)Baseline / Actual;
    public double SavingOptimal => Optimal == 0 ? 0 : Baseline / Optimal;
    /// <summary>Whether the held convention was counted (training by reversal counts it; hand-made values may not).</summary>
    public bool HasHeld => HeldParts.Count > 0;
    public double Held => HeldParts.Sum(p => p.Bits);
    public double HeldLimit => LimitParts.Sum(p => p.Bits);
    public double SavingHeld => Held == 0 ? 0 : BaselineUnpadded / Held;
    public double SavingHeldLimit => HeldLimit == 0 ? 0 : BaselineUnpadded / HeldLimit;

    public MemoryBits Add(MemoryBits o) => new(Baseline + o.Baseline, Actual + o.Actual, Optimal + o.Optimal)
    {
        BaselineUnpadded = BaselineUnpadded + o.BaselineUnpadded,
        HeldParts = Merge(HeldParts, o.HeldParts),
        LimitParts = Merge(LimitParts, o.LimitParts),
    };

    /// <summary>Part-wise sums, in first-seen order.</summary>
    private static List<BitPart> Merge(IReadOnlyList<BitPart> a, IReadOnlyList<BitPart> b)
    {
        var result = a.ToList();
        foreach (var p in b)
        {
            var i = result.FindIndex(x => x.Name == p.Name);
            if (i < 0) result.Add(p);
            else result[i] = result[i] with { Bits = result[i].Bits + p.Bits };
        }
        return result;
    }
}

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
