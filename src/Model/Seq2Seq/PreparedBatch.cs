// PreparedBatch: the tensors of one batch of sentence pairs.
// Guarantees: sources are time-major [S, B] padded with 0 (an empty source is encoded as [EOS] so attention always has
// a real position); decoder input = [BOS, y1..yn], target = [y1..yn, EOS] (both [T, B], T = longest target + 1),
// decoder lengths = target lengths + 1; Tokens counts the target tokens including EOS. The attention mask is a function
// of the source lengths (SourceMask) and the targets of the decoder inputs and lengths (TargetsFromInputs): what training
// by reversal holds need not include either.
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
        return (ids, lengths, SourceMask(lengths, steps), steps);
    }

    /// <summary>The attention mask [B, S] of sources with <paramref name="lengths"/> (any integer type): position s of
    /// row b is real iff s &lt; length.</summary>
    public static Tensor SourceMask(Tensor lengths, int steps)
    {
        using var stop = steps.ToScalar();   // arange(steps) would make start 0 and step 1 as temporaries (Scalars)
        return arange(Scalars.Int64(0), stop, Scalars.Int64(1)).unsqueeze(0).lt(lengths.to(ScalarType.Int64).unsqueeze(1));
    }

    /// <summary>Rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 of
    /// <see cref="TgtOut"/> [count, B] (int64) from the decoder inputs [T, B] (int64) and the decoder lengths (target
    /// length + 1, any integer type): the input shifted by one step, EOS at each row's last step, padding after.</summary>
    public static Tensor TargetsFromInputs(Tensor tgtIn, Tensor lengths, int first, int count)
    {
        using var scope = NewDisposeScope();
        var steps = (int)tgtIn.shape[0];
        var batch = tgtIn.shape[1];
        var shifted = Math.Min(count, steps - first - 1);
        var next = shifted > 0 ? tgtIn.narrow(0, first + 1, shifted) : empty(0, batch, ScalarType.Int64);
        if (shifted < count) next = cat([next, zeros(count - Math.Max(shifted, 0), batch, ScalarType.Int64)], 0);
        using var start = (first + 1L).ToScalar();
        using var stop = (first + 1L + count).ToScalar();
        var step = arange(start, stop, Scalars.Int64(1)).unsqueeze(1);              // t + 1 for t in the block
        var last = step.eq(lengths.to(ScalarType.Int64).unsqueeze(0));              // t = length − 1
        return next.masked_fill(last, Scalars.Int64(Eos)).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the batch's tensors (its counts stay readable): for a gradient method that holds compact copies.</summary>
    public void DisposeTensors()
    {
        foreach (var t in new[] { Src, SrcLengths, SrcMask, TgtIn, TgtOut, TgtLengths }) t.Dispose();
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
