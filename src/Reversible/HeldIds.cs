// HeldIds: token ids kept between the forward and the backward pass at the narrowest integer type their vocabulary needs
// (IntegerStorage), as the encoder's and the decoder's tapes keep them.
// Guarantees: Wide gives back the ids as int64, equal to those given (restored once, then owned here until disposal);
// BitsHeld counts the bytes of the tensor held before that.
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>Token ids held at the narrowest integer type of their vocabulary.</summary>
public sealed class HeldIds : IDisposable
{
    private readonly Tensor _held;
    private Tensor? _wide;

    /// <summary>Holds a copy of <paramref name="ids"/> (values in [0, <paramref name="vocabSize"/>)) at the narrowest type.</summary>
    public HeldIds(Tensor ids, long vocabSize) =>
        _held = ids.to(IntegerStorage.Narrowest(vocabSize - 1)).DetachFromDisposeScope();

    /// <summary>The ids as int64 (restored on first use).</summary>
    public Tensor Wide => _wide ??= _held.to(ScalarType.Int64).DetachFromDisposeScope();

    /// <summary>Bits held: the stored tensor's bytes.</summary>
    public long BitsHeld => _held.numel() * _held.element_size() * 8;

    /// <summary>Frees the held ids and their int64 copy.</summary>
    public void Dispose()
    {
        _held.Dispose();
        _wide?.Dispose();
    }
}
