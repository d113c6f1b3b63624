// TapeBits: one snapshot of what a ReversalTape holds, in bits, part by part, in the paper's convention and as stored.
// Guarantees: a plain value (no tensors); taken at one moment (ReversalTape.Bits), so a part freed later, such as the
// final state once taken, reads as it was at the snapshot.
namespace Seq2SeqRev.Reversible;

/// <summary>
/// The bit counts of a <see cref="ReversalTape"/> at one moment. Paper convention: baseline = 32 bits per hidden value per
/// step (h and c for LSTM) over the padded batch, saved columns at 32 bits over [T+1, B, k] (<see cref="SavedBits"/>).
/// The held parts as stored: <see cref="FinalStateBits"/>, <see cref="BufferRegisterBits"/>, <see cref="BufferChunkBits"/>,
/// <see cref="BufferFlagBits"/>, <see cref="SavedBitsHeld"/>, <see cref="LengthsBits"/>, <see cref="LayerMaskBits"/>.
/// </summary>
/// <param name="FinalStateBits">Bits of the final state held: its packed bytes (<see cref="CompactState"/>), 0 once taken.</param>
/// <param name="FinalStateValues">Values in the final state (layers × parts × batch × H/2).</param>
/// <param name="FinalStateFloorBits">The final state's values at their units' widths, without headers (the floor of its packing).</param>
/// <param name="BufferRegisterBits">The buffer's packed final registers and chunk counts (<see cref="InformationBuffer.PackedRegisterBits"/>).</param>
/// <param name="BufferChunkBits">The buffer's spilled 32-bit chunks (<see cref="InformationBuffer.ChunkBitsHeld"/>).</param>
/// <param name="BufferFlagBits">One bit per buffered multiply (<see cref="InformationBuffer.MultiplyFlagBits"/>).</param>
/// <param name="LengthsBits">The lengths [B] as held, at their element size; 0 without lengths.</param>
/// <param name="RealSteps">Steps actually run (Σ lengths, or steps × batch without lengths): the unpadded step count.</param>
/// <param name="LayerMaskBits">The between-layer dropout masks as held (bits, see <see cref="PackedMask.Bits"/>).</param>
/// <param name="LayerMaskElements">The between-layer dropout masks' elements (their floor at one bit each).</param>
/// <param name="BaselineBits">What backpropagation would keep: 32 bits per hidden value per step over the padded batch
/// (h and c for LSTM), every layer.</param>
/// <param name="BaselineBitsUnpadded">The baseline over the steps actually run: 32 bits per hidden value (h and c for
/// LSTM) of every layer at every unpadded step — the hidden states ordinary backprop of a packed sequence keeps.</param>
/// <param name="SavedBits">The saved columns in the paper's convention: 32 bits over [T+1, B, k].</param>
/// <param name="SavedBitsHeld">The saved columns as held: the packed real steps (<see cref="PackedInts.Bits"/>).</param>
/// <param name="SavedFloorBits">The saved columns' real steps at their units' widths, without headers (the floor of their packing).</param>
/// <param name="ActualBits">The paper's actual: the sealed buffer plus the saved columns at 32 bits (at seal time).</param>
/// <param name="OptimalBits">The information-theoretic minimum: the buffer's Σ −log2 z (at seal time) plus the saved columns.</param>
/// <param name="ReferenceSchemeBits">The reference code's whole-batch 64-bit scheme on the same run (when tracked), plus
/// saved columns.</param>
public sealed record TapeBits(
    long FinalStateBits, long FinalStateValues, long FinalStateFloorBits,
    long BufferRegisterBits, long BufferChunkBits, long BufferFlagBits,
    long LengthsBits, long RealSteps, long LayerMaskBits, long LayerMaskElements,
    long BaselineBits, long BaselineBitsUnpadded,
    long SavedBits, long SavedBitsHeld, long SavedFloorBits,
    long ActualBits, double OptimalBits, long? ReferenceSchemeBits);
