// Runs all 74 sacreBLEU 2.6.0 reference cases. Guarantees: every non-null field of each case's
// "expected" object is asserted (numbers with the case's tolerance, strings exactly; an unknown
// field fails), and so is what sacreBLEU itself returned ("observed_sacrebleu_2_6_0"): counts,
// totals and lengths exactly, score/bp/precisions to 1e-9 relative, signature, name and text_w2.
using System.Globalization;
using System.Text.Json.Nodes;
using Seq2SeqRev.Scoring;
using Xunit;

namespace Seq2SeqRev.Tests.Scoring;

public class SacreBleuVectorTests
{
    public static IEnumerable<object[]> Cases() => SacreBleuVectors.Names();

    [Fact]
    public void VectorFileHoldsAllCases()
    {
        Assert.True(SacreBleuVectors.LoadError is null, SacreBleuVectors.LoadError);
        Assert.Equal(SacreBleuVectors.ExpectedCount, SacreBleuVectors.Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesSacreBleu(string name)
    {
        if (name == SacreBleuVectors.MissingSentinel) Assert.Fail(SacreBleuVectors.LoadError);
        var v = SacreBleuVectors.Get(name);
        var score = Run(v);
        AssertExpected(v, score);
        AssertObserved(v["observed_sacrebleu_2_6_0"]!.AsObject(), score);
    }

    private static MetricScore Run(JsonObject v)
    {
        var metric = v["metric"]!.GetValue<string>();
        var kind = v["kind"]!.GetValue<string>();
        var o = v["options"]!.AsObject();
        if (metric == "bleu")
        {
            var options = new BleuOptions
            {
                Tokenize = Str(o, "tokenize") ?? "13a",
                Lowercase = Bool(o, "lowercase"),
                Smooth = SmoothMethods.Parse(Str(o, "smooth_method") ?? "exp"),
                SmoothValue = o["smooth_value"]?.GetValue<double>(),
                EffectiveOrder = Bool(o, "effective_order"),
                Force = Bool(o, "force"),
                MaxNgramOrder = o["max_ngram_order"]?.GetValue<int>() ?? 4,
            };
            if (kind == "stats")
            {
                var s = v["stats"]!.AsObject();
                var stats = new BleuStatistics(
                    s["sys_len"]!.GetValue<long>(), s["ref_len"]!.GetValue<long>(),
                    Longs(s["counts"]!), Longs(s["totals"]!), "1");
                return Bleu.Compute(stats, options);
            }
            var (hyps, refs) = Inputs(v);
            return kind == "sentence"
                ? Bleu.SentenceScore(hyps.Single(), refs.Select(stream => stream.Single()).ToList(), options)
                : Bleu.CorpusScore(hyps, refs, options);
        }
        else
        {
            var options = new ChrfOptions
            {
                CharOrder = o["char_order"]!.GetValue<int>(),
                WordOrder = o["word_order"]!.GetValue<int>(),
                Beta = o["beta"]!.GetValue<int>(),
                Lowercase = Bool(o, "lowercase"),
                Whitespace = Bool(o, "whitespace"),
                EpsSmoothing = Bool(o, "eps_smoothing"),
            };
            var (hyps, refs) = Inputs(v);
            return kind == "sentence"
                ? Chrf.SentenceScore(hyps.Single(), refs.Select(stream => stream.Single()).ToList(), options)
                : Chrf.CorpusScore(hyps, refs, options);
        }
    }

    private static void AssertExpected(JsonObject v, MetricScore score)
    {
        var expected = v["expected"]!.AsObject();
        var tolerance = v["tolerance"]?.GetValue<double>();
        var scale = v["expected_score_scale"]?.GetValue<string>() == "score/100" ? 0.01 : 1.0;
        var bleu = score as BleuScore;
        foreach (var (key, node) in expected)
        {
            if (node is null) continue;
            switch (key)
            {
                case "score":
                    AssertClose(node.GetValue<double>(), score.Score * scale, tolerance ?? 1e-9, key);
                    break;
                case "bp":
                    AssertClose(node.GetValue<double>(), Need(bleu, key).Bp, tolerance ?? 1e-9, key);
                    break;
                case "counts":
                    Assert.Equal(Doubles(node), Need(bleu, key).Counts);
                    break;
                case "totals":
                    Assert.Equal(Doubles(node), Need(bleu, key).Totals);
                    break;
                case "sys_len":
                    Assert.Equal(node.GetValue<long>(), Need(bleu, key).SysLen);
                    break;
                case "ref_len":
                    Assert.Equal(node.GetValue<long>(), Need(bleu, key).RefLen);
                    break;
                case "score_formatted_2f":
                    Assert.Equal(node.GetValue<string>(), score.FormatScore(2));
                    break;
                case "precisions_formatted_1f":
                    Assert.Equal(node.GetValue<string>(), string.Join('/', Need(bleu, key).Precisions.Select(p => ScoreFormatting.Fixed(p, 1))));
                    break;
                case "bp_formatted_3f":
                    Assert.Equal(node.GetValue<string>(), ScoreFormatting.Fixed(Need(bleu, key).Bp, 3));
                    break;
                case "ratio_formatted_3f":
                    Assert.Equal(node.GetValue<string>(), ScoreFormatting.Fixed(Need(bleu, key).Ratio, 3));
                    break;
                case "repr":
                    Assert.Equal(node.GetValue<string>(), score.FormatLine(2, includeSignature: false));
                    break;
                case "signature_as_printed_in_readme":
                    // The README was written with sacreBLEU 2.0.0; only the version field differs.
                    Assert.Equal(node.GetValue<string>().Replace("version:2.0.0", "version:2.6.0", StringComparison.Ordinal), score.Signature);
                    break;
                case "signature_for_2_6_0":
                    var text = node.GetValue<string>();
                    var cut = text.IndexOf(" (", StringComparison.Ordinal);
                    Assert.Equal(cut < 0 ? text : text[..cut], score.Signature);
                    break;
                default:
                    Assert.Fail($"unhandled expected field '{key}'");
                    break;
            }
        }
    }

    private static void AssertObserved(JsonObject observed, MetricScore score)
    {
        var bleu = score as BleuScore;
        foreach (var (key, node) in observed)
        {
            if (node is null) continue;
            switch (key)
            {
                case "score":
                    AssertRelative(node.GetValue<double>(), score.Score, key);
                    break;
                case "bp":
                    AssertRelative(node.GetValue<double>(), Need(bleu, key).Bp, key);
                    break;
                case "precisions":
                    var expected = Doubles(node);
                    Assert.Equal(expected.Length, Need(bleu, key).Precisions.Count);
                    for (var i = 0; i < expected.Length; i++) AssertRelative(expected[i], bleu!.Precisions[i], $"precisions[{i}]");
                    break;
                case "counts":
                    Assert.Equal(Doubles(node), Need(bleu, key).Counts);
                    break;
                case "totals":
                    Assert.Equal(Doubles(node), Need(bleu, key).Totals);
                    break;
                case "sys_len":
                    Assert.Equal(node.GetValue<long>(), Need(bleu, key).SysLen);
                    break;
                case "ref_len":
                    Assert.Equal(node.GetValue<long>(), Need(bleu, key).RefLen);
                    break;
                case "signature":
                    Assert.Equal(node.GetValue<string>(), score.Signature);
                    break;
                case "name":
                    Assert.Equal(node.GetValue<string>(), score.Name);
                    break;
                case "text_w2":
                    Assert.Equal(node.GetValue<string>(), score.FormatLine(2));
                    break;
                default:
                    Assert.Fail($"unhandled observed field '{key}'");
                    break;
            }
        }
    }

    private static BleuScore Need(BleuScore? bleu, string key) =>
        bleu ?? throw new Xunit.Sdk.XunitException($"field '{key}' is only defined for BLEU");

    private static void AssertClose(double expected, double actual, double tolerance, string what)
    {
        var ok = tolerance == 0 ? actual == expected : Math.Abs(actual - expected) < tolerance;
        Assert.True(ok, string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected:R} ± {tolerance:R}, got {actual:R}"));
    }

    private static void AssertRelative(double expected, double actual, string what) =>
        AssertClose(expected, actual, 1e-9 * Math.Max(1.0, Math.Abs(expected)), what);

    private static (List<string> Hyps, List<IReadOnlyList<string?>> Refs) Inputs(JsonObject v)
    {
        var hyps = v["hyps"]!.AsArray().Select(h => h!.GetValue<string>()).ToList();
        var refs = v["refs"]!.AsArray()
            .Select(stream => (IReadOnlyList<string?>)stream!.AsArray().Select(r => r?.GetValue<string>()).ToList())
            .ToList();
        return (hyps, refs);
    }

    private static string? Str(JsonObject o, string key) => o[key]?.GetValue<string>();

    private static bool Bool(JsonObject o, string key) => o[key]?.GetValue<bool>() ?? false;

    private static long[] Longs(JsonNode node) => node.AsArray().Select(x => x!.GetValue<long>()).ToArray();

    private static double[] Doubles(JsonNode node) => node.AsArray().Select(x => x!.GetValue<double>()).ToArray();
}
