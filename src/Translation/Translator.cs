// Translator: streams text through a LoadedModel. Guarantees: exactly one output line per input line, in input
// order (a blank input line gives an empty line and is not searched); with NBestFormat, each input line i
// (0-based) gives its n-best list as "i ||| translation ||| score" lines, best first (score = GNMT length-
// penalised log-probability, F6), and a blank line gives one "i |||  ||| 0.000000" line. Memory is bounded by
// one chunk of lines (read, sorted by subword length into batches, translated, put back in order, written), so
// input size does not matter. Interactive input (a pipe, terminal or FIFO: LineReader.Interactive) gets an answer per
// line: a chunk ends early when no further line has arrived yet (LineReader.LineWaiting), and every output line is
// flushed as it is written, so a person or a program waiting for a translation gets it before sending the next line;
// input that arrives faster than it is translated still fills whole chunks. Translations do not depend on the batch or
// chunk size (the searches are row-independent). Bad lines never stop the run: invalid UTF-8 is decoded with U+FFFD and a line longer than
// the limit is truncated, each with one warning "<file>:<line>: ..."; translations never contain '\r' or '\n'. With an
// attention callback, the search keeps the attention weights it used for each hypothesis (SearchOptions.KeepAttention)
// and each non-blank line's best one is handed over as an AttentionMap with its source and target token labels.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model.Tokenization;
using Seq2SeqRev.Runs.Data;

namespace Seq2SeqRev.Translation;

/// <summary>What a run did; <see cref="Best"/> holds the best translation of every line when asked for;
/// <see cref="Batches"/> counts the search calls (the non-blank lines were searched in that many batches).</summary>
public sealed record TranslationSummary(long Lines, long Translated, int Warnings, double Seconds, IReadOnlyList<string>? Best,
    long Batches = 0)
{
    public double SentencesPerSecond => Seconds > 0 ? Lines / Seconds : 0;
}

/// <summary>The attention weights behind one line's best translation: <see cref="Weights"/>[i][j] is the weight of
/// source token j when target token i was chosen (one row per target token, and one for the EOS when the translation
/// ended with it; each row sums to 1). Tokens are display labels (SubwordTokenizer.DisplayToken); <see cref="Line"/>
/// is the 1-based input line.</summary>
public sealed record AttentionMap(long Line, IReadOnlyList<string> Source, IReadOnlyList<string> Target, float[][] Weights);

public sealed class Translator
{
    private readonly LoadedModel _loaded;
    private readonly TranslatorOptions _options;
    private readonly int _maxInput;
    private readonly long _cutChars;

    public Translator(LoadedModel loaded, TranslatorOptions options)
    {
        options.Validate();
        _loaded = loaded;
        _options = options;
        _maxInput = options.MaxInputLength ?? loaded.Config.Data.MaxLength;
        // A prefix of c chars encodes to at least c / (longest token) tokens (byte-level tokens cover >= 1 char each),
        // so cutting a huge line at twice the needed length before encoding never changes the kept tokens but the last.
        int longest = Math.Max(1, loaded.Tokenizers.Source.Model.Tokens.Select(t => t.Length).DefaultIfEmpty(1).Max());
        _cutChars = 2L * (_maxInput + 1) * longest + 64;
    }

    public int MaxInputLength => _maxInput;

    /// <param name="warn">Receives each warning as "&lt;file&gt;:&lt;line&gt;: ..." (no "warning:" prefix).</param>
    /// <param name="progress">Called after each chunk with (lines done, fraction of the input file or null).</param>
    /// <param name="attention">Receives, in input order, the attention weights the search used for each non-blank
    /// line's best translation (after the line is written).</param>
    public TranslationSummary Run(LineReader input, TextWriter output, Action<string> warn, bool keepBest = false,
        Action<long, double?>? progress = null, CancellationToken cancel = default, Action<AttentionMap>? attention = null)
    {
        var clock = Stopwatch.StartNew();
        var search = _options.Search with { KeepAttention = attention is not null };
        long batches = 0;
        var best = keepBest ? new List<string>() : null;
        int chunkLines = _options.EffectiveChunkLines, warnings = 0;
        long lines = 0, translated = 0;
        void Warn(string message) { warnings++; warn(message); }
        var chunk = new List<int[]?>(chunkLines);
        while (true)
        {
            chunk.Clear();
            // The first line of a chunk may wait for input; the others are taken only if they have already arrived.
            while (chunk.Count < chunkLines && (chunk.Count == 0 || input.LineWaiting()) && input.ReadLine(out var bytes))
                chunk.Add(Prepare(bytes, input, Warn));
            if (chunk.Count == 0) break;
            var results = TranslateChunk(chunk, search, ref batches, cancel);
            for (int i = 0; i < chunk.Count; i++)
            {
                var nbest = results[i];
                var texts = nbest is null ? [""] : nbest.Select(h => OneLine(_loaded.Tokenizers.Target.Decode(h.Tokens))).ToArray();
                best?.Add(texts[0]);
                if (!_options.NBestFormat) output.WriteLine(texts[0]);
                else
                    for (int k = 0; k < texts.Length; k++)
                    {
                        double score = nbest is null ? 0 : nbest[k].Score;
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{lines + i} ||| {texts[k]} ||| {score:F6}"));
                    }
                if (input.Interactive) output.Flush();
                if (attention is not null && nbest is not null && nbest[0].Attention is { } weights)
                    attention(Map(lines + i + 1, chunk[i]!, nbest[0].Tokens, weights));
            }
            lines += chunk.Count;
            translated += chunk.Count(c => c is not null);
            progress?.Invoke(lines, input.Fraction);
        }
        output.Flush();
        return new TranslationSummary(lines, translated, warnings, clock.Elapsed.TotalSeconds, best, batches);
    }

    private AttentionMap Map(long line, int[] source, int[] target, float[][] weights)
    {
        var tokenizers = _loaded.Tokenizers;
        string[] sourceLabels = source.Length == 0 ? [tokenizers.Source.DisplayToken(SubwordTokenizer.EosId)]
            : [.. source.Select(tokenizers.Source.DisplayToken)];
        string[] targetLabels = [.. target.Select(tokenizers.Target.DisplayToken)];
        if (weights.Length > target.Length) targetLabels = [.. targetLabels, tokenizers.Target.DisplayToken(SubwordTokenizer.EosId)];
        return new AttentionMap(line, sourceLabels, targetLabels, weights);
    }

    /// <summary>Source ids of one line (null = blank line), with the decoding and length warnings.</summary>
    private int[]? Prepare(ReadOnlySpan<byte> bytes, LineReader input, Action<string> warn)
    {
        if (!LineReader.TryDecode(bytes, out var text))
        {
            text = Encoding.UTF8.GetString(bytes); // invalid sequences become U+FFFD
            warn($"{input.Path}:{input.LineNumber}: invalid UTF-8, decoded with replacement characters (U+FFFD)");
        }
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (_loaded.Config.Data.Lowercase) text = text.ToLowerInvariant();
        if (text.Length > _cutChars)
        {
            int cut = (int)_cutChars;
            if (char.IsHighSurrogate(text[cut - 1])) cut--;
            text = text[..cut];
        }
        var ids = _loaded.Tokenizers.Source.Encode(text);
        if (ids.Length <= _maxInput) return ids;
        warn($"{input.Path}:{input.LineNumber}: longer than {_maxInput} subword tokens (the model's input limit); truncated");
        return ids[.._maxInput];
    }

    /// <summary>N-best lists for the non-blank lines of a chunk, searched in batches of similar length.</summary>
    private IReadOnlyList<Hypothesis>?[] TranslateChunk(List<int[]?> chunk, SearchOptions search, ref long batches, CancellationToken cancel)
    {
        var results = new IReadOnlyList<Hypothesis>?[chunk.Count];
        var order = Enumerable.Range(0, chunk.Count).Where(i => chunk[i] is not null)
            .OrderByDescending(i => chunk[i]!.Length).ToArray(); // stable: equal lengths keep input order
        for (int start = 0; start < order.Length; start += _options.BatchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var rows = order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start)).ToArray();
            var nbest = SentenceDecoder.Search(_loaded.Model, rows.Select(i => chunk[i]!).ToArray(), search);
            batches++;
            for (int r = 0; r < rows.Length; r++) results[rows[r]] = nbest[r];
        }
        return results;
    }

    private static string OneLine(string text) =>
        text.AsSpan().IndexOfAny('\r', '\n') < 0 ? text : text.Replace("\r\n", " ").Replace('\r', ' ').Replace('\n', ' ');
}
