// SettingNames: the one table between the words a run config uses ("revgru", "emb+slice", "reversal", "3", ...) and the
// typed values the code branches on. Guarantees: each setting's allowed words are listed once (the schema shows them
// in errors and parses with them at the YAML edge); every value has exactly one word (written back as is), so a
// config written and read again is the same config; past this table no code compares setting words.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Data;

namespace Seq2SeqRev.Runs.Config;

/// <summary>How a model's gradients are computed (training.memory).</summary>
public enum TrainingMemory { Reversal, Backprop, Checkpoint }

public enum OptimizerKind { Sgd, Adam }

/// <summary>Where a run computes (device); this build has the CPU only.</summary>
public enum ComputeDevice { Cpu, Cuda }

/// <summary>How backprop computes the generator-and-loss gradient (training.loss_head): the written-out head
/// (Seq2SeqModel.LossAndGradient, one [N, vocab] buffer, no autograd graph; the fastest) or autograd through logits,
/// log-softmax and the gathered loss (the reference).</summary>
public enum LossHead { Written, Autograd }

/// <summary>A fixed list of config words and the values (enums, or value types such as ForgetLimit) they stand for.</summary>
public sealed class NameMap<T> where T : struct
{
    private readonly (string Name, T Value)[] _entries;

    public NameMap(params (string Name, T Value)[] entries)
    {
        _entries = entries;
        Names = [.. entries.Select(e => e.Name)];
    }

    /// <summary>The allowed words, in their documented order.</summary>
    public IReadOnlyList<string> Names { get; }

    public T Parse(string name) => TryParse(name, out var v) ? v
        : throw new ArgumentException($"'{name}' is not allowed (allowed: {string.Join(", ", Names)})");

    /// <summary>The value of <paramref name="name"/> (compared as written, case-sensitive).</summary>
    public bool TryParse(string name, out T value)
    {
        foreach (var (n, v) in _entries)
            if (n == name) { value = v; return true; }
        value = default;
        return false;
    }

    public string NameOf(T value)
    {
        foreach (var (n, v) in _entries) if (EqualityComparer<T>.Default.Equals(v, value)) return n;
        throw new ArgumentOutOfRangeException(nameof(value), value, null);
    }
}

public static class SettingNames
{
    public static readonly NameMap<CellKind> Cells = new(("gru", CellKind.Gru), ("lstm", CellKind.Lstm),
        ("revgru", CellKind.RevGru), ("revlstm", CellKind.RevLstm));

    public static readonly NameMap<AttentionScore> Attentions = new(("general", AttentionScore.General),
        ("dot", AttentionScore.Dot), ("concat", AttentionScore.Concat));

    public static readonly NameMap<MemoryBankKind> MemoryBanks = new(("hidden", MemoryBankKind.Hidden),
        ("slice", MemoryBankKind.Slice), ("emb", MemoryBankKind.Embedding), ("emb+slice", MemoryBankKind.EmbeddingAndSlice));

    public static readonly NameMap<TrainingMemory> MemoryModes = new(("reversal", TrainingMemory.Reversal),
        ("backprop", TrainingMemory.Backprop), ("checkpoint", TrainingMemory.Checkpoint));

    public static readonly NameMap<LossHead> LossHeads = new(("written", LossHead.Written), ("autograd", LossHead.Autograd));

    public static readonly NameMap<OptimizerKind> Optimizers = new(("sgd", OptimizerKind.Sgd), ("adam", OptimizerKind.Adam));

    public static readonly NameMap<ForgetLimit> ForgetLimits = new(("1", new ForgetLimit(1)), ("2", new ForgetLimit(2)),
        ("3", new ForgetLimit(3)), ("5", new ForgetLimit(5)), ("none", ForgetLimit.None));

    public static readonly NameMap<ComputeDevice> Devices = new(("cpu", ComputeDevice.Cpu), ("cuda", ComputeDevice.Cuda));

    public static readonly NameMap<BatchType> BatchTypes = new(("sentences", BatchType.Sentences), ("tokens", BatchType.Tokens));
}
