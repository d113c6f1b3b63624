// SequenceDropout: one batch's locked dropout masks of one side of the model, encoder or decoder ([B, dim] each, drawn
// once per batch and reused at every step and in every pass; null = none).
// Guarantees: the same three places on both sides — the embeddings, the input of every layer (index = layer; layer 0 has
// none) and the top layer's output where attention reads it (encoder: the bank's hidden columns; decoder: the queries).
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <param name="Embedding">The mask on the embeddings [B, E].</param>
/// <param name="Layers">The mask on the input of every layer (index = layer; layer 0 has none).</param>
/// <param name="Top">The mask on the top output where attention reads it: the encoder's bank hidden columns [B, k], the
/// decoder's queries [B, H].</param>
public sealed record SequenceDropout(Tensor? Embedding, IReadOnlyList<Tensor?> Layers, Tensor? Top)
{
    /// <summary>No dropout anywhere (eval mode, or every p = 0).</summary>
    public static readonly SequenceDropout None = new(null, [], null);
}
