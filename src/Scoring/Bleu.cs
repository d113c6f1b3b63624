// sacreBLEU 2.6.0 BLEU. Guarantees: per segment, lowercase → rstrip → tokenize → Python split;
// n-gram counts clipped by the maximum count over the segment's references; reference length is
// the closest one (shorter on a tie); a null reference is dropped, "" is kept; scores, precisions,
// brevity penalty and the add-k/exp/floor/none quirks follow sacreBLEU's compute_bleu exactly.
// Unlike sacreBLEU's API (which truncates silently), streams of different lengths throw.
namespace Seq2SeqRev.Scoring;

/// <summary>sacreBLEU-compatible BLEU: corpus, sentence and from-statistics scoring.</summary>
public static class Bleu
{
    // sacreBLEU's my_log(0): a finite stand-in for log(0) so that any zero precision gives 0.
    private const double LogZero = -9999999999.0;

    /// <summary>Corpus BLEU; <paramref name="refStreams"/>[k][i] is the k-th reference of hypothesis i.</summary>
    public static BleuScore CorpusScore(
        IReadOnlyList<string> hyps, IReadOnlyList<IReadOnlyList<string?>> refStreams, BleuOptions? options = null)
    {
        options ??= BleuOptions.Default;
        return Compute(CorpusStatistics(hyps, refStreams, options), options);
    }

    /// <summary>
    /// Sentence BLEU of one hypothesis against its references (nulls dropped). Defaults to
    /// <see cref="BleuOptions.SentenceDefault"/> (effective order), as sacreBLEU's sentence_bleu().
    /// </summary>
    public static BleuScore SentenceScore(string hyp, IReadOnlyList<string?> refs, BleuOptions? options = null)
    {
        options ??= BleuOptions.SentenceDefault;
        var streams = refs.Select(r => (IReadOnlyList<string?>)new[] { r }).ToArray();
        return Compute(CorpusStatistics([hyp], streams, options), options);
    }

    /// <summary>Summed segment statistics of a corpus.</summary>
    public static BleuStatistics CorpusStatistics(
        IReadOnlyList<string> hyps, IReadOnlyList<IReadOnlyList<string?>> refStreams, BleuOptions options)
    {
        options.Validate();
        ReferenceStreams.Check(hyps, refStreams);
        var tokenizer = ScoringTokenizers.Create(options.Tokenize);
        var n = options.MaxNgramOrder;
        long sysLen = 0, refLen = 0;
        var correct = new long[n];
        var total = new long[n];
        var refCounts = new SortedSet<int>();
        for (var i = 0; i < hyps.Count; i++)
        {
            var refs = ReferenceStreams.Segment(refStreams, i);
            refCounts.Add(refs.Count);
            var hypTokens = Preprocess(hyps[i], tokenizer, options.Lowercase);
            var refTokens = refs.Select(r => Preprocess(r, tokenizer, options.Lowercase)).ToList();
            sysLen += hypTokens.Length;
            refLen += ClosestRefLength(hypTokens.Length, refTokens.Select(t => t.Length));
            for (var order = 1; order <= n; order++)
            {
                var maxRef = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var tokens in refTokens)
                {
                    foreach (var (gram, count) in Ngrams(tokens, order))
                    {
                        if (!maxRef.TryGetValue(gram, out var seen) || count > seen) maxRef[gram] = count;
                    }
                }
                foreach (var (gram, count) in Ngrams(hypTokens, order))
                {
                    if (maxRef.TryGetValue(gram, out var refCount)) correct[order - 1] += Math.Min(count, refCount);
                }
                total[order - 1] += Math.Max(0, hypTokens.Length - order + 1);
            }
        }
        var nrefs = refCounts.Count switch
        {
            0 => refStreams.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            1 => refCounts.Min.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "var",
        };
        return new BleuStatistics(sysLen, refLen, correct, total, nrefs);
    }

    /// <summary>
    /// BLEU from summed statistics (sacreBLEU's compute_bleu). Uses the options' smoothing,
    /// effective order and signature fields; the n-gram order is the statistics' length.
    /// </summary>
    public static BleuScore Compute(BleuStatistics stats, BleuOptions? options = null)
    {
        options ??= BleuOptions.Default;
        var n = stats.MaxNgramOrder;
        var correct = stats.Correct.Select(c => (double)c).ToArray();
        var total = stats.Total.Select(t => (double)t).ToArray();
        var precisions = new double[n];
        var fields = SignatureFields(stats.NRefs, options);

        var bp = 1.0;
        if (stats.SysLen < stats.RefLen) bp = stats.SysLen > 0 ? Math.Exp(1.0 - (double)stats.RefLen / stats.SysLen) : 0.0;
        if (correct.All(c => c == 0))
        {
            return new BleuScore(0.0, correct, total, precisions, bp, stats.SysLen, stats.RefLen, fields);
        }

        var smoothValue = options.Smooth.EffectiveValue(options.SmoothValue);
        var smoothMteval = 1.0;
        var effectiveOrder = n;
        for (var i = 0; i < n; i++)
        {
            if (options.Smooth == SmoothMethod.AddK && i > 0)
            {
                correct[i] += smoothValue!.Value;
                total[i] += smoothValue.Value;
            }
            if (total[i] == 0) break;
            if (options.EffectiveOrder) effectiveOrder = i + 1;
            if (correct[i] == 0)
            {
                if (options.Smooth == SmoothMethod.Exp)
                {
                    smoothMteval *= 2;
                    precisions[i] = 100.0 / (smoothMteval * total[i]);
                }
                else if (options.Smooth == SmoothMethod.Floor)
                {
                    precisions[i] = 100.0 * smoothValue!.Value / total[i];
                }
            }
            else
            {
                precisions[i] = 100.0 * correct[i] / total[i];
            }
        }

        var logSum = 0.0;
        for (var i = 0; i < effectiveOrder; i++) logSum += precisions[i] == 0 ? LogZero : Math.Log(precisions[i]);
        var score = bp * Math.Exp(logSum / effectiveOrder);
        return new BleuScore(score, correct, total, precisions, bp, stats.SysLen, stats.RefLen, fields);
    }

    /// <summary>The signature fields sacreBLEU prints for these options and reference count.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> SignatureFields(string nrefs, BleuOptions options) =>
    [
        new("nrefs", nrefs),
        new("case", options.Lowercase ? "lc" : "mixed"),
        new("eff", ScoreFormatting.YesNo(options.EffectiveOrder)),
        new("tok", options.Tokenize),
        new("smooth", options.Smooth.SignatureText(options.SmoothValue)),
        new("version", ScoreFormatting.SacreBleuVersion),
    ];

    private static string[] Preprocess(string line, IScoringTokenizer tokenizer, bool lowercase)
    {
        if (lowercase) line = PythonText.Lower(line);
        return PythonText.Split(tokenizer.Tokenize(PythonText.RStrip(line))).ToArray();
    }

    private static int ClosestRefLength(int hypLen, IEnumerable<int> refLens)
    {
        int bestDiff = -1, bestLen = -1;
        foreach (var len in refLens)
        {
            var diff = Math.Abs(hypLen - len);
            if (bestDiff == -1 || diff < bestDiff || (diff == bestDiff && len < bestLen))
            {
                bestDiff = diff;
                bestLen = len;
            }
        }
        return bestLen;
    }

    private static Dictionary<string, int> Ngrams(string[] tokens, int order)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + order <= tokens.Length; i++)
        {
            var gram = order == 1 ? tokens[i] : string.Join(' ', tokens, i, order);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }
}
