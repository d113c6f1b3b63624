// DecoderState: the tensors describing a batch of partial translations, row (batch*beam) dimension first.
// Guarantees: the state owns its tensors (they are detached from any dispose scope on construction and
// disposed exactly once by Dispose); all tensors agree on the row count; Select never mutates this state.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model.Search;

/// <summary>
/// State of a batch of partial translations: every tensor has the row (batch*beam) dimension first
/// (e.g. decoder hidden [N,H], memory bank [N,S,C], source mask [N,S]). Owns its tensors.
/// </summary>
public sealed class DecoderState : IDisposable
{
    private readonly Tensor[] _tensors;
    private bool _disposed;

    /// <summary>Takes ownership of <paramref name="tensors"/> (at least one, all with the same size of dim 0).</summary>
    public DecoderState(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("A decoder state needs at least one tensor (it defines the row count).", nameof(tensors));
        _tensors = tensors.ToArray();
        Rows = RowsOf(_tensors[0]);
        foreach (var t in _tensors)
        {
            if (RowsOf(t) != Rows)
                throw new ArgumentException($"All state tensors must have {Rows} rows in dim 0; got shape [{string.Join(",", t.shape)}].", nameof(tensors));
        }
        foreach (var t in _tensors) t.DetachFromDisposeScope();
    }

    /// <summary>Number of rows (size of dim 0 of every tensor).</summary>
    public long Rows { get; }

    /// <summary>The owned tensors; callers may read them but must not dispose them.</summary>
    public IReadOnlyList<Tensor> Tensors
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _tensors;
        }
    }

    /// <summary>
    /// A new state whose row i is row <c>rowIndex[i]</c> of this one (index_select on dim 0 of every tensor).
    /// <paramref name="rowIndex"/> is a 1-D int64 tensor; rows may repeat. This state is left unchanged.
    /// </summary>
    public DecoderState Select(Tensor rowIndex)
    {
        ArgumentNullException.ThrowIfNull(rowIndex);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rowIndex.dim() != 1 || rowIndex.dtype != ScalarType.Int64)
            throw new ArgumentException("rowIndex must be a 1-D int64 tensor.", nameof(rowIndex));
        var selected = new List<Tensor>(_tensors.Length);
        try
        {
            foreach (var t in _tensors)
            {
                using var index = rowIndex.device == t.device ? rowIndex.alias() : rowIndex.to(t.device);
                selected.Add(t.index_select(0, index));
            }
            return new DecoderState(selected);
        }
        catch
        {
            foreach (var t in selected) t.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors) t.Dispose();
    }

    private static long RowsOf(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() < 1) throw new ArgumentException("State tensors need a row dimension (dim >= 1).");
        return t.shape[0];
    }
}
