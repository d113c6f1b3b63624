// LockedDropout: the one place locked dropout masks are applied (and the embedding lookup and its backward).
// Guarantees: the forward, reverse and recompute passes apply a mask identically; a null mask is no dropout.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// Applying locked dropout masks (one [B, dim] mask per batch and site, already scaled by 1/(1 − p),
/// reused at every step and in every pass). A null mask means no dropout (eval mode or p = 0). The one
/// place that applies masks, so the forward, reverse and recompute passes apply them identically.
/// </summary>
public static class LockedDropout
{
    /// <summary>x ⊙ mask, or x itself when there is no mask.</summary>
    public static Tensor Apply(Tensor x, Tensor? mask) => mask is null ? x : x.mul(mask);

    /// <summary>Embeddings of <paramref name="ids"/> with an optional mask [B, E] (broadcast over time): the one
    /// embedding lookup of every encoder and decoder, deterministic given ids and mask, so the reverse pass can
    /// recompute a step's input from token ids.</summary>
    public static Tensor Embed(Embedding embedding, Tensor ids, Tensor? mask) => Apply(embedding.forward(ids), mask);

    /// <summary>The backward of <see cref="Embed"/>: adds dL/d(embedding rows) = <paramref name="grad"/> ⊙ mask (shape of
    /// <paramref name="ids"/> + [E]) into the embedding weight's gradient, row by row (index_add_), as autograd's embedding
    /// backward does but without its dense [V, E] temporary per call (the weight's gradient is created when missing).</summary>
    public static void EmbedBackward(Embedding embedding, Tensor ids, Tensor? mask, Tensor grad)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weight = embedding.weight ?? throw new InvalidOperationException("embedding without weight");
        if (weight.grad is null) weight.grad = zeros_like(weight);
        var g = Apply(grad, mask);
        weight.grad.index_add_(0, ids.reshape(-1), g.reshape(-1, weight.shape[1]), Scalars.UnitAlpha);
    }

    /// <summary>The mask for the input of <paramref name="layer"/> from a per-layer list (index = layer;
    /// missing or null entries mean none).</summary>
    public static Tensor? ForLayer(IReadOnlyList<Tensor?>? masks, int layer) =>
        masks is not null && layer < masks.Count ? masks[layer] : null;
}
