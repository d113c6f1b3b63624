// TranslateCommandTests: `seq2seqrev translate` through the real built executable — success to a file (stdout
// empty, one line per input line), and one-line errors with exit 2 for an unwritable output path (no file left
// behind), a missing model, a foreign checkpoint and --nbest larger than --beam.
using Seq2SeqRev.Tests.Data;
using Seq2SeqRev.Tests.Training;
using Xunit;
using static Seq2SeqRev.Tests.Translation.TranslationTestKit;

namespace Seq2SeqRev.Tests.Translation;

[Collection(TorchRngCollection.Name)]
public sealed class TranslateCommandTests(TinyTrainedModelFixture model) : IClassFixture<TinyTrainedModelFixture>
{
    [Fact]
    public void TranslatesToAFile()
    {
        using var dir = new TempDir();
        var input = dir.File("in.en", string.Concat(TestLines(6).Select(l => l + "\n")) + "\n");
        var output = Path.Combine(dir.Path, "out.de");
        var (exit, stdout, stderr) = RunProcess("--model", model.RunDir, "--input", input, "--output", output, "--beam", "2");
        Assert.True(exit == 0, stderr);
        Assert.Equal("", stdout);
        var lines = File.ReadAllLines(output);
        Assert.Equal(7, lines.Length);
        Assert.Equal("", lines[6]);
        Assert.Contains("translated 7 lines (6 non-blank)", stderr);
    }

    [Fact]
    public void UnwritableOutputLeavesNothing()
    {
        using var dir = new TempDir();
        var input = dir.File("in.en", TestLines(1)[0] + "\n");
        var blocker = dir.File("blocker", "x");
        var output = Path.Combine(blocker, "out.de");
        var (exit, _, stderr) = RunProcess("--model", model.RunDir, "--input", input, "--output", output);
        Assert.Equal(2, exit);
        Assert.StartsWith($"error: {output}: cannot write (", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["blocker", "in.en"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void MissingModelIsOneLineError()
    {
        var (exit, _, stderr) = RunProcess("--model", "/nonexistent/run");
        CliProcess.AssertExactOneLineError(exit, stderr, "/nonexistent/run: no such model (expected a run directory or a .ckpt file)");
    }

    [Fact]
    public void ForeignCheckpointIsOneLineError()
    {
        using var dir = new TempDir();
        var path = dir.File("x.ckpt", "seed: 1\n");
        var (exit, _, stderr) = RunProcess("--model", path);
        CliProcess.AssertExactOneLineError(exit, stderr, $"{path}: not a Seq2SeqRev checkpoint");
    }

    [Fact]
    public void NBestLargerThanBeamIsOneLineError()
    {
        var (exit, _, stderr) = RunProcess("--model", model.RunDir, "--beam", "2", "--nbest", "3");
        CliProcess.AssertExactOneLineError(exit, stderr, "--nbest 3 is larger than --beam 2");
    }
}
