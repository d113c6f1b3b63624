// ModelSpec: the typed description a Seq2SeqModel is built from — settings parsed once (from a run config's model
// section, by the training layer) into enums and types, so no model code compares strings.
// Guarantees: plain immutable data; IsReversible and ReversibleKind follow from Cell.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Encoder;
using Seq2SeqRev.Reversible;

namespace Seq2SeqRev.Model;

/// <summary>The recurrent cell of encoder and decoder: the baselines (GRU, LSTM) or the reversible cells.</summary>
public enum CellKind { Gru, Lstm, RevGru, RevLstm }

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
    public bool IsReversible => Cell is CellKind.RevGru or CellKind.RevLstm;
    public bool IsLstm => Cell is CellKind.Lstm or CellKind.RevLstm;
    public ReversibleCellKind ReversibleKind => Cell == CellKind.RevLstm ? ReversibleCellKind.RevLSTM : ReversibleCellKind.RevGRU;
}
