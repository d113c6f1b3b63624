// GreedySearch: batched arg-max decoding against an IStepDecoder.
// Guarantees: one Step call per time step for all unfinished sentences (finished ones are dropped from the state);
// results are independent of batching when the model is row-independent; identical to BeamSearch with
// BeamSize 1 and LengthPenaltyAlpha 0 (same masks, same float64 sums); no native tensor outlives the call; with
// KeepAttention, each hypothesis carries the attention row of every step that produced one of its tokens (or its EOS).
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model.Search;

public static class GreedySearch
{
    /// <summary>
    /// Translates every source greedily. Uses MaxLengthRatio, MaxLengthOffset, MinLength, KeepAttention and
    /// LengthPenaltyAlpha (the latter only to compute <see cref="Hypothesis.Score"/>) from <paramref name="options"/>;
    /// BeamSize and NBest are ignored. Returns one hypothesis per source, in source order.
    /// </summary>
    public static IReadOnlyList<Hypothesis> Translate(IStepDecoder model, IReadOnlyList<int[]> sources, SearchOptions? options = null)
    {
        options ??= new SearchOptions(BeamSize: 1);
        SearchSupport.CheckArguments(model, sources, options with { BeamSize = Math.Max(options.BeamSize, options.NBest) });
        var results = new Hypothesis?[sources.Count];
        if (sources.Count == 0) return [];

        var tokens = sources.Select(_ => new List<int>()).ToArray();
        var logProb = new double[sources.Count];
        var maxLength = sources.Select(s => options.MaxOutputLength(s.Length)).ToArray();
        var active = Enumerable.Range(0, sources.Count).ToList(); // row r of the state = sentence active[r]
        var attention = sources.Select(_ => new List<float[]>()).ToArray();
        bool keepAttention = false;

        void Finish(int sentence, int countedLength) =>
            results[sentence] = new Hypothesis(tokens[sentence].ToArray(),
                logProb[sentence] / options.LengthPenalty(countedLength), logProb[sentence])
            { Attention = keepAttention ? attention[sentence].ToArray() : null };

        SearchSupport.StepAndShrink(model, sources, options.MinLength, options.KeepAttention, (step, masked, weights) =>
        {
            keepAttention = weights is not null;
            var (values, indices) = masked.topk(1, dim: 1);
            var best = values.data<double>().ToArray();
            var bestId = indices.data<long>().ToArray();

            var keepRows = new List<long>();
            var keepSentences = new List<int>();
            var keepTokens = new List<long>();
            for (int r = 0; r < active.Count; r++)
            {
                int s = active[r];
                if (!(best[r] > double.NegativeInfinity)) { Finish(s, step); continue; } // nothing allowed: end as is
                logProb[s] += best[r];
                if (weights is not null) attention[s].Add(weights.Row(r, StepAttention.SourceLength(sources[s])));
                if (bestId[r] == model.EosId) { Finish(s, step + 1); continue; }
                tokens[s].Add((int)bestId[r]);
                if (step + 1 >= maxLength[s]) { Finish(s, step + 1); continue; } // forced end, no EOS counted
                keepRows.Add(r); keepSentences.Add(s); keepTokens.Add(bestId[r]);
            }
            active = keepSentences;
            return new Continuation([.. keepRows], [.. keepTokens]);
        });
        return results.Select(h => h!).ToArray();
    }
}
