// MetricsReaderTests: metrics.jsonl read back equals what MetricsWriter wrote (null for non-finite numbers reads as
// NaN, missing memory savings stay null), and a bad line is a one-line UserError naming the file and line.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Runs;

public sealed class MetricsReaderTests
{
    [Fact]
    public void ReadsBackWhatTheWriterWrote()
    {
        using var dir = new TempDir();
        ValidationMetrics[] written =
        [
            new(1, 63, 4.45, 3.51, 33.7, double.NaN, 0.5, 8.04, 2753.6, 3.17, 3.23, 32.6, 42.6),
            new(2, 126, 2.80, 2.46, 11.7, 0.45, 0.25, 7.38, 2956.8, null, null, null, null),
        ];
        var writer = new MetricsWriter(dir.Path);
        foreach (var m in written) writer.Validation(m);
        Assert.Equal(written, MetricsReader.Read(Path.Combine(dir.Path, MetricsWriter.FileName)));
    }

    [Theory]
    [InlineData("{\"epoch\":1}\n{\"epoch\":2,", ":2: not valid JSON")]
    [InlineData("{\"epoch\":1.5}", ":1: \"epoch\" must be a whole number")]
    [InlineData("\n[1]", ":2: expected a JSON object")]
    [InlineData("{\"epoch\":1,\"val_ppl\":\"x\"}", ":1: \"val_ppl\" must be a number or null")]
    public void BadLineIsOneLineErrorNamingFileAndLine(string text, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File(MetricsWriter.FileName, text);
        var e = Assert.Throws<UserError>(() => MetricsReader.Read(path));
        Assert.StartsWith(path + expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingFileNamesIt()
    {
        var e = Assert.Throws<UserError>(() => MetricsReader.Read("/nonexistent/metrics.jsonl"));
        Assert.StartsWith("/nonexistent/metrics.jsonl: missing", e.Message);
    }
}
