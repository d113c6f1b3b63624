// The common shape of a sacreBLEU metric result. Guarantees: FormatLine() reproduces sacreBLEU's
// Score.format() text ("NAME|SIGNATURE = SCORE VERBOSE", or "NAME = ..." without the signature) and
// ToJson() reproduces its JSON (keys name, score, signature, verbose_score when non-empty, then
// every signature field as a string), both with the score printed at the requested width.
namespace Seq2SeqRev.Scoring;

/// <summary>A corpus- or sentence-level metric result with its reproducibility signature.</summary>
public abstract record MetricScore
{
    /// <summary>Metric name as printed: "BLEU", "chrF2", "chrF2++".</summary>
    public abstract string Name { get; }

    /// <summary>The score on the 0-100 scale, unrounded.</summary>
    public abstract double Score { get; }

    /// <summary>Signature fields in sacreBLEU's order, version last.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, string>> SignatureFields { get; }

    /// <summary>Text printed after the score ("" when the metric has none).</summary>
    public abstract string VerboseScore { get; }

    /// <summary>The signature string, e.g. <c>nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0</c>.</summary>
    public string Signature => ScoreFormatting.JoinSignature(SignatureFields);

    /// <summary>The score alone, printed with <paramref name="width"/> decimals.</summary>
    public string FormatScore(int width = 2) => ScoreFormatting.Fixed(Score, width);

    /// <summary>sacreBLEU's text line; the CLI uses width 1, the Python API's repr width 2.</summary>
    public string FormatLine(int width = 2, bool includeSignature = true)
    {
        var head = includeSignature ? $"{Name}|{Signature}" : Name;
        var line = $"{head} = {FormatScore(width)}";
        return VerboseScore.Length > 0 ? $"{line} {VerboseScore}" : line;
    }

    /// <summary>sacreBLEU CLI's JSON output (indent 1), score rounded to <paramref name="width"/> decimals.</summary>
    public string ToJson(int width = 1)
    {
        var fields = new List<KeyValuePair<string, object>>
        {
            new("name", Name),
            new("score", double.Parse(FormatScore(width), System.Globalization.CultureInfo.InvariantCulture)),
            new("signature", Signature),
        };
        if (VerboseScore.Length > 0) fields.Add(new("verbose_score", VerboseScore));
        foreach (var kv in SignatureFields) fields.Add(new(kv.Key, kv.Value));
        return ScoreFormatting.Json(fields);
    }

    public sealed override string ToString() => FormatLine();
}
