// BpeLearner: learns byte-level BPE merges from raw text (our own implementation, GPT-2 alphabet and pre-tokenizer).
// Guarantees: deterministic (ties broken by the smaller (left id, right id) pair, independent of hash order);
// merges are learned on unique pre-token counts with incremental pair-count updates and a lazy max-heap, so the
// cost per merge is proportional to the words that contain the merged pair, not to the corpus.
using System.Text;

namespace Seq2SeqRev.Model.Tokenization;

public sealed class BpeLearner
{
    private readonly Dictionary<string, long> _wordCounts = new(StringComparer.Ordinal);

    /// <param name="maxTokens">Size of the model vocabulary to reach: 256 byte symbols + merged tokens.</param>
    /// <param name="minFrequency">Stop when the most frequent pair occurs fewer times than this.</param>
    public BpeLearner(int maxTokens, int minFrequency = 2)
    {
        if (maxTokens < 256) throw new ArgumentOutOfRangeException(nameof(maxTokens), "must be at least 256");
        if (minFrequency < 1) throw new ArgumentOutOfRangeException(nameof(minFrequency), "must be at least 1");
        MaxTokens = maxTokens;
        MinFrequency = minFrequency;
    }

    public int MaxTokens { get; }
    public int MinFrequency { get; }

    public void Add(string text)
    {
        foreach (var piece in ByteLevel.PreTokenize(text))
            _wordCounts[piece] = _wordCounts.GetValueOrDefault(piece) + 1;
    }

    public void AddRange(IEnumerable<string> lines)
    {
        foreach (var line in lines) Add(line);
    }

    public BpeModel Learn()
    {
        var tokens = new List<string>(MaxTokens);
        var tokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            tokens.Add(ByteLevel.ByteToChar[b].ToString());
            tokenIds[tokens[b]] = b;
        }
        var merges = new List<BpeMerge>();

        // Unique words in a fixed (ordinal) order so everything downstream is deterministic.
        var words = _wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        var symbols = new int[words.Length][];
        var lengths = new int[words.Length];
        var freqs = new long[words.Length];
        var pairCounts = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, List<int>>();
        for (int w = 0; w < words.Length; w++)
        {
            var bytes = Encoding.UTF8.GetBytes(words[w].Key);
            symbols[w] = bytes.Select(b => (int)b).ToArray();
            lengths[w] = bytes.Length;
            freqs[w] = words[w].Value;
            for (int i = 0; i + 1 < bytes.Length; i++)
            {
                long key = Key(bytes[i], bytes[i + 1]);
                pairCounts[key] = pairCounts.GetValueOrDefault(key) + freqs[w];
                AddWord(pairWords, key, w);
            }
        }

        var heap = new PriorityQueue<long, (long Count, long Key)>(Comparer<(long Count, long Key)>.Create(
            (x, y) => x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Key.CompareTo(y.Key)));
        foreach (var (key, count) in pairCounts) heap.Enqueue(key, (count, key));

        var lastVisit = new int[words.Length];
        Array.Fill(lastVisit, -1);
        var changed = new HashSet<long>();
        while (tokens.Count < MaxTokens && heap.TryDequeue(out long best, out var prio))
        {
            if (!pairCounts.TryGetValue(best, out long current) || current != prio.Count) continue; // stale entry
            if (current < MinFrequency) break;

            int left = (int)(best >> 32), right = (int)(best & 0xFFFFFFFF);
            string merged = tokens[left] + tokens[right];
            if (!tokenIds.TryGetValue(merged, out int newId))
            {
                newId = tokens.Count;
                tokens.Add(merged);
                tokenIds[merged] = newId;
            }
            merges.Add(new BpeMerge(tokens[left], tokens[right]));

            changed.Clear();
            int stamp = merges.Count;
            foreach (int w in pairWords[best])
            {
                if (lastVisit[w] == stamp) continue;
                lastVisit[w] = stamp;
                MergeInWord(w, left, right, newId);
            }
            pairCounts.Remove(best);
            pairWords.Remove(best);
            foreach (long key in changed)
                if (pairCounts.TryGetValue(key, out long c) && c > 0) heap.Enqueue(key, (c, key));
        }
        return new BpeModel(tokens, merges);

        void MergeInWord(int w, int left, int right, int newId)
        {
            var s = symbols[w];
            int n = lengths[w];
            bool found = false;
            for (int i = 0; i + 1 < n && !found; i++) found = s[i] == left && s[i + 1] == right;
            if (!found) return;

            long f = freqs[w];
            for (int i = 0; i + 1 < n; i++) Bump(Key(s[i], s[i + 1]), -f);
            int o = 0;
            for (int i = 0; i < n; i++)
            {
                if (i + 1 < n && s[i] == left && s[i + 1] == right) { s[o++] = newId; i++; }
                else s[o++] = s[i];
            }
            lengths[w] = o;
            for (int i = 0; i + 1 < o; i++)
            {
                long key = Key(s[i], s[i + 1]);
                Bump(key, f);
                if (s[i] == newId || s[i + 1] == newId) AddWord(pairWords, key, w);
            }
        }

        void Bump(long key, long delta)
        {
            long c = pairCounts.GetValueOrDefault(key) + delta;
            if (c == 0) pairCounts.Remove(key); else pairCounts[key] = c;
            changed.Add(key);
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static void AddWord(Dictionary<long, List<int>> pairWords, long key, int w)
    {
        if (!pairWords.TryGetValue(key, out var list)) pairWords[key] = list = new List<int>();
        if (list.Count == 0 || list[^1] != w) list.Add(w);
    }
}
