// ReversalTape: what a stack's Forward keeps for its reversal — the final state (compact, until taken), the sealed
// information buffer, the saved top-layer columns, lengths and layer dropout masks — and the bit counts of each.
// Guarantees: nothing per step but the buffer's bits and the saved columns; what the reversal reads is restored bit for
// bit; once the final state is taken (TakeFinal), the reversal must be given its starting state explicitly.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// What the forward pass of training by reversal keeps, each part as compactly as exactness allows: the final state
/// (<see cref="CompactState"/>, packed by significant bits), the sealed buffer, the saved top-layer columns of the real
/// steps (packed by significant bits; padded steps repeat their row's last real step and are restored from it), the
/// lengths at the narrowest integer type the steps need and the between-layer dropout masks at one bit per element
/// (<see cref="PackedMask"/>). What reversal reads is restored bit for bit on first use (<see cref="Saved"/>,
/// <see cref="LayerInputMasks"/>). The tape owns all of it (nothing in a dispose scope).
/// Its bit counts, part by part, are one snapshot value: <see cref="Bits"/>.
/// </summary>
public sealed class ReversalTape : IDisposable
{
    private CompactState? _final;
    private readonly long _bufferBits;
    private readonly double _optimalBufferBits;
    private readonly PackedInts? _savedPacked;
    private readonly long[]? _savedShape;
    private Tensor? _saved;
    private readonly PackedMask?[]? _layerMasksPacked;
    private IReadOnlyList<Tensor?>? _layerMasks;
    private readonly long _finalStateValues, _finalStateFloorBits, _bufferRegisterBits, _bufferChunkBits, _bufferFlagBits;
    private readonly long _realSteps, _savedBits;
    private readonly long? _referenceSchemeBits;

    /// <param name="rnn">The stack that ran the forward pass.</param>
    /// <param name="steps">Time steps run.</param>
    /// <param name="batch">Batch rows.</param>
    /// <param name="final">The final state, kept compactly (owned by the tape).</param>
    /// <param name="buffer">The sealed information buffer (owned by the tape).</param>
    /// <param name="saved">The saved columns [T+1, B, k] (int32), consumed (packed, then freed).</param>
    /// <param name="lengths">The rows' lengths (copied at the narrowest integer type).</param>
    /// <param name="layerInputMasks">The between-layer masks of the forward pass (copied as bits).</param>
    /// <param name="inputWindow">The forward pass's <see cref="ReversibleRnn.InputWindow"/>.</param>
    internal ReversalTape(ReversibleRnn rnn, int steps, int batch, CompactState final, InformationBuffer buffer,
        Tensor? saved, Tensor? lengths, IReadOnlyList<Tensor?>? layerInputMasks, int inputWindow)
    {
        Rnn = rnn;
        InputWindow = inputWindow;
        Steps = steps;
        Batch = batch;
        _final = final;
        _finalStateValues = final.Values;
        _finalStateFloorBits = final.FloorBits;
        _bufferRegisterBits = buffer.PackedRegisterBits;
        _bufferChunkBits = buffer.ChunkBitsHeld;
        _bufferFlagBits = buffer.MultiplyFlagBits;
        Buffer = buffer;
        using (var scope = torch.NewDisposeScope())
        {
            Lengths = lengths?.to(IntegerStorage.Narrowest(steps)).DetachFromDisposeScope();
            _realSteps = lengths is null ? (long)steps * batch : lengths.sum().item<long>();
            if (saved is not null)
            {
                _savedShape = saved.shape;
                _savedBits = 32L * saved.numel();
                _savedPacked = PackedInts.Pack(RealRows(saved));
                saved.Dispose();
            }
        }
        _layerMasksPacked = layerInputMasks?.Select(PackedMask.Pack).ToArray();
        _bufferBits = buffer.ActualBits;
        _optimalBufferBits = buffer.OptimalBits;
        _referenceSchemeBits = buffer.ReferenceSchemeBits is long r ? r + _savedBits : null;
    }

    /// <summary>The stack that wrote this tape.</summary>
    public ReversibleRnn Rnn { get; }
    /// <summary>Steps per input-projection window of the forward pass (the reversal projects in the same windows).</summary>
    public int InputWindow { get; }
    /// <summary>Time steps of the forward pass.</summary>
    public int Steps { get; }
    /// <summary>Batch rows.</summary>
    public int Batch { get; }
    /// <summary>The sealed information buffer: the bits forgetting destroyed (its accounting:
    /// <see cref="InformationBuffer.ActualBits"/>, <see cref="InformationBuffer.OptimalBits"/>).</summary>
    public InformationBuffer Buffer { get; }
    /// <summary>The rows' lengths (the narrowest integer type for the steps), or null (every row runs every step).</summary>
    public Tensor? Lengths { get; }

    /// <summary>The saved columns [T+1, B, k] (int32), restored from the packed real steps on first use (then owned
    /// here until disposal); null without saved columns.</summary>
    public Tensor? Saved => _savedPacked is null ? null : _saved ??= RestoreSaved();

    /// <summary>The between-layer dropout masks (float32, bit-identical to those of the forward pass), restored on first
    /// use (then owned here).</summary>
    public IReadOnlyList<Tensor?>? LayerInputMasks =>
        _layerMasksPacked is null ? null : _layerMasks ??= [.. _layerMasksPacked.Select(m => m?.Expand().DetachFromDisposeScope())];

    /// <summary>The final state as int64 parts (new tensors in the caller's dispose scope; readable until taken).</summary>
    public RnnState Final => (_final ?? throw new InvalidOperationException("final state already taken")).Expand(Rnn.Format);

    /// <summary>Whether the tape still holds the final state (the reversal then starts from it).</summary>
    public bool HoldsFinal => _final is not null;

    /// <summary>The final state as int64 parts (the caller owns them); the tape stops holding it, so its reversal must
    /// be given the state to start from (e.g. the encoder's final state, rebuilt by the decoder's reversal).</summary>
    public RnnState TakeFinal()
    {
        var f = Final;
        _final = null;
        return f;
    }

    /// <summary>What the tape holds now, in bits, part by part (a snapshot: <see cref="TapeBits"/>).</summary>
    public TapeBits Bits
    {
        get
        {
            var hiddenValues = (long)Rnn.HiddenSize * Rnn.Layers * (Rnn.Kind == ReversibleCellKind.RevLSTM ? 2 : 1);
            return new TapeBits(
                FinalStateBits: _final?.Bits ?? 0,
                FinalStateValues: _finalStateValues,
                FinalStateFloorBits: _finalStateFloorBits,
                BufferRegisterBits: _bufferRegisterBits,
                BufferChunkBits: _bufferChunkBits,
                BufferFlagBits: _bufferFlagBits,
                LengthsBits: Lengths is null ? 0 : Lengths.numel() * Lengths.element_size() * 8,
                RealSteps: _realSteps,
                LayerMaskBits: _layerMasksPacked?.Sum(m => m?.Bits ?? 0) ?? 0,
                LayerMaskElements: _layerMasksPacked?.Sum(m => m is null ? 0 : m.Rows * m.Dim) ?? 0,
                BaselineBits: 32L * Steps * Batch * hiddenValues,
                BaselineBitsUnpadded: 32L * _realSteps * hiddenValues,
                SavedBits: _savedBits,
                SavedBitsHeld: _savedPacked?.Bits ?? 0,
                SavedFloorBits: _savedPacked?.FloorBits ?? 0,
                ActualBits: _bufferBits + _savedBits,
                OptimalBits: _optimalBufferBits + _savedBits,
                ReferenceSchemeBits: _referenceSchemeBits);
        }
    }

    /// <summary>Rows whose step is real (t ≤ length: the initial state and every step run), as [N, k], in (t, b) order.</summary>
    private Tensor RealRows(Tensor saved)
    {
        var k = saved.shape[2];
        var flat = saved.view(-1, k);
        return Lengths is null ? flat : flat.index_select(0, RealRowIndex().nonzero().view(-1));
    }

    /// <summary>[T+1, B] flattened: whether step t of row b is real (t ≤ length).</summary>
    private Tensor RealRowIndex()
    {
        using var stop = (Steps + 1L).ToScalar();
        var t = arange(Scalars.Int64(0), stop, Scalars.Int64(1)).unsqueeze(1);
        return t.le(Lengths!.to(ScalarType.Int64).unsqueeze(0)).view(-1);
    }

    /// <summary>The saved columns [T+1, B, k] from the packed real rows: padded steps repeat their row's last real step
    /// (the forward pass froze those rows, so it saved exactly that).</summary>
    private Tensor RestoreSaved()
    {
        using var scope = torch.NewDisposeScope();
        var shape = _savedShape!;
        var real = _savedPacked!.Unpack().to(ScalarType.Int32);
        Tensor full;
        if (Lengths is null) full = real.view(shape);
        else
        {
            var flat = zeros(shape[0] * shape[1], shape[2], ScalarType.Int32);
            flat.index_copy_(0, RealRowIndex().nonzero().view(-1), real);
            using var stop = (Steps + 1L).ToScalar();
            var t = arange(Scalars.Int64(0), stop, Scalars.Int64(1)).unsqueeze(1);
            var source = minimum(t, Lengths.to(ScalarType.Int64).unsqueeze(0));        // [T+1, B]: the step each row repeats
            full = flat.view(shape).gather(0, source.unsqueeze(2).expand(shape));
        }
        return full.contiguous().DetachFromDisposeScope();
    }

    /// <summary>Frees the final state, the buffer and the saved columns.</summary>
    public void Dispose()
    {
        _final = null;
        Buffer.Dispose();
        _saved?.Dispose();
        Lengths?.Dispose();
        if (_layerMasks is not null) foreach (var m in _layerMasks) m?.Dispose();
        if (_layerMasksPacked is not null) foreach (var m in _layerMasksPacked) m?.Dispose();
    }
}
