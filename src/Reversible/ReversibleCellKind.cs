// ReversibleCellKind: which reversible cell a stack is made of (RevGRU or RevLSTM, MacKay et al. 2018 §3).
namespace Seq2SeqRev.Reversible;

/// <summary>The reversible cell of every layer of a <see cref="ReversibleRnn"/>.</summary>
public enum ReversibleCellKind
{
    /// <summary>Reversible GRU (MacKay et al. 2018 §3.1): two state parts h1, h2 of hidden/2 columns each.</summary>
    RevGRU,
    /// <summary>Reversible LSTM (§3.2): four state parts h1, h2, c1, c2 of hidden/2 columns each.</summary>
    RevLSTM,
}
