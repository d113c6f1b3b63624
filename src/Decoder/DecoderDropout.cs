// DecoderDropout: one batch's locked dropout masks of a decoder ([B, dim] each, drawn once per batch and reused at
// every step and in every pass; null = none): on the embeddings, on the input of every layer (index = layer;
// layer 0 has none) and on the top output before attention.
using static TorchSharp.torch;

namespace Seq2SeqRev.Decoder;

public sealed record DecoderDropout(Tensor? Embedding, IReadOnlyList<Tensor?> Layers, Tensor? Output)
{
    public static readonly DecoderDropout None = new(null, [], null);
}
