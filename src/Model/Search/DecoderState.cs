// DecoderState: the tensors describing a batch of partial translations, row (batch*beam) dimension first, behind a typed
// face (each model says what its tensors are; the search only selects rows).
// Guarantees: a state owns its tensors (detached from any dispose scope on construction, disposed exactly once by
// Dispose; the same tensor object is never owned twice); all tensors agree on the row count; Select never mutates
// this state and returns a state of the same type and layout.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model.Search;

/// <summary>
/// State of a batch of partial translations: every tensor has the row (batch*beam) dimension first
/// (e.g. decoder hidden [N,H], memory bank [N,S,C], source mask [N,S]). Owns its tensors.
/// </summary>
public abstract class DecoderState : IDisposable
{
    private readonly Tensor[] _tensors;
    private bool _disposed;

    /// <summary>Takes ownership of <paramref name="tensors"/> (at least one, all with the same size of dim 0, no
    /// object twice).</summary>
    protected DecoderState(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("A decoder state needs at least one tensor (it defines the row count).", nameof(tensors));
        _tensors = tensors.ToArray();
        Rows = RowsOf(_tensors[0]);
        for (var i = 0; i < _tensors.Length; i++)
        {
            if (RowsOf(_tensors[i]) != Rows)
                throw new ArgumentException($"All state tensors must have {Rows} rows in dim 0; got shape [{string.Join(",", _tensors[i].shape)}].", nameof(tensors));
            for (var j = 0; j < i; j++)
                if (ReferenceEquals(_tensors[i], _tensors[j]))
                    throw new ArgumentException("A decoder state cannot own the same tensor twice.", nameof(tensors));
        }
        foreach (var t in _tensors) t.DetachFromDisposeScope();
    }

    /// <summary>Number of rows (size of dim 0 of every tensor).</summary>
    public long Rows { get; }

    /// <summary>The device of the state's tensors.</summary>
    public Device Device => Tensors[0].device;

    /// <summary>The owned tensors, in the layout of the concrete state; callers may read them but must not dispose them.</summary>
    protected IReadOnlyList<Tensor> Tensors
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _tensors;
        }
    }

    /// <summary>The same kind of state over <paramref name="tensors"/> (same layout as <see cref="Tensors"/>).</summary>
    protected abstract DecoderState WithTensors(IReadOnlyList<Tensor> tensors);

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
            return WithTensors(selected);
        }
        catch
        {
            foreach (var t in selected) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="Select(Tensor)"/> with the row indices also on the host (<paramref name="rows"/>, the values of
    /// <paramref name="rowIndex"/>). A state whose tensors include per-source ones (the same for every row of a source)
    /// may keep those without copying when every new row belongs to the same source as the row in its place; the values
    /// are those of <see cref="Select(Tensor)"/> either way.
    /// </summary>
    public virtual DecoderState Select(long[] rows, Tensor rowIndex) => Select(rowIndex);

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

/// <summary>The state of a decoder that is a single hidden tensor [N, H] (small models and test doubles).</summary>
public sealed class HiddenState(Tensor hidden) : DecoderState([hidden])
{
    public Tensor Hidden => Tensors[0];

    protected override DecoderState WithTensors(IReadOnlyList<Tensor> tensors) => new HiddenState(tensors[0]);
}
