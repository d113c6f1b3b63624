// Seq2SeqModel: an attention seq2seq translation model (encoder, decoder with Luong attention,
// generator Linear(H, V_tgt) + log_softmax) implementing ITranslationModel and IStepDecoder.
// Guarantees: Create builds the baseline (gru|lstm) or reversible (revgru|revlstm) model from a
// ModelConfig, initialises every parameter uniform(−param_init, param_init) from torch's global RNG,
// and checks the memory mode; loss = cross-entropy summed over non-pad target tokens, divided by the
// number of sentences; every TrainStep/Evaluate/Start/Step call frees its native temporaries.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Model.Config;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model.Training;
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public abstract class Seq2SeqModel : nn.Module, ITranslationModel
{
    protected readonly Linear generator;

    protected Seq2SeqModel(string name, ModelConfig config, string memoryMode, int checkpointSegment, int targetVocabSize) : base(name)
    {
        Config = config;
        MemoryMode = memoryMode;
        CheckpointSegment = checkpointSegment;
        TargetVocabSize = targetVocabSize;
        generator = nn.Linear(config.Hidden, targetVocabSize);
    }

    public ModelConfig Config { get; }
    /// <summary>"reversal", "backprop" or "checkpoint".</summary>
    public string MemoryMode { get; }
    /// <summary>Steps per checkpoint segment (0 = round(sqrt(T))).</summary>
    public int CheckpointSegment { get; }
    public int TargetVocabSize { get; }
    /// <summary>Size of one memory-bank vector (the attention context).</summary>
    public abstract int ContextSize { get; }

    public int BosId => PreparedBatch.Bos;
    public int EosId => PreparedBatch.Eos;
    public int PadId => PreparedBatch.Pad;
    public nn.Module Module => this;

    /// <summary>Builds the model described by <paramref name="model"/> (see <see cref="TranslationModelFactory"/>).</summary>
    public static Seq2SeqModel Create(ModelConfig model, TrainingConfig training, int sourceVocabSize, int targetVocabSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        if (!ModelConfig.Cells.Contains(model.Cell)) throw new ArgumentException($"unknown cell '{model.Cell}'");
        if (!ModelConfig.MemoryBanks.Contains(model.MemoryBank)) throw new ArgumentException($"unknown memory bank '{model.MemoryBank}'");
        var memory = training.Memory ?? TrainingConfig.DefaultMemoryFor(model.Cell);
        Seq2SeqModel result;
        if (model.IsReversible)
        {
            if (memory == "checkpoint")
                throw new NotSupportedException("training.memory = checkpoint is implemented for the baseline cells (gru, lstm) only; use reversal or backprop");
            result = new ReversibleSeq2Seq(model, memory, training.CheckpointSegment, sourceVocabSize, targetVocabSize);
        }
        else
        {
            if (memory == "reversal") throw new ArgumentException($"training.memory = reversal needs a reversible cell, not {model.Cell}");
            if (model.MemoryBank != "hidden") throw new ArgumentException($"memory bank {model.MemoryBank} needs a reversible cell (baselines attend over hidden)");
            result = new BaselineSeq2Seq(model, memory, training.CheckpointSegment, sourceVocabSize, targetVocabSize);
        }
        using (no_grad())
            foreach (var p in result.parameters()) p.uniform_(-model.ParamInit, model.ParamInit);
        return result;
    }

    public StepResult TrainStep(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var b = PreparedBatch.Create(batch);
        var (loss, enc, dec) = TrainCore(b, DrawMasks(b.Batch));
        return new StepResult(loss, b.Tokens, b.Batch, enc, dec);
    }

    public StepResult Evaluate(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var b = PreparedBatch.Create(batch);
        var loss = GraphLoss(b, DrawMasks(b.Batch)).item<float>();
        return new StepResult(loss, b.Tokens, b.Batch, null, null);
    }

    /// <summary>Forward and backward in the configured mode: (summed CE, encoder bits, decoder bits).</summary>
    protected abstract (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) TrainCore(PreparedBatch b, DropoutMasks masks);

    /// <summary>Ordinary autograd forward of the whole batch: the summed CE as a scalar with graph.</summary>
    protected abstract Tensor GraphLoss(PreparedBatch b, DropoutMasks masks);

    protected abstract DropoutMasks DrawMasks(int batch);

    public abstract DecoderState Start(IReadOnlyList<int[]> sources);
    public abstract (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state);

    /// <summary>log_softmax(generator(attn_h)).</summary>
    protected Tensor LogProbs(Tensor attentional) => generator.forward(attentional).log_softmax(-1);

    /// <summary>Summed CE of decoder outputs [B, T, H] (dropout already applied) against target ids [B, T]; pad ignored.</summary>
    protected Tensor SumNll(GlobalAttention attention, Tensor outputs, Tensor bank, Tensor srcMask, Tensor target)
    {
        var logp = LogProbs(attention.forward(outputs, bank, srcMask));
        var picked = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1);
        return picked.mul(target.ne(Scalars.Int64(PreparedBatch.Pad)).to(ScalarType.Float32)).sum().neg();
    }

    /// <summary>Summed CE of one decoder step: top output [B, H] → output dropout → attention → generator.</summary>
    protected Tensor StepNll(GlobalAttention attention, Tensor top, Tensor? outputMask, Tensor bank, Tensor srcMask, Tensor target)
    {
        var q = LockedDropout.Apply(top, outputMask);
        return SumNll(attention, q.unsqueeze(1), bank, srcMask, target.unsqueeze(1));
    }

    /// <summary>Log-probabilities [N, V] of one inference step from the decoder's top output [N, H].</summary>
    protected Tensor InferenceLogProbs(GlobalAttention attention, Tensor top, Tensor bank, Tensor srcMask) =>
        LogProbs(attention.forward(top.unsqueeze(1), bank, srcMask).squeeze(1));
}
