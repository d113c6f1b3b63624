// The `score` command core (ScoreRunner) and its System.CommandLine wiring (ScoreCommand), run
// in-process on temporary files. Guarantees checked: sacreBLEU text and JSON output, stdin input,
// '\n'-only line splitting with rstrip, gzip-compressed files read like plain ones, and one-line
// UserErrors for missing files, corrupt gzip data, line-count mismatches, invalid UTF-8 and bad option values.
using System.CommandLine;
using System.IO.Compression;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Scoring;
using Seq2SeqRev.Translate;
using Xunit;

namespace Seq2SeqRev.Tests.Scoring;

public sealed class ScoreRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("seq2seqrev-score-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text) => WriteBytes(name, Encoding.UTF8.GetBytes(text));

    private string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Lines(IEnumerable<string> lines) => string.Concat(lines.Select(l => l + "\n"));

    private (string Hyp, string Ref1, string Ref2) ReadmeFiles() => (
        Write("hyp.txt", Lines(MetricBehaviourTests.Sys)),
        Write("ref1.txt", Lines(MetricBehaviourTests.Ref1)),
        Write("ref2.txt", Lines(MetricBehaviourTests.Ref2)));

    private static string Run(ScoreOptions options, string stdin = "")
    {
        var output = new StringWriter();
        Assert.Equal(0, ScoreRunner.Execute(options, new MemoryStream(Encoding.UTF8.GetBytes(stdin)), output));
        return output.ToString();
    }

    [Fact]
    public void BleuTextLineWithCliDefaults()
    {
        var (hyp, r1, r2) = ReadmeFiles();
        Assert.Equal(
            "BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 48.5 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)\n",
            Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1, r2] }));
    }

    [Fact]
    public void HypothesisFromStdin()
    {
        var (_, r1, r2) = ReadmeFiles();
        var text = Run(new ScoreOptions { HypPath = "-", RefPaths = [r1, r2], Width = 2 }, Lines(MetricBehaviourTests.Sys));
        Assert.StartsWith("BLEU|nrefs:2|", text);
        Assert.Contains(" = 48.53 ", text);
    }

    [Fact]
    public void ChrfAndChrfPlusPlus()
    {
        var (hyp, r1, r2) = ReadmeFiles();
        Assert.Equal("chrF2|nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0 = 59.7\n",
            Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1, r2], Metric = "chrf" }));
        Assert.Equal("chrF2++|nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0 = 59.15\n",
            Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1, r2], Metric = "chrf", ChrfWordOrder = 2, Width = 2 }));
    }

    [Fact]
    public void JsonOutput()
    {
        var (hyp, r1, _) = ReadmeFiles();
        var json = Run(new ScoreOptions
        {
            HypPath = hyp, RefPaths = [r1], Json = true, Tokenize = "intl", Lowercase = true, Smooth = "floor",
        });
        Assert.StartsWith("{\n \"name\": \"BLEU\",\n \"score\": ", json);
        Assert.Contains("\n \"signature\": \"nrefs:1|case:lc|eff:no|tok:intl|smooth:floor[0.10]|version:2.6.0\",\n", json);
        Assert.EndsWith("\n \"smooth\": \"floor[0.10]\",\n \"version\": \"2.6.0\"\n}\n", json);
    }

    [Fact]
    public void SplitsOnNewlineOnlyAndRstrips()
    {
        // "a\rb" is one line (two tokens: '\r' is whitespace to str.split); the trailing "\r " of
        // the second line is stripped. Were '\r' a line break, the counts (3 vs 2) would differ.
        var hyp = Write("h.txt", "a\rb\nc d\r \n");
        var refFile = Write("r.txt", "a b\nc d\n");
        var text = Run(new ScoreOptions { HypPath = hyp, RefPaths = [refFile], Tokenize = "none", Width = 2 });
        Assert.Contains("hyp_len = 4 ref_len = 4", text);
        Assert.Equal(Run(new ScoreOptions { HypPath = refFile, RefPaths = [refFile], Tokenize = "none", Width = 2 }), text);
    }

    [Fact]
    public void EmptyLinesAreKept()
    {
        var hyp = Write("h.txt", "\nx\n");
        var refFile = Write("r.txt", "\nx\n");
        Assert.Contains("hyp_len = 1 ref_len = 1", Run(new ScoreOptions { HypPath = hyp, RefPaths = [refFile] }));
    }

    [Fact]
    public void GzipFilesScoreLikePlainOnes()
    {
        var (hyp, r1, r2) = ReadmeFiles();
        var plain = Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1, r2] });
        Assert.Equal(plain, Run(new ScoreOptions { HypPath = Gzip(hyp), RefPaths = [Gzip(r1), r2] }));
    }

    [Fact]
    public void CorruptGzipIsNamed()
    {
        var (hyp, r1, _) = ReadmeFiles();
        var gz = File.ReadAllBytes(Gzip(r1));
        // the gzip header, then a deflate block of the reserved type 3
        var broken = WriteBytes("broken.gz", gz[..10].Concat(Enumerable.Repeat((byte)0xFF, 16)).ToArray());
        var e = Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [broken] }));
        Assert.StartsWith($"reference file {broken}: corrupt gzip data", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static string Gzip(string path)
    {
        var gzPath = path + ".gz";
        using (var gz = new GZipStream(File.Create(gzPath), CompressionLevel.Fastest))
            gz.Write(File.ReadAllBytes(path));
        return gzPath;
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var (hyp, _, _) = ReadmeFiles();
        var missing = Path.Combine(_dir, "nope.txt");
        var e = Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [missing] }));
        Assert.Equal($"reference file not found: {missing}", e.Message);
    }

    [Fact]
    public void LineCountMismatchNamesBothFilesAndCounts()
    {
        var (hyp, _, _) = ReadmeFiles();
        var shortRef = Write("short.txt", "one\ntwo\n");
        var e = Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [shortRef] }));
        Assert.Equal($"line count mismatch: hypothesis {hyp} has 3 lines but reference {shortRef} has 2", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void InvalidUtf8NamesFileAndLine()
    {
        var hyp = WriteBytes("bad.txt", [(byte)'o', (byte)'k', (byte)'\n', 0xC3, 0x28, (byte)'\n']);
        var refFile = Write("r.txt", "ok\nx\n");
        var e = Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [refFile] }));
        Assert.Equal($"{hyp}: line 2: invalid UTF-8", e.Message);
    }

    [Fact]
    public void BadOptionValuesAreUserErrors()
    {
        var (hyp, r1, _) = ReadmeFiles();
        Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1], Metric = "ter" }));
        Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1], Tokenize = "zh" }));
        Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1], Smooth = "nist" }));
        Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1], Width = -1 }));
        Assert.Throws<UserError>(() => Run(new ScoreOptions { HypPath = hyp, RefPaths = [r1], SmoothValue = -1 }));
    }

    [Fact]
    public void CommandParsesRepeatedReferencesAndPrintsLine()
    {
        var (hyp, r1, r2) = ReadmeFiles();
        var root = new RootCommand();
        root.Subcommands.Add(ScoreCommand.Create());
        var output = new StringWriter();
        var parsed = root.Parse(["score", "--hyp", hyp, "--ref", r1, "--ref", r2, "--width", "2", "--json"]);
        Assert.Empty(parsed.Errors);
        Assert.Equal(0, parsed.Invoke(new InvocationConfiguration { Output = output, EnableDefaultExceptionHandler = false }));
        Assert.Contains("\n \"score\": 48.53,\n", output.ToString());
        Assert.Contains("\n \"nrefs\": \"2\",\n", output.ToString());
    }

    [Fact]
    public void CommandRejectsUnknownMetricAndMissingHyp()
    {
        var root = new RootCommand();
        root.Subcommands.Add(ScoreCommand.Create());
        Assert.NotEmpty(root.Parse(["score", "--hyp", "h", "--ref", "r", "--metric", "ter"]).Errors);
        Assert.NotEmpty(root.Parse(["score", "--ref", "r"]).Errors);
    }
}
