// BenchCommandTests: `seq2seqrev bench` as a child process — a tiny reversible/GRU pair on synthetic data gives the
// documented JSON (ratios = medians over the first median; the reversal config's profile phases are non-negative and
// lie within the measured step; the GRU has none), a tiny trained run is timed translating, and bad input is one
// `error:` line with exit 2. No timing assertions: the numbers depend on the machine.
using System.Text.Json;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Tests.Translation;
using Xunit;

namespace Seq2SeqRev.Tests.Benchmarks;

internal static class BenchTestKit
{
    /// <summary>A tiny RevGRU (Emb+8H, trained by reversal) and a tiny GRU (backprop) config in <paramref name="dir"/>,
    /// both with vocabulary 300 and batches of 4 sentences.</summary>
    public static (string Rev, string Gru) TinyPair(TempDir dir)
    {
        string configs = Path.Combine(TestFiles.RepoRoot, "configs");
        const string Shared = "tokenizer:\n  vocab_size: 300\ntraining:\n  batch_size: 4\n";
        var rev = dir.File("tiny-rev.yaml", $"base: {Path.Combine(configs, "quick.yaml")}\nmodel:\n  embedding: 16\n  hidden: 16\n  slice: 8\n" + Shared);
        var gru = dir.File("tiny-gru.yaml", $"base: {Path.Combine(configs, "gru.yaml")}\nmodel:\n  embedding: 16\n  hidden: 16\n" + Shared);
        return (rev, gru);
    }

    public static (int Exit, string Stdout, string Stderr) Run(params string[] args) => CliProcess.Run(CliProcess.TrainDll, "bench", args);

    /// <summary>Checks the documented shape and that ratios are the medians over the first median.</summary>
    public static void AssertShapeAndRatios(JsonElement root, params string[] names)
    {
        var configs = root.GetProperty("configs");
        Assert.Equal(names, configs.EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray());
        var ratios = root.GetProperty("ratios");
        double first = configs[0].GetProperty("tokens_per_second").GetProperty("median").GetDouble();
        foreach (var c in configs.EnumerateArray())
        {
            Assert.False(string.IsNullOrEmpty(c.GetProperty("training_memory").GetString()));
            var tps = c.GetProperty("tokens_per_second");
            double median = tps.GetProperty("median").GetDouble(), min = tps.GetProperty("min").GetDouble(), max = tps.GetProperty("max").GetDouble();
            Assert.True(min > 0 && min <= median && median <= max, $"min {min}, median {median}, max {max}");
            double ratio = ratios.GetProperty(c.GetProperty("name").GetString()!).GetDouble();
            // Medians are rounded to 2 decimals and ratios (of the unrounded medians) to 4: allow exactly that.
            double expected = median / first, slack = expected * (0.005 / median + 0.005 / first) + 0.00005 + 1e-9;
            Assert.True(Math.Abs(ratio - expected) <= slack, $"{c.GetProperty("name")}: ratio {ratio}, medians {median} / {first} = {expected}");
        }
        Assert.Equal(1.0, ratios.GetProperty(names[0]).GetDouble());
        Assert.Equal(names.Length, ratios.EnumerateObject().Count());
        AssertPairedRatios(root);
    }

    /// <summary>Each config's paired ratio is the median over the rounds of its per-round tokens/s over its fastest
    /// baseline's, recomputed here from the rounds the JSON lists (rounded to 2 decimals, so within 1e-3 relative).</summary>
    private static void AssertPairedRatios(JsonElement root)
    {
        var rounds = root.GetProperty("configs").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!,
            c => c.GetProperty("tokens_per_second").GetProperty("rounds").EnumerateArray().Select(v => v.GetDouble()).ToArray());
        foreach (var p in root.GetProperty("paired_ratios_to_fastest_baseline").EnumerateObject())
        {
            var baseline = root.GetProperty("fastest_baselines").GetProperty(p.Name);
            if (baseline.ValueKind == JsonValueKind.Null) { Assert.Equal(JsonValueKind.Null, p.Value.ValueKind); continue; }
            var perRound = rounds[p.Name].Zip(rounds[baseline.GetString()!], (a, b) => a / b).Order().ToArray();
            int n = perRound.Length;
            double expected = n % 2 == 1 ? perRound[n / 2] : (perRound[n / 2 - 1] + perRound[n / 2]) / 2;
            Assert.True(Math.Abs(p.Value.GetDouble() - expected) <= 1e-3 * expected, $"{p.Name}: paired {p.Value.GetDouble()}, from the rounds {expected}");
        }
    }
}

public sealed class BenchCommandTests
{
    [Fact]
    public void SyntheticPairPrintsJsonWithConsistentRatiosAndProfile()
    {
        using var dir = new TempDir();
        var (rev, gru) = BenchTestKit.TinyPair(dir);
        var (exit, stdout, stderr) = BenchTestKit.Run("--config", rev, "--config", gru, "--data", "synthetic",
            "--batches", "2", "--rounds", "1", "--warmup", "0", "--profile", "--json", "--threads", "1");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        BenchTestKit.AssertShapeAndRatios(root, "tiny-rev", "tiny-gru");
        Assert.Equal("synthetic", root.GetProperty("data").GetString());
        Assert.True(root.GetProperty("same_batches").GetBoolean());
        Assert.Equal(1, root.GetProperty("machine").GetProperty("torch_threads").GetInt32());
        Assert.Equal(3, root.GetProperty("machine").GetProperty("load_average_start").GetArrayLength());

        var configs = root.GetProperty("configs");
        Assert.Equal("reversal", configs[0].GetProperty("training_memory").GetString());
        Assert.Equal("backprop", configs[1].GetProperty("training_memory").GetString());
        Assert.Equal(configs[0].GetProperty("target_tokens_per_round").GetInt64(), configs[1].GetProperty("target_tokens_per_round").GetInt64());

        var profile = configs[0].GetProperty("profile");
        double step = profile.GetProperty("step_seconds").GetDouble();
        Assert.True(step > 0);
        double phases = 0;
        foreach (var phase in profile.GetProperty("phases").EnumerateObject())
        {
            double seconds = phase.Value.GetProperty("seconds").GetDouble();
            Assert.True(seconds >= 0, $"{phase.Name}: {seconds}");
            if (phase.Name != "other") phases += seconds;
        }
        Assert.True(phases <= step + 1e-4, $"phases {phases} s > step {step} s");
        foreach (var key in new[] { "forward", "decoder_rebuild", "attention", "backward", "encoder_rebuild" })
            Assert.True(profile.GetProperty("phases").GetProperty(key).GetProperty("seconds").GetDouble() > 0, key);
        Assert.Equal(JsonValueKind.Null, configs[1].GetProperty("profile").GetProperty("phases").ValueKind);
    }

    [Fact]
    public void BaselineVariantsAreShownSideBySideAndTheRatioIsAgainstTheFastest()
    {
        using var dir = new TempDir();
        var (rev, gru) = BenchTestKit.TinyPair(dir);
        var (exit, stdout, stderr) = BenchTestKit.Run("--config", rev, "--config", gru, "--data", "synthetic", "--baseline-variants",
            "--variant-shard", "3", "--batches", "1", "--rounds", "2", "--warmup", "0", "--json", "--threads", "1");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        string[] names = ["tiny-rev", "tiny-gru/autograd", "tiny-gru/written", "tiny-gru/written-shard3"];
        BenchTestKit.AssertShapeAndRatios(root, names);
        var configs = root.GetProperty("configs").EnumerateArray().ToArray();
        Assert.Equal(["written", "autograd", "written", "written"], configs.Select(c => c.GetProperty("loss_head").GetString()!).ToArray());
        Assert.Equal([0, 0, 0, 3], configs.Select(c => c.GetProperty("loss_shard").GetInt32()).ToArray());
        // The same function in every variant: the mean loss of the same batches agrees up to float rounding.
        var losses = configs.Skip(1).Select(c => c.GetProperty("mean_loss").GetDouble()).ToArray();
        Assert.True(losses.Max() - losses.Min() <= 1e-3 * Math.Abs(losses[0]), string.Join(", ", losses));

        double Median(int i) => configs[i].GetProperty("tokens_per_second").GetProperty("median").GetDouble();
        int fastest = Enumerable.Range(1, 3).MaxBy(Median);
        foreach (var name in names)
            Assert.Equal(names[fastest], root.GetProperty("fastest_baselines").GetProperty(name).GetString());
        double ratio = root.GetProperty("ratios_to_fastest_baseline").GetProperty("tiny-rev").GetDouble();
        double expected = Median(0) / Median(fastest);
        Assert.True(Math.Abs(ratio - expected) <= expected * (0.005 / Median(0) + 0.005 / Median(fastest)) + 0.00005, $"{ratio} vs {expected}");
        Assert.Equal(1.0, root.GetProperty("ratios_to_fastest_baseline").GetProperty(names[fastest]).GetDouble());
    }

    [Fact]
    public void TextOutputStatesTheMachineAndRatios()
    {
        using var dir = new TempDir();
        var (rev, _) = BenchTestKit.TinyPair(dir);
        var (exit, stdout, stderr) = BenchTestKit.Run("--config", rev, "--config", rev, "--data", "synthetic",
            "--batches", "1", "--rounds", "1", "--warmup", "0", "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("machine: ", stdout);
        Assert.Contains("load average", stdout);
        Assert.Contains("torch threads", stdout);
        Assert.Contains("OMP_WAIT_POLICY", stdout);
        Assert.Contains("batches: the same for every config", stdout);
        Assert.Contains("tiny-rev#2", stdout);   // a repeated config gets a distinct name
        Assert.Contains("1.000", stdout);
    }

    [Theory]
    [InlineData("--config /nonexistent/x.yaml", "config file not found: /nonexistent/x.yaml")]
    [InlineData("--config {rev} --config {gru} --model a", "--model given 1 time(s) for 2 config(s)")]
    [InlineData("--config {rev} --model /nonexistent/run", "/nonexistent/run: no such model")]
    [InlineData("--config {rev} --batches 0", "--batches 0 must be at least 1")]
    [InlineData("--config {rev} --rounds 0", "--rounds 0 must be at least 1")]
    [InlineData("--config {rev} --warmup -1", "--warmup -1 must be 0 or more")]
    [InlineData("--config {rev} --batches x", "'x'")]
    [InlineData("--config {rev} --data bogus", "--data 'bogus' is not allowed (allowed: val, synthetic)")]
    [InlineData("--config {rev} --threads 0", "--threads 0 must be at least 1")]
    [InlineData("--config {rev} --baseline-variants --variant-shard 0", "--variant-shard 0 must be at least 1")]
    [InlineData("--config {rev} --translate-rounds 0", "--translate-rounds 0 must be at least 1")]
    public void BadInputIsOneLineError(string args, string expected)
    {
        using var dir = new TempDir();
        var (rev, gru) = BenchTestKit.TinyPair(dir);
        var argv = args.Replace("{rev}", rev).Replace("{gru}", gru).Split(' ');
        var (exit, _, stderr) = BenchTestKit.Run(argv);
        CliProcess.AssertOneLineError(exit, stderr, expected);
    }
}

/// <summary>`bench --model`: the tiny trained run (shared with the translation tests) is timed translating.</summary>
[Collection(TorchRngCollection.Name)]
public sealed class BenchTranslationTests(TinyTrainedModelFixture model) : IClassFixture<TinyTrainedModelFixture>
{
    [Fact]
    public void ModelPerConfigTimesBeamAndGreedyTranslation()
    {
        using var dir = new TempDir();
        var (rev, gru) = BenchTestKit.TinyPair(dir);
        var (exit, stdout, stderr) = BenchTestKit.Run("--config", rev, "--config", gru, "--data", "synthetic",
            "--batches", "1", "--rounds", "1", "--warmup", "0", "--model", model.RunDir, "--model", model.Checkpoint,
            "--translate-sentences", "3", "--json", "--threads", "1");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        BenchTestKit.AssertShapeAndRatios(root, "tiny-rev", "tiny-gru");
        foreach (var c in root.GetProperty("configs").EnumerateArray())
        {
            var t = c.GetProperty("translation");
            Assert.Equal(3, t.GetProperty("sentences").GetInt32());
            Assert.Equal(model.Checkpoint, t.GetProperty("checkpoint").GetString());
            foreach (var search in new[] { "beam5", "greedy" })
                Assert.True(t.GetProperty(search).GetProperty("sentences_per_second").GetProperty("median").GetDouble() > 0, search);
        }
        var ratios = root.GetProperty("translation_ratios");
        Assert.Equal(1.0, ratios.GetProperty("beam5").GetProperty("tiny-rev").GetDouble());
        Assert.True(ratios.GetProperty("greedy").GetProperty("tiny-gru").GetDouble() > 0);
        Assert.Contains("warning: --model", stderr);   // the run's model differs from tiny-gru (and tiny-rev)
    }
}
