// CheckpointTests: the checkpoint file format — round trip, and one-line errors for foreign, truncated,
// corrupted, wrong-version and missing files.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Runs;

public sealed class CheckpointTests
{
    private static Checkpoint Sample() => new()
    {
        ConfigYaml = ConfigWriter.ToYaml(RunConfig.Default),
        Tokenizer = [1, 2, 3],
        Model = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray(),
        Optimizer = [4, 5],
        State = new TrainerState { Epoch = 3, NextBatch = 7, Step = 99, LearningRate = 0.1 / 3, BadValidations = 2 },
        Rng = [9, 8, 7],
    };

    private static string Saved(TempDir dir)
    {
        var path = Path.Combine(dir.Path, "x.ckpt");
        Sample().Save(path);
        return path;
    }

    private static string ErrorOf(string path) => Assert.Throws<UserError>(() => Checkpoint.Load(path)).Message;

    [Fact]
    public void RoundTrips()
    {
        using var dir = new TempDir();
        var path = Saved(dir);
        var loaded = Checkpoint.Load(path);
        var expected = Sample();
        Assert.Equal(expected.ConfigYaml, loaded.ConfigYaml);
        Assert.Equal(expected.Model, loaded.Model);
        Assert.Equal(expected.Optimizer, loaded.Optimizer);
        Assert.Equal(expected.Rng, loaded.Rng);
        Assert.Equal(expected.State, loaded.State);
        Assert.Equal(RunConfig.Default, loaded.Config());
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void ForeignFileIsNotACheckpoint()
    {
        using var dir = new TempDir();
        var path = dir.File("foreign.ckpt", "seed: 1\nmodel:\n  hidden: 4\n");
        Assert.Equal($"{path}: not a Seq2SeqRev checkpoint", ErrorOf(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(100)]
    [InlineData(-1)]
    public void TruncatedFileIsReported(int keep)
    {
        using var dir = new TempDir();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(keep >= 0 ? keep : bytes.Length - 1)]);
        Assert.Equal($"{path}: truncated", ErrorOf(path));
    }

    [Fact]
    public void FlippedByteIsCorruption()
    {
        using var dir = new TempDir();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        Assert.Equal($"{path}: corrupted (checksum mismatch)", ErrorOf(path));
    }

    [Fact]
    public void OtherFormatVersionIsNamed()
    {
        using var dir = new TempDir();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes(7).CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        Assert.Equal($"{path}: written by format version 7, this build reads {Checkpoint.FormatVersion}", ErrorOf(path));
    }

    [Fact]
    public void MissingFileIsOneLine()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "none.ckpt");
        Assert.Equal($"{path}: no such checkpoint", ErrorOf(path));
    }
}
