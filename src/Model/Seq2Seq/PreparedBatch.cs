// PreparedBatch / DropoutMasks: the tensors of one batch and its locked dropout masks.
// Guarantees: sources are time-major [S, B] padded with 0 (an empty source is encoded as [EOS] so
// attention always has a real position); decoder input = [BOS, y1..yn], target = [y1..yn, EOS]
// (both [T, B], T = longest target + 1), decoder lengths = target lengths + 1; masks are drawn once per
// batch from torch's global RNG in a fixed order (so two runs with the same seed get identical masks),
// scaled by 1/(1-p), and are null in eval mode or when p = 0.
using Seq2SeqRev.Model.Training;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed record PreparedBatch(Tensor Src, Tensor SrcLengths, Tensor SrcMask, Tensor TgtIn, Tensor TgtOut,
    Tensor TgtLengths, int Batch, int SrcSteps, int TgtSteps, long Tokens)
{
    public const int Pad = 0, Unk = 1, Bos = 2, Eos = 3;

    /// <summary>Time-major padded ids [S, B], lengths [B] and the attention mask [B, S] of the sources.</summary>
    public static (Tensor Src, Tensor Lengths, Tensor Mask, int Steps) Sources(IReadOnlyList<int[]> sources)
    {
        var rows = sources.Select(s => s.Length == 0 ? new[] { Eos } : s).ToArray();
        var (ids, lengths, steps) = Pack(rows);
        using var stop = steps.ToScalar();   // arange(steps) would make start 0 and step 1 as temporaries (Scalars)
        var mask = arange(Scalars.Int64(0), stop, Scalars.Int64(1)).unsqueeze(0).lt(lengths.unsqueeze(1));
        return (ids, lengths, mask, steps);
    }

    public static PreparedBatch Create(TrainingBatch batch)
    {
        if (batch.Sources.Count != batch.Targets.Count || batch.Sources.Count == 0)
            throw new ArgumentException($"a batch needs as many targets as sources (got {batch.Sources.Count} and {batch.Targets.Count}), at least one");
        var (src, srcLengths, srcMask, s) = Sources(batch.Sources);
        var (tgtIn, tgtLengths, t) = Pack([.. batch.Targets.Select(y => (int[])[Bos, .. y])]);
        var (tgtOut, _, _) = Pack([.. batch.Targets.Select(y => (int[])[.. y, Eos])]);
        var tokens = batch.Targets.Sum(y => (long)y.Length + 1);
        return new PreparedBatch(src, srcLengths, srcMask, tgtIn, tgtOut, tgtLengths, batch.Sources.Count, s, t, tokens);
    }

    private static (Tensor Ids, Tensor Lengths, int Steps) Pack(IReadOnlyList<int[]> rows)
    {
        var steps = rows.Max(r => r.Length);
        var data = new long[steps * rows.Count];
        for (var b = 0; b < rows.Count; b++)
            for (var i = 0; i < rows[b].Length; i++)
                data[i * rows.Count + b] = rows[b][i];
        return (tensor(data).view(steps, rows.Count), tensor(rows.Select(r => (long)r.Length).ToArray()), steps);
    }
}

/// <summary>One batch's locked dropout masks ([B, dim], reused at every step and in every pass).</summary>
public sealed record DropoutMasks(Tensor? EncoderEmbedding, Tensor?[] EncoderLayers, Tensor? DecoderEmbedding,
    Tensor?[] DecoderLayers, Tensor? Output, Tensor? Bank)
{
    public static readonly DropoutMasks None = new(null, [], null, [], null, null);

    /// <summary>Draws the masks in a fixed order: encoder embedding, encoder layers 1.., decoder embedding,
    /// decoder layers 1.., decoder output, memory bank (hidden/slice part).</summary>
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
        return new DropoutMasks(encEmb, encLayers, decEmb, decLayers, output, bank);
    }

    /// <summary>Bernoulli(1 − p) mask [B, dim] scaled by 1/(1 − p); null when p = 0.</summary>
    public static Tensor? Locked(int batch, int dim, double p)
    {
        if (p <= 0) return null;
        if (p >= 1) throw new ArgumentException($"dropout must be < 1, got {p}");
        using var keep = (1 - p).ToScalar();
        return rand(batch, dim).lt(keep).to(ScalarType.Float32).div_(keep);
    }
}
