// TranslateCommandTests: `seq2seqrev translate` through the real built executable — success to a file (stdout
// empty, one line per input line), an answer per line on a pipe before the next line is sent (the same translations
// as a batch), and one-line errors with exit 2 for an unwritable output path (no file left behind), an attention
// directory that cannot be made, a missing model, a foreign checkpoint and --nbest larger than --beam.
using Xunit;
using static Seq2SeqRev.Tests.Translation.TranslationTestKit;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Tests.Translation;

namespace Seq2SeqRev.Tests.Translate;

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
    public async Task AnswersEachLineOnAPipeBeforeTheNextArrives()
    {
        var sample = TestLines(3);
        string[] lines = [sample[0], "", sample[1], sample[2]];
        var batch = OutputLines(Run(new() { ModelPath = model.RunDir, Options = new() { Search = new(BeamSize: 2) } }, Utf8Lines(lines)).Stdout);
        using var p = CliProcess.Start(CliProcess.TranslateDll, "translate", ["--model", model.RunDir, "--beam", "2"], closeInput: false);
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            for (int i = 0; i < lines.Length; i++)
            {
                p.StandardInput.Write(lines[i] + "\n");
                p.StandardInput.Flush();
                string? answer = null;
                // Generous: the first answer includes start-up and model loading on a loaded machine.
                try { answer = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3)); }
                catch (TimeoutException) { Assert.Fail($"no translation of line {i + 1} while the next was held back"); }
                Assert.Equal(batch[i], answer);
            }
            p.StandardInput.Close();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(p.ExitCode == 0, await stderr);
            Assert.Equal("", await p.StandardOutput.ReadToEndAsync());
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
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
    public void UnusableAttentionDirIsOneLineError()
    {
        using var dir = new TempDir();
        var blocker = dir.File("blocker", "x");
        var attention = Path.Combine(blocker, "attention");
        var (exit, _, stderr) = RunProcess("--model", model.RunDir, "--attention", attention);
        CliProcess.AssertOneLineError(exit, stderr, $"--attention {attention}: cannot write attention plots there (");
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
