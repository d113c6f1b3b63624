// Shared handling of reference streams for BLEU and chrF. Guarantees: every stream has exactly as
// many lines as the hypotheses (else ArgumentException); per segment, null references are dropped
// and "" is kept; a segment left with no reference throws ArgumentException naming its index.
namespace Seq2SeqRev.Scoring;

internal static class ReferenceStreams
{
    public static void Check(IReadOnlyList<string> hyps, IReadOnlyList<IReadOnlyList<string?>> refStreams)
    {
        if (refStreams.Count == 0) throw new ArgumentException("at least one reference stream is required", nameof(refStreams));
        for (var k = 0; k < refStreams.Count; k++)
        {
            if (refStreams[k].Count != hyps.Count)
            {
                throw new ArgumentException(
                    $"reference stream {k} has {refStreams[k].Count} segments but there are {hyps.Count} hypotheses",
                    nameof(refStreams));
            }
        }
    }

    /// <summary>The non-null references of segment <paramref name="index"/>, in stream order.</summary>
    public static List<string> Segment(IReadOnlyList<IReadOnlyList<string?>> refStreams, int index)
    {
        var refs = new List<string>(refStreams.Count);
        foreach (var stream in refStreams)
        {
            if (stream[index] is { } r) refs.Add(r);
        }
        if (refs.Count == 0) throw new ArgumentException($"segment {index} has no reference (all are null)", nameof(refStreams));
        return refs;
    }
}
