// DropoutMasks: one batch's locked dropout masks for encoder and decoder ([B, dim], reused at every step and in every
// pass). Guarantees: drawn from torch's global RNG in a fixed order — encoder embedding, encoder layers 1.., decoder
// embedding, decoder layers 1.., decoder output, memory bank (hidden columns) — so two runs with one seed get identical
// masks; scaled by 1/(1 − p); none in eval mode or where p = 0.
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed record DropoutMasks(SequenceDropout Encoder, SequenceDropout Decoder)
{
    /// <summary>Frees every mask (for a gradient method that holds compact copies).</summary>
    public void DisposeTensors()
    {
        foreach (var t in new[] { Encoder.Embedding, Encoder.Top, Decoder.Embedding, Decoder.Top }
                     .Concat(Encoder.Layers).Concat(Decoder.Layers))
            t?.Dispose();
    }

    public static readonly DropoutMasks None = new(SequenceDropout.None, SequenceDropout.None);

    /// <summary>Draws the masks in the fixed order (see the file header).</summary>
    public static DropoutMasks Draw(bool training, int batch, int embedding, int hidden, int layers,
        double pEmbedding, double pHidden, double pOutput, int bankColumns, double pBank)
    {
        if (!training) return None;
        Tensor? Layer(int l) => l == 0 ? null : Locked(batch, hidden, pHidden);
        var encEmb = Locked(batch, embedding, pEmbedding);
        var encLayers = Enumerable.Range(0, layers).Select(Layer).ToArray();
        var decEmb = Locked(batch, embedding, pEmbedding);
        var decLayers = Enumerable.Range(0, layers).Select(Layer).ToArray();
        var output = Locked(batch, hidden, pOutput);
        var bank = bankColumns > 0 ? Locked(batch, bankColumns, pBank) : null;
        return new DropoutMasks(new SequenceDropout(encEmb, encLayers, bank), new SequenceDropout(decEmb, decLayers, output));
    }

    /// <summary>Bernoulli(1 − p) mask [B, dim] scaled by 1/(1 − p); null when p = 0.</summary>
    public static Tensor? Locked(int batch, int dim, double p)
    {
        if (p <= 0) return null;
        if (p >= 1) throw new ArgumentException($"dropout must be < 1, got {p}");
        using var keep = (1 - p).ToScalar();
        // The draw and the comparison are freed at once, not left to the caller's scope: training by reversal frees the
        // masks after its forward pass, and these would have outlived them (AliveBytesTests).
        using var draw = rand(batch, dim);
        using var kept = draw.lt(keep);
        return kept.to(ScalarType.Float32).div_(keep);
    }
}
