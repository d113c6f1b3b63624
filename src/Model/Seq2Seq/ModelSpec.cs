// ModelSpec: the typed description a Seq2SeqModel is built from — settings parsed once (from a run config's model
// section, by the training layer) into enums and types, so no model code compares strings.
// Guarantees: plain immutable data; IsReversible and ReversibleKind follow from Cell; CellKinds is the one place where
// the toolkit's cell vocabulary maps to the Reversible package's own ReversibleCellKind (and back).
using Seq2SeqRev.Attention;
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Reversible;

namespace Seq2SeqRev.Model;

/// <summary>The recurrent cell of encoder and decoder: the baselines (GRU, LSTM) or the reversible cells.</summary>
public enum CellKind { Gru, Lstm, RevGru, RevLstm }

/// <summary>What a <see cref="CellKind"/> implies; the one mapping to and from the package's <see cref="ReversibleCellKind"/>.</summary>
public static class CellKinds
{
    public static bool IsReversible(this CellKind cell) => cell is CellKind.RevGru or CellKind.RevLstm;
    public static bool IsLstm(this CellKind cell) => cell is CellKind.Lstm or CellKind.RevLstm;

    /// <summary>The reversible cell of a reversible <paramref name="cell"/>; a baseline cell throws.</summary>
    public static ReversibleCellKind ToReversible(this CellKind cell) => cell switch
    {
        CellKind.RevGru => ReversibleCellKind.RevGRU,
        CellKind.RevLstm => ReversibleCellKind.RevLSTM,
        _ => throw new ArgumentException($"cell {cell} is not reversible", nameof(cell)),
    };

    public static CellKind FromReversible(ReversibleCellKind kind) =>
        kind == ReversibleCellKind.RevLSTM ? CellKind.RevLstm : CellKind.RevGru;
}

/// <summary>Dropout probabilities, each in [0, 1): embeddings, between layers, decoder output (and the baseline's
/// bank), the reversible encoder's saved slice in the bank.</summary>
public sealed record DropoutSpec(double Embedding, double Hidden, double Output, double Slice)
{
    public static readonly DropoutSpec None = new(0, 0, 0, 0);
}

/// <summary>Cell, sizes, attention score, memory bank, forgetting limit, dropout, initialisation and fixed point.</summary>
public sealed record ModelSpec(
    CellKind Cell, int Embedding, int Hidden, int Layers, AttentionScore Attention, MemoryBankKind MemoryBank, int Slice,
    ForgetLimit ForgetLimit, DropoutSpec Dropout, double ParamInit, FixedPointFormat Format)
{
    public bool IsReversible => Cell.IsReversible();
    public bool IsLstm => Cell.IsLstm();
    public ReversibleCellKind ReversibleKind => Cell.ToReversible();
}
