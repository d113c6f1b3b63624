// sacreBLEU 2.6.0 chrF and chrF++. Guarantees: optional Python lowercasing only (no tokenizer);
// character n-grams over code points with all whitespace removed unless Whitespace; chrF++ word
// n-grams after splitting one ASCII punctuation mark off each word (trailing first); per segment
// the reference with the strictly best sentence F wins (first on a tie); statistics are summed
// over the corpus; the F-score uses sacreBLEU's effective-order average or eps smoothing.
namespace Seq2SeqRev.Scoring;

/// <summary>sacreBLEU-compatible chrF / chrF++.</summary>
public static class Chrf
{
    private const double Eps = 1e-16;
    private const string Puncts = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>Corpus chrF; <paramref name="refStreams"/>[k][i] is the k-th reference of hypothesis i.</summary>
    public static ChrfScore CorpusScore(
        IReadOnlyList<string> hyps, IReadOnlyList<IReadOnlyList<string?>> refStreams, ChrfOptions? options = null)
    {
        options ??= ChrfOptions.Default;
        options.Validate();
        ReferenceStreams.Check(hyps, refStreams);
        var order = options.CharOrder + options.WordOrder;
        var sums = new long[3 * order];
        var refCounts = new SortedSet<int>();
        for (var i = 0; i < hyps.Count; i++)
        {
            var refs = ReferenceStreams.Segment(refStreams, i);
            refCounts.Add(refs.Count);
            var best = SegmentStatistics(hyps[i], refs, options);
            for (var j = 0; j < sums.Length; j++) sums[j] += best[j];
        }
        var nrefs = refCounts.Count switch
        {
            0 => refStreams.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            1 => refCounts.Min.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "var",
        };
        return new ChrfScore(FScore(sums, options), options.Beta, options.WordOrder, sums, SignatureFields(nrefs, options));
    }

    /// <summary>Sentence chrF of one hypothesis against its references (nulls dropped).</summary>
    public static ChrfScore SentenceScore(string hyp, IReadOnlyList<string?> refs, ChrfOptions? options = null)
    {
        var streams = refs.Select(r => (IReadOnlyList<string?>)new[] { r }).ToArray();
        return CorpusScore([hyp], streams, options);
    }

    /// <summary>The signature fields sacreBLEU prints for these options and reference count.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> SignatureFields(string nrefs, ChrfOptions options) =>
    [
        new("nrefs", nrefs),
        new("case", options.Lowercase ? "lc" : "mixed"),
        new("eff", ScoreFormatting.YesNo(!options.EpsSmoothing)),
        new("nc", options.CharOrder.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("nw", options.WordOrder.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("space", ScoreFormatting.YesNo(options.Whitespace)),
        new("version", ScoreFormatting.SacreBleuVersion),
    ];

    private static long[] SegmentStatistics(string hyp, List<string> refs, ChrfOptions options)
    {
        var hypNgrams = Ngrams(hyp, options);
        long[] best = [];
        var bestF = -1.0;
        foreach (var reference in refs)
        {
            var refNgrams = Ngrams(reference, options);
            var stats = new long[3 * hypNgrams.Count];
            for (var o = 0; o < hypNgrams.Count; o++)
            {
                long hypCount = 0, match = 0;
                foreach (var (gram, count) in hypNgrams[o])
                {
                    hypCount += count;
                    if (refNgrams[o].TryGetValue(gram, out var refCount)) match += Math.Min(count, refCount);
                }
                var refTotal = refNgrams[o].Values.Sum(c => (long)c);
                stats[3 * o] = refNgrams[o].Count > 0 ? hypCount : 0;
                stats[3 * o + 1] = refTotal;
                stats[3 * o + 2] = match;
            }
            var f = FScore(stats, options);
            if (f > bestF)
            {
                bestF = f;
                best = stats;
            }
        }
        return best;
    }

    /// <summary>Character n-gram counters for orders 1..CharOrder, then word n-grams 1..WordOrder.</summary>
    private static List<Dictionary<string, int>> Ngrams(string line, ChrfOptions options)
    {
        if (options.Lowercase) line = PythonText.Lower(line);
        var result = new List<Dictionary<string, int>>(options.CharOrder + options.WordOrder);
        var chars = PythonText.CodePoints(options.Whitespace ? line : PythonText.RemoveWhitespace(line))
            .Select(r => r.ToString()).ToArray();
        for (var n = 1; n <= options.CharOrder; n++) result.Add(Count(chars, n, ""));
        if (options.WordOrder > 0)
        {
            var words = SplitPunctuation(line).ToArray();
            for (var n = 1; n <= options.WordOrder; n++) result.Add(Count(words, n, " "));
        }
        return result;
    }

    private static Dictionary<string, int> Count(string[] units, int n, string separator)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= units.Length; i++)
        {
            var gram = n == 1 ? units[i] : string.Join(separator, units, i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }

    /// <summary>chrF++ word splitting: one ASCII punctuation mark off the end, else off the start.</summary>
    private static IEnumerable<string> SplitPunctuation(string line)
    {
        foreach (var word in PythonText.Split(line))
        {
            if (PythonText.CodePointLength(word) == 1)
            {
                yield return word;
            }
            else if (Puncts.Contains(word[^1]))
            {
                yield return word[..^1];
                yield return word[^1..];
            }
            else if (Puncts.Contains(word[0]))
            {
                yield return word[..1];
                yield return word[1..];
            }
            else
            {
                yield return word;
            }
        }
    }

    private static double FScore(IReadOnlyList<long> stats, ChrfOptions options)
    {
        var order = stats.Count / 3;
        double factor = options.Beta * options.Beta;
        double score = 0, avgPrec = 0, avgRec = 0;
        var effectiveOrder = 0;
        for (var i = 0; i < order; i++)
        {
            long nHyp = stats[3 * i], nRef = stats[3 * i + 1], nMatch = stats[3 * i + 2];
            var prec = nHyp > 0 ? (double)nMatch / nHyp : Eps;
            var rec = nRef > 0 ? (double)nMatch / nRef : Eps;
            var denom = factor * prec + rec;
            score += denom > 0 ? (1 + factor) * prec * rec / denom : Eps;
            if (nHyp > 0 && nRef > 0)
            {
                avgPrec += prec;
                avgRec += rec;
                effectiveOrder++;
            }
        }
        if (options.EpsSmoothing) return 100 * score / order;
        if (effectiveOrder == 0) return 0.0;
        avgPrec /= effectiveOrder;
        avgRec /= effectiveOrder;
        if (avgPrec + avgRec == 0) return 0.0;
        return 100 * ((1 + factor) * avgPrec * avgRec / (factor * avgPrec + avgRec));
    }
}
