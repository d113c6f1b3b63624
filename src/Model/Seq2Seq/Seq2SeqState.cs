// Seq2SeqState: the search state of an attention seq2seq model — the memory bank [N, S, C], the source mask [N, S]
// and the decoder's hidden state [layer][part] ([N, H] floats for the baselines, [N, H/2] fixed-point ints for the
// reversible cells) — with named parts instead of positions in a list.
// Guarantees: owns its tensors (DecoderState); Continue keeps bank and mask (as aliases) and takes a new hidden state.
// The bank and the mask are per source: every row of a source holds the same values. The state knows each row's source
// (from Start on, while rows are selected with their host indices), and Select(rows, index) keeps the bank and the mask
// without copying when every new row has the source of the row in its place (beam search between finished sentences,
// greedy search while no sentence ends); otherwise, or with a non-contiguous bank, it copies them as Select(index) does,
// so the values the decoder reads, and their layout, are the same either way.
using Seq2SeqRev.Model.Search;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed class Seq2SeqState : DecoderState
{
    private readonly int _layers, _parts;
    /// <summary>The source of each row; null when unknown (after a Select without host indices).</summary>
    private readonly int[]? _sources;

    /// <summary>A state of one row per source: row i is source i.</summary>
    public Seq2SeqState(Tensor bank, Tensor sourceMask, IReadOnlyList<IReadOnlyList<Tensor>> hidden)
        : base([bank, sourceMask, .. hidden.SelectMany(l => l)])
    {
        _layers = hidden.Count;
        _parts = hidden[0].Count;
        _sources = [.. Enumerable.Range(0, (int)Rows)];
    }

    private Seq2SeqState(IReadOnlyList<Tensor> tensors, int layers, int parts, int[]? sources) : base(tensors)
    {
        _layers = layers;
        _parts = parts;
        _sources = sources;
    }

    public Tensor Bank => Tensors[0];
    public Tensor SourceMask => Tensors[1];

    /// <summary>The source of each row (null when unknown); for tests and diagnostics.</summary>
    public IReadOnlyList<int>? Sources => _sources;

    /// <summary>The hidden state, [layer][part].</summary>
    public Tensor[][] Hidden =>
        [.. Enumerable.Range(0, _layers).Select(l => Enumerable.Range(0, _parts).Select(p => Tensors[2 + l * _parts + p]).ToArray())];

    /// <summary>The state after one decoder step: same bank and mask, the new hidden state (taken over; a part that is
    /// a tensor of this state is aliased, so no tensor is owned twice).</summary>
    public Seq2SeqState Continue(IReadOnlyList<IReadOnlyList<Tensor>> hidden) =>
        new([Bank.alias(), SourceMask.alias(),
            .. hidden.SelectMany(l => l.Select(p => Tensors.Any(t => ReferenceEquals(t, p)) ? p.alias() : p))], _layers, _parts, _sources);

    public override DecoderState Select(long[] rows, Tensor rowIndex)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(rowIndex);
        if (_sources is null || rows.Length != rowIndex.shape[0]) return Select(rowIndex);
        var sources = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] < 0 || rows[i] >= _sources.Length) throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"row index outside 0..{_sources.Length - 1}");
            sources[i] = _sources[rows[i]];
        }
        var tensors = Tensors;
        bool keep = sources.AsSpan().SequenceEqual(_sources) && Bank.is_contiguous() && SourceMask.is_contiguous();
        var selected = new List<Tensor>(tensors.Count);
        try
        {
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                if (i < 2 && keep) { selected.Add(t.alias()); continue; }
                using var index = rowIndex.device == t.device ? rowIndex.alias() : rowIndex.to(t.device);
                selected.Add(t.index_select(0, index));
            }
            return new Seq2SeqState(selected, _layers, _parts, sources);
        }
        catch
        {
            foreach (var t in selected) t.Dispose();
            throw;
        }
    }

    protected override DecoderState WithTensors(IReadOnlyList<Tensor> tensors) => new Seq2SeqState(tensors, _layers, _parts, null);
}
