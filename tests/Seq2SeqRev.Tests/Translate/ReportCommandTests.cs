// ReportCommandTests: `seq2seqrev report` through the real built executable — over two tiny runs it prints the table
// (plain text when redirected) and writes a PNG and a JSON whose numbers, formatted as the table formats them, are the
// table's cells; a run folder without config.yaml, metrics.jsonl or best.ckpt, a missing folder and a bad --beam are
// one-line errors (exit 2) naming the file or option.
using System.Text.Json;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Tests.Translation.Results;
using Seq2SeqRev.Translation.Results;
using Xunit;

namespace Seq2SeqRev.Tests.Translate;

[Collection(TorchRngCollection.Name)]
public sealed class ReportCommandTests(TinyRunsFixture runs) : IClassFixture<TinyRunsFixture>
{
    private static (int Exit, string Stdout, string Stderr) Report(params string[] args) =>
        CliProcess.Run(CliProcess.TranslateDll, "report", args);

    [Fact]
    public void PrintsTheTableAndWritesJsonAndPlotWithTheSameNumbers()
    {
        using var dir = new TempDir();
        var json = Path.Combine(dir.Path, "out", "results.json");
        var png = Path.Combine(dir.Path, "out", "results.png");
        // COLUMNS=400: the piped table is laid out one row per run (at 120 it would be transposed, FittedTableTests).
        var (exit, stdout, stderr) = CliProcess.Run(CliProcess.TranslateDll, "report", new Dictionary<string, string> { ["COLUMNS"] = "400" },
            "--run", runs.Runs[0], "--run", runs.Runs[1], "--beam", $"{TinyRunsFixture.Beam}", "--json", json, "--plot", png);
        Assert.True(exit == 0, stderr);

        var png8 = File.ReadAllBytes(png);
        Assert.True(png8.Length > 1000);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png8[..4]);
        Assert.False(File.Exists(json + ".tmp"));

        var table = stdout.Split('\n').Where(l => l.Contains('│')).Select(l => l.Split('│')[1..^1].Select(c => c.Trim()).ToArray()).ToList();
        var header = table[0];
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(TinyRunsFixture.Beam, doc.RootElement.GetProperty("beam").GetInt32());
        var jsonRuns = doc.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(2, jsonRuns.Count);
        foreach (var run in jsonRuns)
        {
            var label = run.GetProperty("label").GetString()!;
            var row = Assert.Single(table, r => r[0] == label);
            string Cell(string column) => row[Array.IndexOf(header, column)];
            double? N(JsonElement o, string name) => o.GetProperty(name).ValueKind == JsonValueKind.Null ? null : o.GetProperty(name).GetDouble();

            Assert.Equal(run.GetProperty("epochs").GetInt32().ToString(), Cell("epochs"));
            Assert.Equal(run.GetProperty("validation").GetArrayLength(), run.GetProperty("epochs").GetInt32());
            Assert.Equal(run.GetProperty("best_epoch").GetInt32().ToString(), Cell("best"));
            Assert.Equal(ResultsTables.Perplexity(N(run, "best_val_ppl")!.Value), Cell("val ppl"));
            Assert.Equal(ResultsTables.Score(N(run, "best_val_bleu")!.Value), Cell("val BLEU"));
            Assert.Equal(ResultsTables.Hours(N(run, "training_hours")!.Value), Cell("hours"));
            Assert.Equal(ResultsTables.PerSecond(N(run, "mean_tokens_per_second"), 0), Cell("tok/s"));
            Assert.Equal(MemoryTables.Saving(N(run, "enc_saving_actual")), Cell("enc act (paper)"));
            Assert.Equal(MemoryTables.Saving(N(run, "dec_saving_optimal")), Cell("dec opt (paper)"));
            Assert.Equal(MemoryTables.Saving(N(run, "enc_saving_held")), Cell("enc held"));
            Assert.Equal(MemoryTables.Saving(N(run, "dec_saving_held")), Cell("dec held"));
            foreach (var t in run.GetProperty("test").EnumerateArray())
            {
                var split = t.GetProperty("split").GetString();
                Assert.Equal(ResultsTables.Score(N(t, "bleu")!.Value), Cell($"{split} BLEU"));
                Assert.Equal(ResultsTables.Score(N(t, "bleu_lowercase")!.Value), Cell($"{split} BLEU lc"));
                Assert.Equal(ResultsTables.Score(N(t, "chrf2")!.Value), Cell($"{split} chrF2"));
                Assert.Equal(ResultsTables.PerSecond(N(t, "sentences_per_second"), 1), Cell($"{split} sent/s"));
                Assert.True(File.Exists(t.GetProperty("hypotheses").GetString()));
            }
        }
        Assert.Contains("chrF2: nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0", stdout);
    }

    [Theory]
    [InlineData("config.yaml")]
    [InlineData("metrics.jsonl")]
    [InlineData("best.ckpt")]
    public void RunWithoutAFileIsOneLineErrorNamingIt(string missing)
    {
        using var dir = new TempDir();
        ConfigWriter.Save(TrainingTestKit.Config(), Path.Combine(dir.Path, "config.yaml"));
        dir.File("metrics.jsonl", "{\"epoch\":1,\"step\":7,\"val_ppl\":30.5,\"val_bleu\":1.5}\n");
        dir.File("best.ckpt", "not read before the files are checked");
        File.Delete(Path.Combine(dir.Path, missing));
        var (exit, _, stderr) = Report("--run", dir.Path);
        CliProcess.AssertOneLineError(exit, stderr, $"{Path.Combine(dir.Path, missing)}: missing");
    }

    [Theory]
    [InlineData("--run /nonexistent/run", "/nonexistent/run: no such run directory")]
    [InlineData("--run /nonexistent/run --beam 0", "--beam must be at least 1 (got 0)")]
    [InlineData("--run /nonexistent/run --test ,", "--test: give at least one split name")]
    public void BadArgumentsAreOneLineErrors(string args, string expected)
    {
        var (exit, _, stderr) = Report(args.Split(' '));
        CliProcess.AssertOneLineError(exit, stderr, expected);
    }
}
