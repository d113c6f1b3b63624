// Tests of the shipped configs/ folder: default.yaml equals RunConfig.Default, every YAML file
// validates, and configs/grid/ holds exactly the paper's 50 combinations, reproducible by
// configs/grid/generate.sh.
using System.Diagnostics;
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Model;
using Seq2SeqRev.Runs.Config;
using Xunit;

namespace Seq2SeqRev.Tests.Runs.Config;

public sealed class ConfigFilesTests : IDisposable
{
    private static readonly string[] Cells = ["revgru", "revlstm"];
    // grid attention label -> (memory_bank, slice)
    private static readonly Dictionary<string, (string Bank, int Slice)> Attentions = new()
    {
        ["20h"] = ("slice", 20), ["100h"] = ("slice", 100), ["300h"] = ("hidden", 0),
        ["emb"] = ("emb", 0), ["emb+20h"] = ("emb+slice", 20),
    };
    // grid bits label -> max_forget_bits
    private static readonly Dictionary<string, string> Bits = new()
    {
        ["1bit"] = "1", ["2bit"] = "2", ["3bit"] = "3", ["5bit"] = "5", ["nolimit"] = "none",
    };

    private readonly ConfigTestFiles _files = new();
    public void Dispose() => _files.Dispose();

    private static string GridDir => Path.Combine(ConfigTestFiles.ConfigsDir, "grid");

    [Fact]
    public void DefaultFileEqualsEmbeddedDefault()
    {
        var fromFile = ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, "default.yaml"), []);
        Assert.Equal(RunConfig.Default, fromFile);
        Assert.Equal(RunConfig.Default, ConfigLoader.LoadDefault());
        Assert.Equal("default", RunConfig.Default.Name);
    }

    [Fact]
    public void DefaultFileListsEveryKey()
    {
        // default.yaml doubles as the key reference: it sets every key except name.
        var text = File.ReadAllText(Path.Combine(ConfigTestFiles.ConfigsDir, "default.yaml"));
        var written = ConfigWriter.ToYaml(RunConfig.Default).Split('\n')
            .Where(l => l.Contains(':') && !l.TrimStart().StartsWith('#')).Select(l => l.Split(':')[0]);
        foreach (var line in written.Where(l => l != "name"))
            Assert.Contains(line + ":", text);
    }

    [Fact]
    public void EveryConfigFileValidates()
    {
        var files = Directory.EnumerateFiles(ConfigTestFiles.ConfigsDir, "*.yaml", SearchOption.AllDirectories).ToList();
        Assert.True(files.Count >= 55, $"only {files.Count} configs found");
        foreach (var file in files)
        {
            var config = ConfigLoader.Load(file, []);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), config.Name);
        }
    }

    [Fact]
    public void BaselinesAndQuickHaveTheirSettings()
    {
        RunConfig Load(string name) => ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, name), []);
        var gru = Load("gru.yaml");
        Assert.Equal((CellKind.Gru, MemoryBankKind.Hidden, (TrainingMemory?)TrainingMemory.Backprop, 0.2), (gru.Model.Cell, gru.Model.MemoryBank, gru.Training.Memory, gru.Training.LearningRate));
        var lstm = Load("lstm.yaml");
        Assert.Equal((CellKind.Lstm, MemoryBankKind.Hidden, (TrainingMemory?)TrainingMemory.Backprop, 1.0), (lstm.Model.Cell, lstm.Model.MemoryBank, lstm.Training.Memory, lstm.Training.LearningRate));
        var revlstm = Load("revlstm.yaml");
        Assert.Equal((CellKind.RevLstm, (TrainingMemory?)TrainingMemory.Reversal, 0.5), (revlstm.Model.Cell, revlstm.Training.Memory, revlstm.Training.LearningRate));
        var quick = Load("quick.yaml");
        Assert.Equal("sample", quick.Data.Corpus);
        Assert.True(quick.Model.Hidden <= 64 && quick.Tokenizer.VocabSize <= 1000 && quick.Training.Epochs <= 3);
    }

    [Fact]
    public void GridHasAllFiftyCombinations()
    {
        var expected = (from cell in Cells from att in Attentions.Keys from bits in Bits.Keys select $"{cell}-{att}-{bits}.yaml").ToHashSet();
        Assert.Equal(50, expected.Count);
        var actual = Directory.GetFiles(GridDir, "*.yaml").Select(Path.GetFileName).ToHashSet();
        Assert.Equal(expected.Order(), actual.Order());

        foreach (var cell in Cells)
        foreach (var (att, (bank, slice)) in Attentions)
        foreach (var (bitsLabel, bits) in Bits)
        {
            var c = ConfigLoader.Load(Path.Combine(GridDir, $"{cell}-{att}-{bitsLabel}.yaml"), []);
            Assert.Equal((cell, bank, slice, bits, 300), (SettingNames.Cells.NameOf(c.Model.Cell), SettingNames.MemoryBanks.NameOf(c.Model.MemoryBank), c.Model.Slice,
                SettingNames.ForgetLimits.NameOf(c.Model.MaxForgetBits), c.Model.Hidden));
            Assert.Equal("multi30k", c.Data.Corpus);
            Assert.Equal(TrainingMemory.Reversal, c.Training.Memory);
            Assert.Equal(cell == "revgru" ? 0.2 : 0.5, c.Training.LearningRate);
        }
    }

    [Fact]
    public void GridIsWhatGenerateShProduces()
    {
        var output = Path.Combine(_files.Dir, "grid");
        var start = new ProcessStartInfo("bash", [Path.Combine(GridDir, "generate.sh"), output]) { RedirectStandardError = true };
        using (var process = Process.Start(start)!)
        {
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, stderr);
        }
        var generated = Directory.GetFiles(output).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(Directory.GetFiles(GridDir, "*.yaml").Select(Path.GetFileName).Order(), generated);
        foreach (var name in generated)
            Assert.Equal(File.ReadAllText(Path.Combine(GridDir, name!)), File.ReadAllText(Path.Combine(output, name!)));
    }
}
