// ModelConfig: encoder/decoder architecture (YAML section "model"). Defaults are the paper's
// RevGRU "Emb+20H" model with at most 3 forgotten bits per hidden unit per step.
namespace Seq2SeqRev.Model.Config;

/// <summary>Cell, sizes, attention, memory bank, forgetting limit, dropout and fixed-point radices.</summary>
public sealed record ModelConfig
{
    public static readonly IReadOnlyList<string> Cells = ["gru", "lstm", "revgru", "revlstm"];
    public static readonly IReadOnlyList<string> Attentions = ["general", "dot", "concat"];
    public static readonly IReadOnlyList<string> MemoryBanks = ["hidden", "slice", "emb", "emb+slice"];
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
}

/// <summary>Dropout probabilities, each in [0, 1).</summary>
public sealed record DropoutConfig
{
    public double Embedding { get; init; } = 0.4;
    public double Hidden { get; init; } = 0.4;
    public double Output { get; init; } = 0.4;
    public double Slice { get; init; } = 0.4;
}
