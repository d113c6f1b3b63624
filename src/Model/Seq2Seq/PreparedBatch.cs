// PreparedBatch: the tensors of one batch of sentence pairs.
// Guarantees: sources are time-major [S, B] padded with 0 (an empty source is encoded as [EOS] so attention always has
// a real position); decoder input = [BOS, y1..yn], target = [y1..yn, EOS] (both [T, B], T = longest target + 1),
// decoder lengths = target lengths + 1; Tokens counts the target tokens including EOS.
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

    /// <summary>The batch of <paramref name="sources"/> and <paramref name="targets"/> (ids without BOS/EOS).</summary>
    public static PreparedBatch Create(IReadOnlyList<int[]> sources, IReadOnlyList<int[]> targets)
    {
        if (sources.Count != targets.Count || sources.Count == 0)
            throw new ArgumentException($"a batch needs as many targets as sources (got {sources.Count} and {targets.Count}), at least one");
        var (src, srcLengths, srcMask, s) = Sources(sources);
        var (tgtIn, tgtLengths, t) = Pack([.. targets.Select(y => (int[])[Bos, .. y])]);
        var (tgtOut, _, _) = Pack([.. targets.Select(y => (int[])[.. y, Eos])]);
        var tokens = targets.Sum(y => (long)y.Length + 1);
        return new PreparedBatch(src, srcLengths, srcMask, tgtIn, tgtOut, tgtLengths, sources.Count, s, t, tokens);
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
