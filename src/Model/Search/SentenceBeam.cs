// SentenceBeam: the beam of one sentence (active prefixes and finished hypotheses) during BeamSearch.
// Guarantees: after the first step there are exactly k active rows (missing ones are padded with -inf score so
// they can never produce a candidate); finished hypotheses stay sorted by score descending (ties: first found
// first), at most k; every sentence ends with at least one finished hypothesis; given the step's attention, a kept
// prefix and a finished hypothesis hold the attention rows of the steps that produced their tokens (and the EOS).
namespace Seq2SeqRev.Model.Search;

internal sealed class SentenceBeam
{
    private readonly int _k;
    private readonly int _maxLength;
    private readonly SearchOptions _options;
    private readonly List<Hypothesis> _finished = new();
    private Prefix?[] _prefixes = [null];   // null = empty prefix (or padding row)
    private double[] _scores = [0.0];       // cumulative log-prob per row; -inf marks padding

    public SentenceBeam(int k, int maxLength, SearchOptions options)
    {
        _k = k;
        _maxLength = maxLength;
        _options = options;
    }

    /// <summary>Cumulative log-probability of each active row.</summary>
    public IReadOnlyList<double> Scores => _scores;

    /// <summary>
    /// Consumes this step's sorted candidates. Returns the (parent row, token) of the k rows to keep, or null when
    /// the sentence is finished. <paramref name="step"/> = tokens produced so far by every active row.
    /// </summary>
    public List<(int Parent, long Token)>? Advance(BeamSearch.Candidates candidates, int step, int eosId,
        BeamSearch.ParentAttention? attention = null)
    {
        bool lastStep = step + 1 >= _maxLength;
        var keep = new List<(int Parent, long Token, double Score, Prefix Prefix)>(_k);
        for (int j = 0; j < candidates.Count; j++)
        {
            double score = candidates.Score(j);
            if (!(score > double.NegativeInfinity)) continue; // masked, padding row, or NaN
            int parent = candidates.Parent(j);
            int token = candidates.Token(j);
            if (token == eosId)
            {
                if (j < _k) AddFinished(Prefix.ToArray(_prefixes[parent]), score, step + 1, Prefix.Attention(_prefixes[parent], attention?.Of(parent)));
            }
            else if (lastStep)
            {
                if (j < _k) AddFinished([.. Prefix.ToArray(_prefixes[parent]), token], score, step + 1,
                    Prefix.Attention(_prefixes[parent], attention?.Of(parent)));
            }
            else if (keep.Count < _k)
            {
                keep.Add((parent, token, score, new Prefix(token, _prefixes[parent], attention?.Of(parent))));
            }
            if (j + 1 >= _k && (lastStep || keep.Count == _k)) break;
        }

        if (keep.Count == 0)
        {
            if (_finished.Count == 0) FinishActiveAsIs(step); // no allowed continuation at all
            return null;
        }
        if (lastStep) return null;
        if (_finished.Count >= _k)
        {
            double bound = keep[0].Score / _options.LengthPenalty(_maxLength);
            if (bound <= _finished[^1].Score) return null;
        }

        var first = keep[0];
        _prefixes = new Prefix?[_k];
        _scores = new double[_k];
        var rows = new List<(int, long)>(_k);
        for (int i = 0; i < _k; i++)
        {
            var row = i < keep.Count ? keep[i] : first with { Score = double.NegativeInfinity };
            _prefixes[i] = row.Prefix;
            _scores[i] = row.Score;
            rows.Add((row.Parent, row.Token));
        }
        return rows;
    }

    /// <summary>The best <paramref name="n"/> finished hypotheses, score descending.</summary>
    public IReadOnlyList<Hypothesis> NBest(int n) => _finished.Take(n).ToArray();

    private void FinishActiveAsIs(int step)
    {
        for (int i = 0; i < _scores.Length; i++)
            if (_scores[i] > double.NegativeInfinity)
                AddFinished(Prefix.ToArray(_prefixes[i]), _scores[i], step, Prefix.Attention(_prefixes[i], null));
    }

    private void AddFinished(int[] tokens, double logProb, int countedLength, float[][]? attention)
    {
        var hypothesis = new Hypothesis(tokens, logProb / _options.LengthPenalty(countedLength), logProb) { Attention = attention };
        int at = _finished.FindIndex(h => h.Score < hypothesis.Score);
        if (at < 0) at = _finished.Count;
        if (at >= _k) return;
        _finished.Insert(at, hypothesis);
        if (_finished.Count > _k) _finished.RemoveAt(_finished.Count - 1);
    }

    /// <summary>Immutable linked list of produced tokens (shared between beams), each with the attention weights of
    /// the step that produced it (null when not kept).</summary>
    private sealed class Prefix(int token, Prefix? parent, float[]? attention)
    {
        public int Token { get; } = token;
        public Prefix? Parent { get; } = parent;
        public float[]? Weights { get; } = attention;
        public int Length { get; } = (parent?.Length ?? 0) + 1;

        public static int[] ToArray(Prefix? prefix)
        {
            var tokens = new int[prefix?.Length ?? 0];
            for (var p = prefix; p is not null; p = p.Parent) tokens[p.Length - 1] = p.Token;
            return tokens;
        }

        /// <summary>The attention rows of <paramref name="prefix"/>'s tokens, then <paramref name="last"/> (the step
        /// that ends it) if given; null when attention is not kept.</summary>
        public static float[][]? Attention(Prefix? prefix, float[]? last)
        {
            if (last is null && prefix?.Weights is null) return null;
            var rows = new float[(prefix?.Length ?? 0) + (last is null ? 0 : 1)][];
            if (last is not null) rows[^1] = last;
            for (var p = prefix; p is not null; p = p.Parent) rows[p.Length - 1] = p.Weights!;
            return rows;
        }
    }
}
