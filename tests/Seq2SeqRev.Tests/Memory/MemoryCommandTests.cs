// MemoryCommandTests: `seq2seqrev memory` as a child process — bad arguments are one line on stderr with
// exit 2; a tiny end-to-end run prints JSON and writes the plot; --json-file writes the JSON beside any output; --with-checkpointing and --with-sharded add the
// baselines' checkpointing and sharded-loss modes, each measured with its per-step growth. MemoryWorksForEveryConfig (Category=Slow)
// runs accounting and one short measurement for every config in configs/ and configs/grid/ at a tiny size.
using System.Text.Json;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Runs.Config;
using Xunit;

namespace Seq2SeqRev.Tests.Memory;

public sealed class MemoryCommandTests
{
    private static readonly string Quick = Path.Combine(MemoryTestKit.Configs, "quick.yaml");

    [Theory]
    [InlineData("--data bogus", "--data 'bogus' is not allowed")]
    [InlineData("--seq-lengths 10,x", "--seq-lengths: 'x'")]
    [InlineData("--seq-lengths 0", "--seq-lengths: '0'")]
    [InlineData("--batch 0", "--batch 0 must be at least 1")]
    [InlineData("--config /nonexistent/x.yaml", "config file not found")]
    [InlineData("--checkpoint /nonexistent/run", "no such model")]
    [InlineData("--no-measure --plot x.png", "--plot needs measurements")]
    [InlineData("--json --markdown", "exclude each other")]
    [InlineData("--with-sharded --loss-shard 0", "--loss-shard 0 must be at least 1")]
    [InlineData("model.cell=revgru training.memory=checkpoint model.hidden=16 model.slice=8", "checkpoint is implemented for the baseline cells")]
    [InlineData("model.hidden=16 model.slice=12", "model.slice = 12 must be in 1..8")]
    public void BadArgumentsAreOneLineErrors(string args, string expected)
    {
        var (exit, _, stderr) = MemoryTestKit.RunMemory(args.Split(' '));
        CliProcess.AssertOneLineError(exit, stderr, expected);
    }

    [Fact]
    public void CheckpointWithTwoConfigsIsOneLineError()
    {
        var (exit, _, stderr) = MemoryTestKit.RunMemory("--checkpoint", "x", "--config", Quick, "--config", Quick);
        Assert.Equal(2, exit);
        Assert.Contains("--checkpoint applies to a single config", stderr);
    }

    [Fact]
    public void TinyRunPrintsJsonAndWritesPlot()
    {
        using var dir = new TempDir();
        var png = Path.Combine(dir.Path, "memory.png");
        var (exit, stdout, stderr) = MemoryTestKit.RunMemory("--config", Quick, "--data", "synthetic", "--seq-lengths", "6", "--batch", "4",
            "--steps", "1", "--json", "--plot", png, "model.hidden=16", "model.embedding=16", "model.slice=8", "tokenizer.vocab_size=300");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var c = doc.RootElement.GetProperty("configs")[0];
        Assert.Equal("quick", c.GetProperty("name").GetString());
        Assert.Equal("untrained", c.GetProperty("weights").GetString());
        Assert.True(c.GetProperty("measured")[0].GetProperty("peak_bytes").GetInt64() > 0);
        Assert.True(new FileInfo(png).Length > 1000);
    }

    /// <summary>--json-file writes the same JSON as --json while the tables go to stdout (here markdown), held fields
    /// included for the reversible config.</summary>
    [Fact]
    public void JsonFileIsWrittenWithAnyOutput()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "memory.json");
        var (exit, stdout, stderr) = MemoryTestKit.RunMemory("--config", Quick, "--data", "synthetic", "--seq-lengths", "6", "--batch", "4",
            "--no-measure", "--markdown", "--json-file", file, "model.hidden=16", "model.embedding=16", "model.slice=8", "tokenizer.vocab_size=300");
        Assert.True(exit == 0, stderr);
        Assert.Contains("| config |", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var encoder = doc.RootElement.GetProperty("configs")[0].GetProperty("encoder");
        Assert.True(encoder.GetProperty("held_bits").GetDouble() > 0);
        Assert.True(encoder.GetProperty("saving_held").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Object, encoder.GetProperty("held_breakdown").ValueKind);
    }

    [Fact]
    public void ShardedAndCheckpointingFlagsAddTheBaselineModes()
    {
        var gru = Path.Combine(MemoryTestKit.Configs, "gru.yaml");
        var (exit, stdout, stderr) = MemoryTestKit.RunMemory("--config", gru, "--with-checkpointing", "--with-sharded", "--loss-shard", "2",
            "--data", "synthetic", "--seq-lengths", "4,8", "--batch", "4", "--steps", "1", "--json",
            "model.hidden=16", "model.embedding=16", "tokenizer.vocab_size=300");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var rows = doc.RootElement.GetProperty("configs").EnumerateArray()
            .Select(c => (c.GetProperty("name").GetString(), c.GetProperty("training_memory").GetString(), c.GetProperty("loss_shard").GetInt32()))
            .ToList();
        Assert.Equal(new (string?, string?, int)[]
        {
            ("gru", "backprop", 0), ("gru-checkpoint", "checkpoint", 0), ("gru-sharded", "backprop", 2), ("gru-checkpoint-sharded", "checkpoint", 2),
        }, rows);
        foreach (var c in doc.RootElement.GetProperty("configs").EnumerateArray())
        {
            Assert.Equal(2, c.GetProperty("measured").GetArrayLength());
            Assert.Equal(JsonValueKind.Number, c.GetProperty("growth_mib_per_step").ValueKind);
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void MemoryWorksForEveryConfig()
    {
        var targets = MemoryTestKit.AllConfigFiles().Select(f => new MemoryTarget(MemoryTestKit.Tiny(f))).ToList();
        Assert.True(targets.Count >= 55, $"only {targets.Count} configs");
        var report = MemoryRunner.Run(new MemoryOptions
        {
            Targets = targets, Data = "synthetic", Batch = 4, SeqLengths = [5], TimedSteps = 1, Launcher = MemoryTestKit.Launcher,
        });
        Assert.Equal(targets.Count, report.Configs.Count);
        foreach (var c in report.Configs)
        {
            Assert.Single(c.Measured);
            Assert.Equal(c.TrainingMemory == TrainingMemory.Reversal, c.Encoder is not null);
        }
    }
}
