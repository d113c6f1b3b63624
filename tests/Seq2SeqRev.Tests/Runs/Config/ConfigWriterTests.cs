// ConfigWriter tests: Load(Save(x)) == x for the default, every shipped config and awkward
// values; the output lists every key and contains no base; the write leaves no temp files.
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Model;
using Seq2SeqRev.Runs.Config;
using Xunit;

namespace Seq2SeqRev.Tests.Runs.Config;

public sealed class ConfigWriterTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();
    public void Dispose() => _files.Dispose();

    private RunConfig RoundTrip(RunConfig config)
    {
        var path = Path.Combine(_files.Dir, "run", "config.yaml");
        ConfigWriter.Save(config, path);
        return ConfigLoader.Load(path, []);
    }

    [Fact]
    public void DefaultRoundTrips() => Assert.Equal(RunConfig.Default, RoundTrip(RunConfig.Default));

    [Fact]
    public void AwkwardValuesRoundTrip()
    {
        var config = ConfigLoader.LoadDefault([
            "name=\"true\"", "data.corpora_dir='/tmp/a dir: with # odd chars'", "data.test=[\"1\", 'null', x y]",
            "model.cell=revlstm", "model.max_forget_bits=none", "model.dropout.hidden=0", "training.min_learning_rate=1e-7",
            "training.clip_grad_norm=0", "training.memory=checkpoint", "data.lowercase=true", "seed=0",
        ]);
        Assert.Equal("true", config.Name);
        Assert.Equal(config, RoundTrip(config));
    }

    [Fact]
    public void UnresolvedConfigIsWrittenResolved()
    {
        var config = new RunConfig { Model = new ModelConfig { Cell = CellKind.Gru, MemoryBank = MemoryBankKind.Hidden, Slice = 0 } };
        Assert.Null(config.Training.Memory);
        Assert.Equal(TrainingMemory.Backprop, RoundTrip(config).Training.Memory);
    }

    [Fact]
    public void EveryShippedConfigRoundTrips()
    {
        foreach (var file in Directory.EnumerateFiles(ConfigTestFiles.ConfigsDir, "*.yaml", SearchOption.AllDirectories))
        {
            var config = ConfigLoader.Load(file, []);
            Assert.Equal(config, RoundTrip(config));
        }
    }

    [Fact]
    public void WritesEveryKeyAtomically()
    {
        var path = Path.Combine(_files.Dir, "config.yaml");
        File.WriteAllText(path, "old");
        ConfigWriter.Save(RunConfig.Default, path);
        var text = File.ReadAllText(path);
        foreach (var key in new[] { "name: default", "seed: 1", "corpora_dir: ~", "test: [test_2016_flickr, test_2017_flickr]",
                     "max_forget_bits: 3", "memory: reversal", "clip_grad_norm: 5.0", "dropout:", "    slice: 0.4", "max_steps: 0" })
            Assert.Contains(key, text);
        Assert.DoesNotContain("base:", text);
        Assert.DoesNotContain("\n...", text);
        Assert.Equal(["config.yaml"], Directory.GetFiles(_files.Dir).Select(Path.GetFileName));
    }
}
