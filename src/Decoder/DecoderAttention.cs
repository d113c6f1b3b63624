// DecoderAttention: how every decoder turns its top outputs into attentional vectors — Luong attention over the
// encoder's memory bank, written once for the baseline and the reversible decoder.
// Guarantees: no input feeding (the recurrence never sees these vectors); queries are the top outputs with the output
// mask already applied; the same GlobalAttention forward in training, reversal and search.
using Seq2SeqRev.Attention;
using static TorchSharp.torch;

namespace Seq2SeqRev.Decoders;

/// <summary>A decoder that attends over a memory bank with its own <see cref="GlobalAttention"/>.</summary>
public interface IAttentionalDecoder
{
    GlobalAttention Attention { get; }
}

public static class DecoderAttention
{
    /// <summary>Attentional vectors [B, T, H] of queries [B, T, H] (top outputs, output mask already applied).</summary>
    public static Tensor Attend(this IAttentionalDecoder decoder, Tensor queries, Tensor bank, Tensor srcMask) =>
        decoder.Attention.forward(queries, bank, srcMask);

    /// <summary><see cref="Attend"/>, and the attention weights [B, T, S] behind each vector.</summary>
    public static (Tensor Attentional, Tensor Weights) AttendWithWeights(this IAttentionalDecoder decoder, Tensor queries,
        Tensor bank, Tensor srcMask) => decoder.Attention.ForwardWithWeights(queries, bank, srcMask);
}
