// MemoryReportTests: accounting of a tiny reversible config (baseline > actual bits, on synthetic and on
// validation batches), null accounting for baselines, the JSON shape, and that the markdown and text tables
// print the same numbers as the JSON.
using System.Text.Json;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Memory;

public sealed class MemoryReportTests
{
    private static string Yaml(string name) => Path.Combine(MemoryTestKit.Configs, name);

    private static MemoryReport Accounting(string data, params MemoryTarget[] targets) => MemoryRunner.Run(new MemoryOptions
    {
        Targets = targets, Data = data, Batch = 8, SeqLengths = [12], Measure = false, MaxBatches = 2,
        ManifestDir = TrainingTestKit.ManifestDir,
    });

    [Fact]
    public void ReversibleAccountingSavesAndBaselinesAreNull()
    {
        var report = Accounting("synthetic", new MemoryTarget(MemoryTestKit.Tiny(Yaml("quick.yaml"))),
            new MemoryTarget(MemoryTestKit.Tiny(Yaml("gru.yaml"))));
        var rev = report.Configs[0];
        Assert.NotNull(rev.Encoder);
        Assert.NotNull(rev.Decoder);
        Assert.True(rev.Encoder!.Baseline > rev.Encoder.Actual, $"encoder {rev.Encoder}");
        Assert.True(rev.Decoder!.Baseline > rev.Decoder.Actual, $"decoder {rev.Decoder}");
        Assert.True(rev.Decoder.Actual >= rev.Decoder.Optimal);
        Assert.False(rev.Trained);
        var gru = report.Configs[1];
        Assert.Null(gru.Encoder);
        Assert.Null(gru.Decoder);
        Assert.Equal(TrainingMemory.Backprop, gru.TrainingMemory);
    }

    [Fact]
    public void AccountingOnValidationBatches()
    {
        var report = Accounting("val", new MemoryTarget(MemoryTestKit.Tiny(Yaml("quick.yaml"))));
        var rev = report.Configs[0];
        Assert.Equal(2, rev.AccountingBatches);
        Assert.True(rev.Encoder!.SavingActual > 1 && rev.Decoder!.SavingActual > 1, $"{rev.Encoder} {rev.Decoder}");
    }

    private static MemoryReport Sample() => new("val", 64, [10, 100],
    [
        new ConfigReport("default", CellKind.RevGru, "Emb+20H", new ForgetLimit(3), TrainingMemory.Reversal, false, 16,
            new MemoryBits(1_000_000, 80_000, 61_234.5)
            {
                BaselineUnpadded = 800_000, HeldParts = [new("final_state", 100_000), new("buffer_registers", 60_000)],
                LimitParts = [new("final_state", 50_000), new("buffer", 30_000)],
            },
            new MemoryBits(2_000_000, 100_000, 90_000),
            [new Measurement(10, 64, 3_500_000, 120.4), new Measurement(100, 64, 9_000_000, 1400.6)]) { AccountingSentences = 1000 },
        new ConfigReport("gru", CellKind.Gru, "300H", null, TrainingMemory.Backprop, false, 0, null, null,
            [new Measurement(10, 64, 50_000_000, 60.2), new Measurement(100, 64, 480_000_000, 700.9)]),
    ]);

    [Fact]
    public void JsonHasTheDocumentedShape()
    {
        using var doc = JsonDocument.Parse(Sample().ToJson());
        var configs = doc.RootElement.GetProperty("configs");
        Assert.Equal(2, configs.GetArrayLength());
        var rev = configs[0];
        foreach (var key in new[] { "name", "cell", "attention", "max_forget_bits", "training_memory", "encoder", "decoder", "measured" })
            Assert.True(rev.TryGetProperty(key, out _), key);
        Assert.Equal("Emb+20H", rev.GetProperty("attention").GetString());
        foreach (var key in new[] { "baseline_bits", "actual_bits", "optimal_bits", "saving_actual", "saving_optimal" })
            Assert.True(rev.GetProperty("encoder").TryGetProperty(key, out _), key);
        Assert.Equal(12.5, rev.GetProperty("encoder").GetProperty("saving_actual").GetDouble());
        foreach (var key in new[] { "baseline_bits_unpadded", "held_bits", "saving_held", "held_breakdown", "held_limit_bits", "saving_held_limit", "held_limit_breakdown" })
            Assert.True(rev.GetProperty("encoder").TryGetProperty(key, out _), key);
        Assert.Equal(160_000, rev.GetProperty("encoder").GetProperty("held_bits").GetInt64());
        Assert.Equal(5.0, rev.GetProperty("encoder").GetProperty("saving_held").GetDouble());   // 800,000 / 160,000
        Assert.Equal(10.0, rev.GetProperty("encoder").GetProperty("saving_held_limit").GetDouble());
        Assert.Equal(100_000, rev.GetProperty("encoder").GetProperty("held_breakdown").GetProperty("final_state").GetInt64());
        Assert.Equal(30_000, rev.GetProperty("encoder").GetProperty("held_limit_breakdown").GetProperty("buffer").GetDouble());
        // (9,000,000 − 3,500,000) bytes over 90 steps, in MiB per step.
        Assert.Equal(Math.Round(5_500_000 / 1048576.0 / 90, 4), rev.GetProperty("growth_mib_per_step").GetDouble());
        Assert.True(doc.RootElement.GetProperty("conventions").TryGetProperty("held", out _));
        var m = rev.GetProperty("measured")[1];
        Assert.Equal(100, m.GetProperty("seq_len").GetInt32());
        Assert.Equal(64, m.GetProperty("batch").GetInt32());
        Assert.Equal(9_000_000, m.GetProperty("peak_bytes").GetInt64());
        Assert.Equal(1400.6, m.GetProperty("step_ms").GetDouble());
        var gru = configs[1];
        Assert.Equal(JsonValueKind.Null, gru.GetProperty("encoder").ValueKind);
        Assert.Equal(JsonValueKind.Null, gru.GetProperty("decoder").ValueKind);
        Assert.Equal(JsonValueKind.Null, gru.GetProperty("max_forget_bits").ValueKind);
    }

    [Fact]
    public void TablesAgreeWithJson()
    {
        var report = Sample();
        using var doc = JsonDocument.Parse(report.ToJson());
        var markdown = MemoryTables.Markdown(report);
        var text = MemoryTables.Text(report);
        var mdRows = markdown.Split('\n').Where(l => l.StartsWith("| ")).ToList();
        foreach (var c in doc.RootElement.GetProperty("configs").EnumerateArray())
        {
            var name = c.GetProperty("name").GetString()!;
            var cells = mdRows.Where(l => l.StartsWith($"| {name} |")).SelectMany(l => l.Split('|').Select(x => x.Trim())).ToList();
            var expected = new List<string>();
            foreach (var part in new[] { "encoder", "decoder" })
                foreach (var key in new[] { "saving_actual", "saving_optimal" })
                    expected.Add(c.GetProperty(part).ValueKind == JsonValueKind.Null ? "n/a"
                        : MemoryTables.Saving(c.GetProperty(part).GetProperty(key).GetDouble()));
            foreach (var m in c.GetProperty("measured").EnumerateArray())
            {
                expected.Add(MemoryTables.Mib(m.GetProperty("peak_bytes").GetInt64()));
                expected.Add(MemoryTables.Ms(m.GetProperty("step_ms").GetDouble()));
            }
            foreach (var e in expected)
            {
                Assert.Contains(e, cells);
                Assert.Contains(e, text);
            }
        }
        Assert.Contains("12.5x", markdown);   // 1e6 / 8e4
        Assert.Contains("5.0x", markdown);    // held: 8e5 / 1.6e5
        Assert.Contains("| default | encoder | final_state | 100 | 62.5 % | 50 |", markdown);   // per sentence (1000)
        Assert.Contains(MemoryTables.Growth(5_500_000 / 1048576.0 / 90), text);
        Assert.Contains("457.8", markdown);   // 480e6 bytes in MiB
        Assert.Contains("n/a", text);
    }
}
