// ModelConfig: encoder/decoder architecture (YAML section "model"), typed: the config's words are parsed at the YAML
// edge (SettingNames) and never compared after. Defaults are the paper's RevGRU "Emb+20H" model with at most 3
// forgotten bits per hidden unit per step. ToSpec gives the ModelSpec that models are built from.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;

namespace Seq2SeqRev.Runs.Config;

/// <summary>Cell, sizes, attention, memory bank, forgetting limit, dropout and fixed-point radices.</summary>
public sealed record ModelConfig
{
    /// <summary>The recurrent cell of encoder and decoder (model.cell: gru, lstm, revgru, revlstm).</summary>
    public CellKind Cell { get; init; } = CellKind.RevGru;
    public int Embedding { get; init; } = 300;
    /// <summary>Hidden units per layer; even for reversible cells (the state is split in two halves).</summary>
    public int Hidden { get; init; } = 300;
    public int Layers { get; init; } = 1;
    /// <summary>Attention score (model.attention: general, dot, concat).</summary>
    public AttentionScore Attention { get; init; } = AttentionScore.General;
    /// <summary>
    /// What the encoder stores for attention (model.memory_bank): hidden (the full top-layer state, the paper's 300H),
    /// slice (the first Slice hidden units), emb (the word embedding), emb+slice (both).
    /// Non-reversible cells allow only hidden.
    /// </summary>
    public MemoryBankKind MemoryBank { get; init; } = MemoryBankKind.EmbeddingAndSlice;
    /// <summary>Hidden units stored for attention: 1..Hidden for slice kinds, 0 for emb and hidden.</summary>
    public int Slice { get; init; } = 20;
    /// <summary>Maximum bits forgotten per hidden unit per step (model.max_forget_bits: 1, 2, 3, 5 or none).</summary>
    public ForgetLimit MaxForgetBits { get; init; } = new(3);
    public DropoutConfig Dropout { get; init; } = new();
    /// <summary>Parameters are initialised uniformly in [-ParamInit, ParamInit].</summary>
    public double ParamInit { get; init; } = 0.1;
    /// <summary>Fixed-point fraction bits of the stored hidden state.</summary>
    public int HiddenRadix { get; init; } = 23;
    /// <summary>Fixed-point fraction bits of the forget gate.</summary>
    public int ForgetRadix { get; init; } = 10;

    public bool IsReversible => IsReversibleCell(Cell);
    public static bool IsReversibleCell(CellKind cell) => cell.IsReversible();

    /// <summary>The memory bank as the paper names it: "300H", "20H", "Emb", "Emb+20H".</summary>
    public string MemoryBankLabel => MemoryBank switch
    {
        MemoryBankKind.Hidden => $"{Hidden}H",
        MemoryBankKind.Slice => $"{Slice}H",
        MemoryBankKind.Embedding => "Emb",
        _ => $"Emb+{Slice}H",
    };

    /// <summary>The typed description a model is built from.</summary>
    public ModelSpec ToSpec() => new(
        Cell, Embedding, Hidden, Layers, Attention, MemoryBank, Slice, MaxForgetBits,
        new DropoutSpec(Dropout.Embedding, Dropout.Hidden, Dropout.Output, Dropout.Slice), ParamInit,
        new FixedPointFormat(HiddenRadix, ForgetRadix));
}

/// <summary>Dropout probabilities, each in [0, 1).</summary>
public sealed record DropoutConfig
{
    public double Embedding { get; init; } = 0.4;
    public double Hidden { get; init; } = 0.4;
    public double Output { get; init; } = 0.4;
    public double Slice { get; init; } = 0.4;
}
