// The `score` command's testable core. Guarantees: reads the hypothesis (file or stdin) and every
// reference file, checks that all have the same line count, scores with BLEU or chrF, and writes
// one sacreBLEU text line or sacreBLEU's JSON to stdout, returning 0. Every input problem (bad
// option value, missing file, invalid UTF-8, line-count mismatch) throws UserError.
using System.Globalization;
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Scoring;

/// <summary>Runs one scoring request without a process, for the CLI and for tests.</summary>
public static class ScoreRunner
{
    public const string StdinName = "<stdin>";

    public static int Execute(ScoreOptions options, Stream stdin, TextWriter stdout)
    {
        var score = Score(options, stdin);
        stdout.WriteLine(options.Json ? score.ToJson(options.Width) : score.FormatLine(options.Width));
        return 0;
    }

    /// <summary>Reads the inputs and computes the requested metric.</summary>
    public static MetricScore Score(ScoreOptions options, Stream stdin)
    {
        if (options.Width < 0) throw new UserError($"--width must be >= 0, got {options.Width.ToString(CultureInfo.InvariantCulture)}");
        if (options.ChrfWordOrder < 0) throw new UserError("--chrf-word-order must be >= 0");
        if (options.SmoothValue is { } v && (!double.IsFinite(v) || v < 0)) throw new UserError("--smooth-value must be a finite number >= 0");
        if (options.RefPaths.Count == 0) throw new UserError("at least one --ref file is required");
        var metric = options.Metric;
        if (metric is not ("bleu" or "chrf")) throw new UserError($"unknown metric '{metric}' (expected bleu or chrf)");

        var hypName = options.HypPath == "-" ? StdinName : options.HypPath;
        var hyps = options.HypPath == "-"
            ? ScoringLineReader.ReadStream(stdin, StdinName)
            : ScoringLineReader.ReadFile(options.HypPath, "hypothesis");
        var refStreams = new List<IReadOnlyList<string?>>();
        foreach (var path in options.RefPaths)
        {
            var refs = ScoringLineReader.ReadFile(path, "reference");
            if (refs.Count != hyps.Count)
            {
                throw new UserError(
                    $"line count mismatch: hypothesis {hypName} has {hyps.Count.ToString(CultureInfo.InvariantCulture)} lines"
                    + $" but reference {path} has {refs.Count.ToString(CultureInfo.InvariantCulture)}");
            }
            refStreams.Add(refs);
        }

        try
        {
            return metric == "bleu"
                ? Bleu.CorpusScore(hyps, refStreams, BleuOptionsFrom(options))
                : Chrf.CorpusScore(hyps, refStreams, new ChrfOptions { Lowercase = options.Lowercase, WordOrder = options.ChrfWordOrder });
        }
        catch (ArgumentException e)
        {
            throw new UserError(e.Message);
        }
    }

    private static BleuOptions BleuOptionsFrom(ScoreOptions o)
    {
        SmoothMethod smooth;
        try
        {
            smooth = SmoothMethods.Parse(o.Smooth);
        }
        catch (ArgumentException)
        {
            throw new UserError($"unknown smoothing method '{o.Smooth}' (expected one of: {string.Join(", ", SmoothMethods.Names)})");
        }
        if (!ScoringTokenizers.Names.Contains(o.Tokenize))
        {
            throw new UserError($"unknown tokenizer '{o.Tokenize}' (expected one of: {string.Join(", ", ScoringTokenizers.Names)})");
        }
        return new BleuOptions { Tokenize = o.Tokenize, Lowercase = o.Lowercase, Smooth = smooth, SmoothValue = o.SmoothValue };
    }
}
