// Tests that the committed sample corpus is exactly what SampleCorpus generates, and is well-formed.
using Seq2SeqRev.Training.Data;
using Xunit;

namespace Seq2SeqRev.Tests.Training.Data;

public class SampleCorpusTests
{
    [Fact]
    public void RegeneratingGivesTheCommittedFiles()
    {
        using var dir = new TempDir();
        SampleCorpus.Write(dir.Path);
        string committed = Path.Combine(TestFiles.RepoRoot, "corpora", "sample");
        foreach (var (split, _) in SampleCorpus.Splits)
            foreach (var lang in new[] { "en", "de" })
            {
                string name = $"{split}.{lang}";
                Assert.True(File.ReadAllBytes(Path.Combine(committed, name)).AsSpan()
                    .SequenceEqual(File.ReadAllBytes(Path.Combine(dir.Path, name))),
                    $"corpora/sample/{name} differs from SampleCorpus output; regenerate with SampleCorpus.Write");
            }
    }

    [Fact]
    public void SplitsHaveTheirSizesAndNoSharedSentences()
    {
        var corpus = SampleCorpus.Generate();
        Assert.Equal(2000, corpus["train"].Count);
        Assert.Equal(100, corpus["val"].Count);
        Assert.Equal(100, corpus["test"].Count);
        var all = corpus.Values.SelectMany(p => p).Select(p => p.En).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Contains(corpus["train"], p => p.De.Contains("ä") || p.De.Contains("ß"));
    }

    [Fact]
    public void ReadsBackThroughTheReader()
    {
        string dir = Path.Combine(TestFiles.RepoRoot, "corpora", "sample");
        var reader = new ParallelCorpusReader(Path.Combine(dir, "val.en"), Path.Combine(dir, "val.de"));
        Assert.Equal(100, reader.ReadAll().Count);
        Assert.Equal(100, reader.Stats.Kept);
    }
}
