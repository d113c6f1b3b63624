// SequenceTape: what one side of the model (encoder or decoder) keeps between its forward pass for reversal and its
// reversal — the stack's ReversalTape, the token ids the embeddings are recomputed from, and the embedding and top
// dropout masks.
// Guarantees: ids at the narrowest integer type of their vocabulary (HeldIds) and masks at one bit per element
// (PackedMask); Ids and Dropout restore them bit for bit (int64 ids, float32 masks) on first use and keep them until
// disposal; IdBitsHeld, MaskBitsHeld and MaskElements count what is held before that.
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>The encoder's tape (source ids [S, B]; the final state until the decoder's reversal can rebuild it) or the
/// decoder's (decoder input ids [T, B]; the loss targets are derived from them).</summary>
public sealed class SequenceTape : IDisposable
{
    private readonly HeldIds _ids;
    private readonly PackedMask? _embedding, _top;
    private SequenceDropout? _dropout;

    /// <param name="rnn">The stack's tape (owned from now on).</param>
    /// <param name="ids">The ids the embeddings came from [T, B] (copied at the narrowest type).</param>
    /// <param name="dropout">The batch's masks (the embedding and top masks are copied as bits; the between-layer masks
    /// are in <paramref name="rnn"/>).</param>
    /// <param name="vocabSize">Rows of the embedding table.</param>
    public SequenceTape(ReversalTape rnn, Tensor ids, SequenceDropout dropout, long vocabSize)
    {
        Rnn = rnn;
        _ids = new HeldIds(ids, vocabSize);
        _embedding = PackedMask.Pack(dropout.Embedding);
        _top = PackedMask.Pack(dropout.Top);
    }

    /// <summary>The stack's tape: final state, sealed buffer, saved columns, lengths, between-layer masks.</summary>
    public ReversalTape Rnn { get; }
    /// <summary>The ids [T, B] as int64 (restored on first use).</summary>
    public Tensor Ids => _ids.Wide;
    /// <summary>The batch's masks, float32 (restored on first use).</summary>
    public SequenceDropout Dropout => _dropout ??= new SequenceDropout(
        _embedding?.Expand().DetachFromDisposeScope(), Rnn.LayerInputMasks ?? [], _top?.Expand().DetachFromDisposeScope());
    /// <summary>The ids as held.</summary>
    public long IdBitsHeld => _ids.BitsHeld;
    /// <summary>Every dropout mask as held (embedding, top and the stack's between-layer masks).</summary>
    public long MaskBitsHeld => PackedMask.BitsOf(_embedding) + PackedMask.BitsOf(_top) + Rnn.Bits.LayerMaskBits;
    /// <summary>Elements of every dropout mask (their floor: one bit each).</summary>
    public long MaskElements => PackedMask.ElementsOf(_embedding) + PackedMask.ElementsOf(_top) + Rnn.Bits.LayerMaskElements;
    /// <summary>The final state of every layer (the encoder's: the decoder's initial state), int64 parts in the caller's scope.</summary>
    public RnnState Final => Rnn.Final;
    /// <summary>The final state (the caller owns it); the tape stops holding it, so the reversal must be given it back
    /// (the encoder's is rebuilt exactly by the decoder's reversal).</summary>
    public RnnState TakeFinal() => Rnn.TakeFinal();

    /// <summary>Frees the stack's tape, the ids and the masks.</summary>
    public void Dispose()
    {
        Rnn.Dispose();
        _ids.Dispose();
        _embedding?.Dispose();
        _top?.Dispose();
        _dropout?.Embedding?.Dispose();
        _dropout?.Top?.Dispose();
    }
}
