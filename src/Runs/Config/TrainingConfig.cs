// TrainingConfig: optimisation, schedule, stopping and memory strategy (YAML section "training"), typed (words parsed
// at the YAML edge by SettingNames). Memory is null until resolved (RunConfig.Resolve); ConfigLoader always returns
// resolved configs.
using Seq2SeqRev.Model;
using Seq2SeqRev.Runs.Data;

namespace Seq2SeqRev.Runs.Config;

/// <summary>How to train: batches, optimizer, learning-rate schedule, stopping, validation, logging.</summary>
public sealed record TrainingConfig
{
    public int Epochs { get; init; } = 30;
    /// <summary>Batch size unit (training.batch_type: sentences or tokens).</summary>
    public BatchType BatchType { get; init; } = BatchType.Sentences;
    public int BatchSize { get; init; } = 64;
    /// <summary>training.optimizer: sgd or adam.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    public double LearningRate { get; init; } = 0.2;
    /// <summary>Factor in (0, 1] applied to the learning rate when validation perplexity stalls.</summary>
    public double LrDecay { get; init; } = 0.5;
    /// <summary>Decay when validation perplexity has not improved for more than this many validations.</summary>
    public int LrPatience { get; init; }
    /// <summary>Training stops once the learning rate falls below this.</summary>
    public double MinLearningRate { get; init; } = 0.001;
    /// <summary>Stop after this many validations without improvement; 0 = off.</summary>
    public int EarlyStopping { get; init; } = 8;
    /// <summary>Gradient-norm clipping threshold; 0 = off.</summary>
    public double ClipGradNorm { get; init; } = 5.0;
    /// <summary>
    /// How gradients are computed (training.memory: reversal (reversible cells only), backprop or checkpoint);
    /// null = not yet resolved (reversal for reversible cells, backprop otherwise).
    /// </summary>
    public TrainingMemory? Memory { get; init; }
    /// <summary>Steps per checkpoint segment; 0 = sqrt(sequence length).</summary>
    public int CheckpointSegment { get; init; }
    /// <summary>Target steps per generator-and-loss shard for backprop and checkpointing (OpenNMT-py's sharded loss): the
    /// [B, T, vocab] logits are computed and backpropagated that many steps at a time (within a segment, for
    /// checkpointing); 0 = the whole sequence at once (backprop) or one step at a time (checkpointing). Same gradients
    /// either way up to float rounding; reversal ignores it (it has its own blocks, ReversalBlock).</summary>
    public int LossShard { get; init; }
    /// <summary>Backprop's loss head (training.loss_head): written (default; the generator and loss with their gradient written out, whole
    /// sequence or per loss_shard; faster than autograd, docs/BENCHMARKS.md) or autograd (autograd through the whole
    /// sequence's logits; loss_shard must be 0). Checkpointing and reversal always use the written-out head.</summary>
    public LossHead LossHead { get; init; } = LossHead.Written;
    /// <summary>Decoder steps per block of training by reversal: the block's states are rebuilt (keeping their steps'
    /// gates), then its attention, generator and loss run as one batch; 1 = one step at a time. Default 4: faster than 1 within the
    /// activation-memory budget (docs/BENCHMARKS.md).</summary>
    public int ReversalBlock { get; init; } = 4;
    /// <summary>Source positions per chunk of the attention in training by reversal: each block's attention rebuilds the
    /// memory bank that many positions at a time from the held source ids and saved columns, so no bank-sized tensor is
    /// alive across the step; 0 = the bank materialised whole (autograd through the attention). Same gradients either
    /// way up to float rounding; other training modes ignore it.</summary>
    public int AttentionChunk { get; init; } = 32;
    /// <summary>Decoder steps per piece of the generator and loss inside a block of training by reversal: each piece's
    /// [B·pieces, vocab] buffer is the only one alive; 0 = the whole block at once (one [B·K, vocab] buffer). Same
    /// gradients either way up to float rounding; other training modes ignore it (they have loss_shard).</summary>
    public int ReversalLossShard { get; init; }
    /// <summary>Training by reversal collects the managed heap's youngest generation every this many MiB allocated by the
    /// step; 0 (the default) = leave it to .NET. Forced collections promote what the step still references and did not
    /// lower the measured peak at T = 200 (docs/MEMORY.md). Changes no computed value; other training modes ignore it.</summary>
    public int ReversalGcMib { get; init; }
    public int ValidBeam { get; init; } = 1;
    /// <summary>Sentences used per validation; 0 = all.</summary>
    public int ValidMaxSentences { get; init; }
    /// <summary>Log every this many batches.</summary>
    public int LogEvery { get; init; } = 50;
    /// <summary>Stop after this many updates; 0 = unlimited.</summary>
    public int MaxSteps { get; init; }
    /// <summary>Epoch checkpoints (epoch-NN.ckpt) kept in the run folder beside last.ckpt and best.ckpt, the newest
    /// this many (older ones deleted), for checkpoint averaging; 0 = none.</summary>
    public int KeepCheckpoints { get; init; }

    public static TrainingMemory DefaultMemoryFor(CellKind cell) =>
        ModelConfig.IsReversibleCell(cell) ? TrainingMemory.Reversal : TrainingMemory.Backprop;

    /// <summary>training.memory (the resolved value; unresolved = the default for <paramref name="cell"/>).</summary>
    public TrainingMemory MemoryMode(CellKind cell) => Memory ?? DefaultMemoryFor(cell);
}
