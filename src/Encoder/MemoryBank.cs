// MemoryBank: what an encoder keeps for attention (the paper's "memory bank") and how wide it is.
// Guarantees: one place decides the bank's layout — [embedding columns][hidden columns] — for every encoder;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Encoders;

/// <summary>The attention memory: the whole top hidden state ("300H"), a slice of it ("20H"), the source
/// embeddings ("Emb") or both ("Emb+20H"). Baseline encoders attend over the whole hidden state only.</summary>
public enum MemoryBankKind { Hidden, Slice, Embedding, EmbeddingAndSlice }

/// <summary>The layout of a bank: embedding columns first (if any), then <see cref="HiddenColumns"/> hidden units.</summary>
public readonly record struct MemoryBankLayout(MemoryBankKind Kind, int EmbeddingColumns, int HiddenColumns)
{
    /// <param name="slice">Hidden units kept for the slice kinds (ignored otherwise).</param>
    public static MemoryBankLayout For(MemoryBankKind kind, int embedding, int hidden, int slice) => kind switch
    {
        MemoryBankKind.Hidden => new(kind, 0, hidden),
        MemoryBankKind.Slice => new(kind, 0, slice),
        MemoryBankKind.Embedding => new(kind, embedding, 0),
        MemoryBankKind.EmbeddingAndSlice => new(kind, embedding, slice),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown memory bank"),
    };

    public bool UsesEmbedding => EmbeddingColumns > 0;
    /// <summary>Size of one bank vector (the attention context).</summary>
    public int ContextSize => EmbeddingColumns + HiddenColumns;

    /// <summary>Bank [B, S, C] from embeddings [S, B, E] and hidden columns [S, B, k] (the hidden-column mask applied).</summary>
    public Tensor Assemble(Tensor? embedded, Tensor? hidden, Tensor? hiddenMask)
    {
        var parts = new List<Tensor>();
        if (embedded is not null) parts.Add(embedded);
        if (hidden is not null) parts.Add(Reversible.LockedDropout.Apply(hidden, hiddenMask));
        return (parts.Count == 1 ? parts[0] : cat(parts, -1)).transpose(0, 1);
    }
}
