// Tests for LineReader/ParallelCorpusReader: line splitting, gzip, mismatches, invalid UTF-8, skipping.
using System.IO.Compression;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Training.Data;
using Xunit;

namespace Seq2SeqRev.Tests.Training.Data;

public class ParallelCorpusReaderTests
{
    private static List<SentencePair> Read(TempDir dir, string src, string tgt, CorpusReadOptions? o = null) =>
        new ParallelCorpusReader(dir.File("a.txt", src), dir.File("b.txt", tgt), o).ReadAll();

    [Fact]
    public void SplitsOnLineFeedOnly_LoneCarriageReturnStays_CrLfStripped()
    {
        using var dir = new TempDir();
        var pairs = Read(dir, "one\r\ntw\ro\nthree", "eins\ndrei\r\nzwei\r");
        Assert.Equal(["one", "tw\ro", "three"], pairs.Select(p => p.Source));
        Assert.Equal(["eins", "drei", "zwei"], pairs.Select(p => p.Target));
        Assert.Equal([1, 2, 3], pairs.Select(p => p.LineNumber));
    }

    [Fact]
    public void TrailingNewlineAddsNoLine_BomIsDropped()
    {
        using var dir = new TempDir();
        var pairs = Read(dir, "\uFEFFa\nb\n", "x\ny\n");
        Assert.Equal(["a", "b"], pairs.Select(p => p.Source));
    }

    [Fact]
    public void ReadsGzipByMagicBytes()
    {
        using var dir = new TempDir();
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(Encoding.UTF8.GetBytes("Zwei Männer.\nEin Hund.\n"));
        string src = dir.File("x.de.gz", ms.ToArray());
        string tgt = dir.File("x.en", "Two men.\nA dog.\n");
        var reader = new ParallelCorpusReader(src, tgt);
        Assert.Equal(["Zwei Männer.", "Ein Hund."], reader.ReadAll().Select(p => p.Source));
        Assert.Equal(2, reader.Stats.Kept);
    }

    [Fact]
    public void MismatchedLineCountsNameBothFilesAndCounts()
    {
        using var dir = new TempDir();
        string a = dir.File("a.txt", "1\n2\n3\n"), b = dir.File("b.txt", "1\n2\n3\n4\n5\n");
        var e = Assert.Throws<UserError>(() => new ParallelCorpusReader(a, b).ReadAll());
        Assert.Contains($"{a} has 3 lines", e.Message);
        Assert.Contains($"{b} has 5 lines", e.Message);
        var e2 = Assert.Throws<UserError>(() => new ParallelCorpusReader(b, a).ReadAll());
        Assert.Contains($"{b} has 5 lines", e2.Message);
    }

    [Fact]
    public void InvalidUtf8IsSkippedWithWarningByDefault()
    {
        using var dir = new TempDir();
        byte[] bad = [.. "ok\n"u8, (byte)'b', 0xC3, 0x28, (byte)'\n', .. "fine\n"u8];
        string a = dir.File("a.txt", bad), b = dir.File("b.txt", "x\ny\nz\n");
        var reader = new ParallelCorpusReader(a, b);
        var pairs = reader.ReadAll();
        Assert.Equal(["ok", "fine"], pairs.Select(p => p.Source));
        Assert.Equal(1, reader.Stats.SkippedInvalidUtf8);
        Assert.Equal(3, reader.Stats.Lines);
        Assert.Contains($"{a}:2: invalid UTF-8", Assert.Single(reader.Stats.Warnings));
    }

    [Fact]
    public void InvalidUtf8CanBeAnError()
    {
        using var dir = new TempDir();
        string a = dir.File("a.txt", "x\n"), b = dir.File("b.txt", [0xFF, 0xFE, (byte)'\n']);
        var e = Assert.Throws<UserError>(() =>
            new ParallelCorpusReader(a, b, new CorpusReadOptions { InvalidUtf8 = InvalidUtf8Policy.Error }).ReadAll());
        Assert.Equal($"{b}:1: invalid UTF-8", e.Message);
    }

    [Fact]
    public void EmptyAndOverlongPairsAreSkippedAndCounted()
    {
        using var dir = new TempDir();
        var reader = new ParallelCorpusReader(dir.File("a", "a\n\nccc\ndd\n\n"), dir.File("b", "x\ny\nz\n\nw w w w\n"),
            new CorpusReadOptions { MaxLength = 2 });
        var pairs = reader.ReadAll();
        Assert.Equal(["a"], pairs.Select(p => p.Source));
        Assert.Equal((5, 1, 3, 1), (reader.Stats.Lines, reader.Stats.Kept, reader.Stats.SkippedEmpty, reader.Stats.SkippedTooLong));
    }

    [Fact]
    public void MaxLengthCanCountTokensThroughCallback()
    {
        using var dir = new TempDir();
        var words = new CorpusReadOptions { MaxLength = 2, LengthOf = s => s.Split(' ').Length };
        var reader = new ParallelCorpusReader(dir.File("a", "one two\none two three\n"), dir.File("b", "x\ny\n"), words);
        Assert.Equal(["one two"], reader.ReadAll().Select(p => p.Source));
        Assert.Equal(1, reader.Stats.SkippedTooLong);
    }

    [Fact]
    public void VeryLongLinesSpanningBuffersAreIntact()
    {
        using var dir = new TempDir();
        string longLine = new string('ä', 100_000);
        var pairs = Read(dir, longLine + "\r\nend", "x\ny");
        Assert.Equal(longLine, pairs[0].Source);
        Assert.Equal("end", pairs[1].Source);
    }
}
