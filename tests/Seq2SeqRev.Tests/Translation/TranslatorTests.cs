// TranslatorTests: `translate` in-process on a tiny model trained by the real trainer — beam 1 is greedy search,
// output does not depend on --batch-size or the chunk size, n-best lists are sorted and formatted, line count and
// order survive batching (blank lines included), bad lines warn and go on, and bad options, models, references and
// output paths are one-line UserErrors that leave no output file.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Training;
using Seq2SeqRev.Translation;
using Xunit;
using static Seq2SeqRev.Tests.Translation.TranslationTestKit;
using Seq2SeqRev.Tests.Training;

namespace Seq2SeqRev.Tests.Translation;

[Collection(TorchRngCollection.Name)]
public sealed class TranslatorTests(TinyTrainedModelFixture model) : IClassFixture<TinyTrainedModelFixture>
{
    private TranslateRequest Request(int beam = 3, int batch = 4, int nbest = 1, int chunk = 0, int? maxInput = null) => new()
    {
        ModelPath = model.RunDir,
        Options = new TranslatorOptions
        {
            Search = new SearchOptions(BeamSize: beam, NBest: nbest),
            BatchSize = batch,
            ChunkLines = chunk,
            MaxInputLength = maxInput,
            NBestFormat = nbest > 1,
        },
    };

    [Fact]
    public void RunDirectoryFallsBackToLastCheckpoint()
    {
        Assert.False(File.Exists(Path.Combine(model.RunDir, Trainer.BestFile)));
        Assert.Equal(model.Checkpoint, RunFolder.Checkpoint(model.RunDir));
    }

    [Fact]
    public void BeamOneIsGreedySearch()
    {
        var lines = TestLines(10);
        var (exit, stdout, _) = Run(Request(beam: 1), Utf8Lines(lines));
        Assert.Equal(0, exit);
        using var loaded = TranslationModelLoader.Load(model.Checkpoint);
        var sources = lines.Select(l => loaded.Tokenizers.Source.Encode(l)).ToArray();
        var greedy = GreedySearch.Translate(loaded.Model, sources, new SearchOptions(BeamSize: 1))
            .Select(h => loaded.Tokenizers.Target.Decode(h.Tokens));
        Assert.Equal(greedy, OutputLines(stdout));
    }

    [Fact]
    public void OutputDoesNotDependOnBatchOrChunkSize()
    {
        var input = Utf8Lines(TestLines(9));
        var reference = Run(Request(batch: 1, chunk: 1), input).Stdout;
        Assert.Equal(reference, Run(Request(batch: 4, chunk: 5), input).Stdout);
        Assert.Equal(reference, Run(Request(batch: 32), input).Stdout);
    }

    [Fact]
    public void LineCountAndOrderSurviveBatchingWithBlankLines()
    {
        var lines = TestLines(8).ToList();
        lines.Insert(0, "");
        lines.Insert(4, "   ");
        lines.Insert(7, "");
        lines.Add("");
        var (_, stdout, _) = Run(Request(batch: 3, chunk: 5), Utf8Lines(lines));
        var output = OutputLines(stdout);
        Assert.Equal(lines.Count, output.Length);
        for (int i = 0; i < lines.Count; i++) Assert.Equal(string.IsNullOrWhiteSpace(lines[i]), output[i].Length == 0);
        // Each sentence translated alone gives the same line as in the batch.
        foreach (var i in new[] { 1, 5, 11 })
            Assert.Equal(output[i], OutputLines(Run(Request(batch: 1), Utf8Lines([lines[i]])).Stdout)[0]);
    }

    [Fact]
    public void NBestListsAreSortedAndFormatted()
    {
        var lines = new[] { TestLines(1)[0], "", TestLines(2)[1] };
        var (_, stdout, _) = Run(Request(beam: 4, nbest: 3), Utf8Lines(lines));
        var rows = OutputLines(stdout).Select(l => l.Split(" ||| ")).ToArray();
        Assert.All(rows, r => Assert.Equal(3, r.Length));
        Assert.Equal(["0", "0", "0", "1", "2", "2", "2"], rows.Select(r => r[0]));
        Assert.Equal(["", "0.000000"], rows[3][1..]);
        foreach (var group in rows.GroupBy(r => r[0]))
        {
            var scores = group.Select(r => double.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(scores.OrderByDescending(s => s), scores);
        }
        // The first n-best entry is the 1-best translation.
        var best = OutputLines(Run(Request(beam: 4), Utf8Lines(lines)).Stdout);
        Assert.Equal(best[0], rows[0][1]);
        Assert.Equal(best[2], rows[4][1]);
    }

    [Fact]
    public void NBestLargerThanBeamIsUserError()
    {
        var e = Assert.Throws<UserError>(() => Run(Request(beam: 2, nbest: 3), Utf8Lines(["a"])));
        Assert.Equal("--nbest 3 is larger than --beam 2", e.Message);
    }

    [Fact]
    public void InvalidUtf8AndOverlongLinesWarnAndContinue()
    {
        var good = TestLines(2);
        var bytes = Utf8Lines([good[0]]).Concat(new byte[] { (byte)'c', (byte)'a', 0xFF, (byte)'\n' }).Concat(Utf8Lines([string.Join(" ", Enumerable.Repeat(good[1], 6))])).ToArray();
        var (exit, stdout, stderr) = Run(Request(maxInput: 30), bytes);
        Assert.Equal(0, exit);
        Assert.Equal(3, OutputLines(stdout).Length);
        var warnings = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(warnings.Length == 2, stderr);
        Assert.Equal("warning: <stdin>:2: invalid UTF-8, decoded with replacement characters (U+FFFD)", warnings[0]);
        Assert.Equal("warning: <stdin>:3: longer than 30 subword tokens (the model's input limit); truncated", warnings[1]);
    }

    [Fact]
    public void DefaultInputLimitIsDataMaxLength()
    {
        var huge = string.Join(" ", Enumerable.Repeat(TestLines(1)[0], 2000));
        var (exit, stdout, stderr) = Run(Request(beam: 1), Utf8Lines([huge]));
        Assert.Equal(0, exit);
        Assert.Single(OutputLines(stdout));
        Assert.Contains("<stdin>:1: longer than 40 subword tokens", stderr);
    }

    [Fact]
    public void OutputFileIsWrittenAtomicallyAndRefPrintsBleu()
    {
        using var dir = new TempDir();
        var lines = TestLines(5);
        var input = dir.File("in.en", string.Concat(lines.Select(l => l + "\n")));
        var output = Path.Combine(dir.Path, "out.de");
        var refs = dir.File("ref.de", string.Concat(File.ReadLines(Path.Combine(TestFiles.RepoRoot, "corpora", "sample", "test.de")).Take(5).Select(l => l + "\n")));
        var (exit, stdout, stderr) = Run(Request() with { Input = input, Output = output, RefPath = refs }, []);
        Assert.Equal(0, exit);
        Assert.Equal("", stdout);
        Assert.Equal(5, File.ReadAllLines(output).Length);
        Assert.False(File.Exists(output + ".tmp"));
        var err = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("translated 5 lines", err[0]);
        Assert.StartsWith("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = ", err[1]);
    }

    [Fact]
    public void UnwritableOutputIsOneLineErrorAndLeavesNoFile()
    {
        using var dir = new TempDir();
        var blocker = dir.File("file", "x");
        var output = Path.Combine(blocker, "out.de");
        var e = Assert.Throws<UserError>(() => Run(Request() with { Output = output }, Utf8Lines(TestLines(2))));
        Assert.StartsWith($"{output}: cannot write", e.Message);
        Assert.Equal(["file"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ModelProblemsAreOneLineErrors()
    {
        using var dir = new TempDir();
        string ErrorOf(string path) => Assert.Throws<UserError>(() => TranslationModelLoader.Load(path)).Message;
        Assert.Equal($"{dir.Path}/none: no such model (expected a run directory or a .ckpt file)", ErrorOf(Path.Combine(dir.Path, "none")));
        Assert.Equal($"{dir.Path}: run directory has neither best.ckpt nor last.ckpt", ErrorOf(dir.Path));
        var foreign = dir.File("foreign.ckpt", "hello");
        Assert.Equal($"{foreign}: not a Seq2SeqRev checkpoint", ErrorOf(foreign));

        // A checkpoint whose config does not fit its parameters (another model size).
        var original = Checkpoint.Load(model.Checkpoint);
        var mismatched = Path.Combine(dir.Path, "mismatch.ckpt");
        new Checkpoint
        {
            ConfigYaml = original.ConfigYaml.Replace("hidden: 32", "hidden: 48"),
            Tokenizer = original.Tokenizer, Model = original.Model, Optimizer = original.Optimizer,
            State = original.State, Rng = original.Rng,
        }.Save(mismatched);
        Assert.StartsWith($"{mismatched}: model parameters do not match the checkpoint's config (", ErrorOf(mismatched));

        // Parameters cut short: not a mismatch, and said as what it is, on one line.
        var truncated = Path.Combine(dir.Path, "truncated.ckpt");
        new Checkpoint
        {
            ConfigYaml = original.ConfigYaml, Tokenizer = original.Tokenizer, Model = original.Model[..(original.Model.Length / 2)],
            Optimizer = original.Optimizer, State = original.State, Rng = original.Rng,
        }.Save(truncated);
        var error = ErrorOf(truncated);
        Assert.StartsWith($"{truncated}: cannot restore the model parameters (", error);
        Assert.DoesNotContain("do not match", error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void MissingInputAndReferenceAreOneLineErrors()
    {
        Assert.StartsWith("/nonexistent/in.en: cannot open",
            Assert.Throws<UserError>(() => Run(Request() with { Input = "/nonexistent/in.en" }, [])).Message);
        Assert.Equal("reference file not found: /nonexistent/ref.de",
            Assert.Throws<UserError>(() => Run(Request() with { RefPath = "/nonexistent/ref.de" }, [])).Message);
    }
}
