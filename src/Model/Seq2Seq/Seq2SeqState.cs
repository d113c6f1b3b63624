// Seq2SeqState: the search state of an attention seq2seq model — the memory bank [N, S, C], the source mask [N, S]
// and the decoder's hidden state [layer][part] ([N, H] floats for the baselines, [N, H/2] fixed-point ints for the
// reversible cells) — with named parts instead of positions in a list.
// Guarantees: owns its tensors (DecoderState); Continue keeps bank and mask (as aliases) and takes a new hidden state.
using Seq2SeqRev.Model.Search;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed class Seq2SeqState : DecoderState
{
    private readonly int _layers, _parts;

    public Seq2SeqState(Tensor bank, Tensor sourceMask, IReadOnlyList<IReadOnlyList<Tensor>> hidden)
        : base([bank, sourceMask, .. hidden.SelectMany(l => l)])
    {
        _layers = hidden.Count;
        _parts = hidden[0].Count;
    }

    private Seq2SeqState(IReadOnlyList<Tensor> tensors, int layers, int parts) : base(tensors)
    {
        _layers = layers;
        _parts = parts;
    }

    public Tensor Bank => Tensors[0];
    public Tensor SourceMask => Tensors[1];

    /// <summary>The hidden state, [layer][part].</summary>
    public Tensor[][] Hidden =>
        [.. Enumerable.Range(0, _layers).Select(l => Enumerable.Range(0, _parts).Select(p => Tensors[2 + l * _parts + p]).ToArray())];

    /// <summary>The state after one decoder step: same bank and mask, the new hidden state (taken over; a part that is
    /// a tensor of this state is aliased, so no tensor is owned twice).</summary>
    public Seq2SeqState Continue(IReadOnlyList<IReadOnlyList<Tensor>> hidden) =>
        new(Bank.alias(), SourceMask.alias(),
            [.. hidden.Select(l => (IReadOnlyList<Tensor>)[.. l.Select(p => Tensors.Any(t => ReferenceEquals(t, p)) ? p.alias() : p)])]);

    protected override DecoderState WithTensors(IReadOnlyList<Tensor> tensors) => new Seq2SeqState(tensors, _layers, _parts);
}
