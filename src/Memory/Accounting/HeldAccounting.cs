// HeldAccounting: the held convention — every bit training by reversal keeps between its forward and its backward
// pass, part by part as stored, and the same parts at their floor — counted from one side's SequenceTape.
// Guarantees: the same parts in the same order for every batch of a side; derived parts count 0 bits.
using Seq2SeqRev.Reversible;

namespace Seq2SeqRev.Memory;

/// <summary>
/// The held convention: every bit training by reversal keeps between its forward and its backward pass, by part, as
/// stored (bytes or tensor element width × elements), and the same parts at their floor.
/// Encoder: final state (0 bits once dropped: the decoder's reversal rebuilds it), buffer (packed registers, spilled
/// chunks, one flag bit per multiply), saved attention columns (real steps, packed by significant bits), source ids [S, B]
/// (narrowest integer type), source lengths [B] (likewise), the attention mask (0: derived from the lengths), dropout masks
/// (embedding, between layers, bank columns; one bit per element plus a 32-bit scale each). Decoder: final state (packed
/// by significant bits), buffer, decoder input ids [T, B], loss target ids (0: derived from the input ids), target lengths
/// [B], dropout masks (embedding, between layers, output). Not counted: parameters and their gradients (every method has
/// them), the memory bank and everything else the backward pass itself allocates (measured memory covers those).
/// Floor (the "limit"): the final state and saved columns at each unit's range width without headers, the buffer at
/// Σ −log2 z, ids at ⌈log2 V⌉ bits per real token, lengths at ⌈log2(T+1)⌉ bits, dropout masks at one bit per element,
/// derived parts at 0.
/// </summary>
public static class HeldAccounting
{
    public const string FinalState = "final_state", BufferRegisters = "buffer_registers", BufferChunks = "buffer_chunks",
        BufferFlags = "buffer_flags", Buffer = "buffer", SavedSlices = "saved_slices", SourceIds = "source_ids",
        SourceLengths = "source_lengths", AttentionMask = "attention_mask", DropoutMasks = "dropout_masks",
        TargetInputIds = "target_input_ids", TargetOutputIds = "target_output_ids", TargetLengths = "target_lengths";

    /// <summary>The held parts of one side's tape and the same parts at their floor. The encoder's: its saved columns,
    /// the source ids, lengths and the attention mask (derived); the decoder's: the decoder input ids, the loss targets
    /// (derived) and the target lengths.</summary>
    public static (List<BitPart> Held, List<BitPart> Limit) For(ModelSide side, SequenceTape tape, long vocab)
    {
        var bits = tape.Rnn.Bits;
        var encoder = side == ModelSide.Encoder;
        var (ids, lengths) = encoder ? (SourceIds, SourceLengths) : (TargetInputIds, TargetLengths);
        // Derived from what is held, so 0 bits: the attention mask from the source lengths (PreparedBatch.SourceMask),
        // the loss targets from the decoder input ids, shifted, EOS at each length (PreparedBatch.TargetsFromInputs).
        var derived = encoder ? AttentionMask : TargetOutputIds;
        List<BitPart> held =
        [
            new(FinalState, bits.FinalStateBits),
            new(BufferRegisters, bits.BufferRegisterBits),
            new(BufferChunks, bits.BufferChunkBits),
            new(BufferFlags, bits.BufferFlagBits),
        ];
        // The final state at its floor when held (0 when dropped: rebuilt by the decoder's reversal), the buffer at Σ −log2 z.
        List<BitPart> limit =
        [
            new(FinalState, bits.FinalStateBits == 0 ? 0 : bits.FinalStateFloorBits),
            new(Buffer, bits.OptimalBits - bits.SavedBits),
        ];
        if (encoder)
        {
            held.Add(new(SavedSlices, bits.SavedBitsHeld));
            limit.Add(new(SavedSlices, bits.SavedFloorBits));
        }
        held.Add(new(ids, tape.IdBitsHeld));
        limit.Add(new(ids, CeilLog2(vocab) * bits.RealSteps));
        if (!encoder) { held.Add(new(derived, 0)); limit.Add(new(derived, 0)); }
        held.Add(new(lengths, bits.LengthsBits));
        limit.Add(new(lengths, (double)CeilLog2(tape.Rnn.Steps + 1) * tape.Rnn.Batch));
        if (encoder) { held.Add(new(derived, 0)); limit.Add(new(derived, 0)); }
        held.Add(new(DropoutMasks, tape.MaskBitsHeld));
        limit.Add(new(DropoutMasks, tape.MaskElements));
        return (held, limit);
    }

    private static long CeilLog2(long n) => n <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(n - 1));
}

/// <summary>One side of the model: the encoder (source) or the decoder (target).</summary>
public enum ModelSide { Encoder, Decoder }
