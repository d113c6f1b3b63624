// ModelConfig: encoder/decoder architecture (YAML section "model"), in the config's own words. Defaults are the
// paper's RevGRU "Emb+20H" model with at most 3 forgotten bits per hidden unit per step. ToSpec parses it once into
// the typed ModelSpec that models are built from.
using Seq2SeqRev.Encoder;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;

namespace Seq2SeqRev.Training.Config;

/// <summary>Cell, sizes, attention, memory bank, forgetting limit, dropout and fixed-point radices.</summary>
public sealed record ModelConfig
{
    public static IReadOnlyList<string> Cells => SettingNames.Cells.Names;
    public static IReadOnlyList<string> Attentions => SettingNames.Attentions.Names;
    public static IReadOnlyList<string> MemoryBanks => SettingNames.MemoryBanks.Names;
    public static readonly IReadOnlyList<string> ForgetBitChoices = ["1", "2", "3", "5", "none"];

    /// <summary>"gru", "lstm", "revgru" or "revlstm".</summary>
    public string Cell { get; init; } = "revgru";
    public int Embedding { get; init; } = 300;
    /// <summary>Hidden units per layer; even for reversible cells (the state is split in two halves).</summary>
    public int Hidden { get; init; } = 300;
    public int Layers { get; init; } = 1;
    /// <summary>Attention score: "general", "dot" or "concat".</summary>
    public string Attention { get; init; } = "general";
    /// <summary>
    /// What the encoder stores for attention: "hidden" (the full top-layer state, the paper's 300H),
    /// "slice" (the first Slice hidden units), "emb" (the word embedding), "emb+slice" (both).
    /// Non-reversible cells allow only "hidden".
    /// </summary>
    public string MemoryBank { get; init; } = "emb+slice";
    /// <summary>Hidden units stored for attention: 1..Hidden for slice kinds, 0 for "emb" and "hidden".</summary>
    public int Slice { get; init; } = 20;
    /// <summary>Maximum bits forgotten per hidden unit per step: "1", "2", "3", "5" or "none" (no limit).</summary>
    public string MaxForgetBits { get; init; } = "3";
    public DropoutConfig Dropout { get; init; } = new();
    /// <summary>Parameters are initialised uniformly in [-ParamInit, ParamInit].</summary>
    public double ParamInit { get; init; } = 0.1;
    /// <summary>Fixed-point fraction bits of the stored hidden state.</summary>
    public int HiddenRadix { get; init; } = 23;
    /// <summary>Fixed-point fraction bits of the forget gate.</summary>
    public int ForgetRadix { get; init; } = 10;

    /// <summary>MaxForgetBits as a number; null for "none" (no limit).</summary>
    public int? MaxForgetBitsValue => MaxForgetBits == "none" ? null : int.Parse(MaxForgetBits, System.Globalization.CultureInfo.InvariantCulture);
    public bool IsReversible => IsReversibleCell(Cell);
    public static bool IsReversibleCell(string cell) => cell is "revgru" or "revlstm";

    /// <summary>The memory bank as the paper names it: "300H", "20H", "Emb", "Emb+20H".</summary>
    public string MemoryBankLabel => SettingNames.MemoryBanks.Parse(MemoryBank) switch
    {
        MemoryBankKind.Hidden => $"{Hidden}H",
        MemoryBankKind.Slice => $"{Slice}H",
        MemoryBankKind.Embedding => "Emb",
        _ => $"Emb+{Slice}H",
    };

    /// <summary>The typed description a model is built from (a validated config always converts).</summary>
    public ModelSpec ToSpec() => new(
        SettingNames.Cells.Parse(Cell), Embedding, Hidden, Layers, SettingNames.Attentions.Parse(Attention),
        SettingNames.MemoryBanks.Parse(MemoryBank), Slice, ForgetLimit.Parse(MaxForgetBits),
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
