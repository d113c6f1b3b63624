// BeamSearch: batched beam search against an IStepDecoder.
// Guarantees: all beams of all unfinished sentences advance in one Step call per time step; a finished sentence
// is dropped from the state (Select), so work shrinks; the search of each sentence depends only on its own rows,
// so results do not depend on batching when the model is row-independent; BeamSize 1 with alpha 0 equals
// GreedySearch; n-best lists are sorted by score descending; no native tensor outlives the call.
//
// Per step and sentence (k = BeamSize): the top 2k candidates (prefix log-prob + token log-prob) are scanned in
// order. EOS candidates ranked < k finish (length counted = tokens + 1 for the EOS). The first k non-EOS candidates
// stay active. At the sentence's max length the top k candidates finish as they are (forced end, length = tokens).
// Finished hypotheses are kept sorted, at most k. A sentence stops when it has k finished hypotheses and the
// best active one cannot beat the worst of them: its log-prob can only fall, and lp(length) <= lp(max length) for
// alpha >= 0, so the bound logProb / lp(maxLength) is safe (for alpha = 0 it is just the log-prob).
// With KeepAttention, every kept or finished candidate takes its parent row's attention weights of that step along
// with its token (row selection carries them), so a hypothesis holds exactly the weights its own steps used.
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model.Search;

public static class BeamSearch
{
    /// <summary>
    /// Translates every source; returns, per source in order, up to <see cref="SearchOptions.NBest"/> hypotheses
    /// sorted by score descending (at least one). Throws <see cref="ArgumentException"/> for invalid options.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<Hypothesis>> Translate(IStepDecoder model, IReadOnlyList<int[]> sources, SearchOptions options)
    {
        SearchSupport.CheckArguments(model, sources, options);
        if (sources.Count == 0) return [];
        int k = options.BeamSize;
        var beams = sources.Select(s => new SentenceBeam(k, options.MaxOutputLength(s.Length), options)).ToArray();
        var active = Enumerable.Range(0, sources.Count).ToList(); // sentence active[a] owns rows [a*width, (a+1)*width)
        int width = 1;                                            // rows per sentence: 1 at the first step, k after

        SearchSupport.StepAndShrink(model, sources, options.MinLength, options.KeepAttention, (step, masked, weights) =>
        {
            long vocab = masked.shape[1];
            var device = masked.device;
            var prefixScores = active.SelectMany(a => beams[a].Scores).ToArray();
            using var prefix = tensor(prefixScores, device: device).view(active.Count, width, 1);
            using var candidates = masked.view(active.Count, width, vocab).add(prefix, Scalars.UnitAlpha).view(active.Count, width * vocab);
            int count = (int)Math.Min(2L * k, width * vocab);
            var (values, indices) = candidates.topk(count, dim: 1);
            var candidateScores = values.data<double>().ToArray();
            var candidateIds = indices.data<long>().ToArray();

            var keepRows = new List<long>();
            var keepTokens = new List<long>();
            var keepSentences = new List<int>();
            for (int a = 0; a < active.Count; a++)
            {
                var beam = beams[active[a]];
                var span = new Candidates(candidateScores, candidateIds, a * count, count, vocab);
                var rows = weights is null ? null : new ParentAttention(weights, a * width, StepAttention.SourceLength(sources[active[a]]));
                if (beam.Advance(span, step, model.EosId, rows) is not { } parents) continue; // sentence finished
                keepSentences.Add(active[a]);
                foreach (var (parent, token) in parents)
                {
                    keepRows.Add((long)a * width + parent);
                    keepTokens.Add(token);
                }
            }
            active = keepSentences;
            width = k;
            return new Continuation([.. keepRows], [.. keepTokens]);
        });
        return beams.Select(b => b.NBest(options.NBest)).ToArray();
    }

    /// <summary>One sentence's attention weights of this step: those of its parent row <c>p</c> are row
    /// <c>FirstRow + p</c> of the step, over the sentence's own source length.</summary>
    internal sealed record ParentAttention(StepAttention Step, int FirstRow, int SourceLength)
    {
        public float[] Of(int parent) => Step.Row(FirstRow + parent, SourceLength);
    }

    /// <summary>The sorted top candidates of one sentence: flat index = parentRow * vocab + token.</summary>
    internal readonly record struct Candidates(double[] Scores, long[] Ids, int Offset, int Count, long Vocab)
    {
        public double Score(int j) => Scores[Offset + j];
        public int Parent(int j) => (int)(Ids[Offset + j] / Vocab);
        public int Token(int j) => (int)(Ids[Offset + j] % Vocab);
    }
}
