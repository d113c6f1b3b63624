// Tests for BpeLearner / SubwordTokenizer / TokenizerPair (in the Data test namespace so the data filter runs them).
using System.Diagnostics;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Tokenization;
using Seq2SeqRev.Model;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Tests.Training.Data;
using Seq2SeqRev.Training.Data;
using Xunit.Abstractions;
using Xunit;

namespace Seq2SeqRev.Tests.Model.Tokenization;

public class TokenizerTests(ITestOutputHelper output)
{
    private static readonly Lazy<SubwordTokenizer> SampleTokenizer = new(() =>
        SubwordTokenizer.Learn(SampleCorpus.Generate()["train"].SelectMany(p => new[] { p.En, p.De }), vocabSize: 600));

    public static TheoryData<string> TrickyStrings => new()
    {
        "", " ", "  ", "\t", "a\tb", "two  spaces", "   leading", "trailing   ", " both ", "line\rfeed",
        "emoji 😀👍🏽 family 👨‍👩‍👧", "e\u0301 combining a\u0308 o\u0302\u0323", "中文字符 and 日本語のテキスト 한국어",
        "Zwei Männer spielen Fußball.", "ﬁ ligature, NBSP\u00A0here, zero\u200Bwidth", "x\u0000y\u001F", "<s> </s> <pad> <unk>",
        "'s 're quotes \"“„”\" – — …", "1234567890 3.14 -5", "\uFEFFbom", "\U0001D518\U0001D52B\U0001D526",
    };

    [Theory]
    [MemberData(nameof(TrickyStrings))]
    public void RoundTripsTrickyStrings(string text)
    {
        var tok = SampleTokenizer.Value;
        var ids = tok.Encode(text);
        Assert.All(ids, id => Assert.InRange(id, SubwordTokenizer.SpecialCount, tok.VocabSize - 1));
        Assert.Equal(text, tok.Decode(ids));
    }

    [Fact]
    public void RoundTripsTheSampleCorpusAndCompresses()
    {
        var tok = SampleTokenizer.Value;
        Assert.Equal(600, tok.VocabSize);
        foreach (var (split, pairs) in SampleCorpus.Generate())
            foreach (var (en, de) in pairs)
            {
                Assert.Equal(en, tok.Decode(tok.Encode(en)));
                Assert.Equal(de, tok.Decode(tok.Encode(de)));
            }
        var words = tok.Encode("The man holds a red ball in the park.");
        Assert.True(words.Length <= 10, $"{words.Length} tokens: merges are not being applied");
    }

    [Fact]
    public void SpecialIdsAreFixedAndSkippedOnDecode()
    {
        var tok = SampleTokenizer.Value;
        Assert.Equal((0, 1, 2, 3), (SubwordTokenizer.PadId, SubwordTokenizer.UnkId, SubwordTokenizer.BosId, SubwordTokenizer.EosId));
        var ids = tok.Encode("a dog", addBos: true, addEos: true);
        Assert.Equal(SubwordTokenizer.BosId, ids[0]);
        Assert.Equal(SubwordTokenizer.EosId, ids[^1]);
        Assert.Equal("a dog", tok.Decode([.. ids, SubwordTokenizer.PadId, SubwordTokenizer.PadId]));
        Assert.Equal("<s>", tok.IdToToken(SubwordTokenizer.BosId));
        Assert.Equal("Ġ", tok.IdToToken(SubwordTokenizer.SpecialCount + ' '));
    }

    [Fact]
    public void LearningIsDeterministic()
    {
        var lines = SampleCorpus.Generate()["val"].Select(p => p.De).ToList();
        var a = new BpeLearner(400); a.AddRange(lines);
        var b = new BpeLearner(400); b.AddRange(lines.AsEnumerable().Reverse());
        Assert.Equal(a.Learn().Merges, b.Learn().Merges);
    }

    [Fact]
    public void SaveLoadRoundTripsThroughStream()
    {
        var tok = SampleTokenizer.Value;
        var ms = new MemoryStream();
        tok.Save(ms);
        ms.Position = 0;
        var loaded = SubwordTokenizer.Load(ms);
        Assert.Equal(tok.Model.Tokens, loaded.Model.Tokens);
        Assert.Equal(tok.Model.Merges, loaded.Model.Merges);
        string s = "Heute hält der neue Mann einen schwarzen Hut im Garten.";
        Assert.Equal(tok.Encode(s), loaded.Encode(s));
    }

    [Fact]
    public void PairsSaveJointOnceAndSeparateTwice()
    {
        var sample = SampleCorpus.Generate()["train"];
        var en = sample.Select(p => p.En).ToList();
        var de = sample.Select(p => p.De).ToList();
        foreach (bool joint in new[] { true, false })
        {
            var pair = TokenizerPair.Learn(en, de, 500, joint);
            Assert.Equal(joint, pair.IsJoint);
            var ms = new MemoryStream();
            pair.Save(ms);
            ms.Position = 0;
            var loaded = TokenizerPair.Load(ms);
            Assert.Equal(joint, loaded.IsJoint);
            Assert.Equal(pair.Source.Encode(en[0]), loaded.Source.Encode(en[0]));
            Assert.Equal(pair.Target.Encode(de[0]), loaded.Target.Encode(de[0]));
        }
        Assert.NotEqual(TokenizerPair.Learn(en, de, 500, false).Source.Model.Tokens,
                        TokenizerPair.Learn(en, de, 500, false).Target.Model.Tokens);
    }

    [Fact]
    public void LoadingGarbageIsAModelDataError()
    {
        var e = Assert.Throws<ModelDataException>(() => SubwordTokenizer.Load(new MemoryStream("{\"format\":1}"u8.ToArray()), "ckpt.bin"));
        Assert.StartsWith("ckpt.bin:", e.Message);
        Assert.Throws<ModelDataException>(() => TokenizerPair.Load(new MemoryStream("not json"u8.ToArray()), "x"));
    }

    [Multi30kFact]
    public void Multi30kRoundTripsEveryLine_LearnedOnFullTrain()
    {
        string dir = TestFiles.Multi30kDir;
        IEnumerable<string> Lines(string split, string lang)
        {
            string path = Path.Combine(dir, $"{split}.{lang}.gz");
            Assert.True(File.Exists(path), $"missing {path}");
            using var reader = new LineReader(path);
            while (reader.ReadLine(out var bytes))
            {
                Assert.True(LineReader.TryDecode(bytes, out var text), $"{path}:{reader.LineNumber}: invalid UTF-8");
                yield return text!;
            }
        }
        var sw = Stopwatch.StartNew();
        var pair = TokenizerPair.Learn(Lines("train", "en"), Lines("train", "de"), vocabSize: 8000, joint: true);
        output.WriteLine($"learned joint 8000 on 29000+29000 lines in {sw.Elapsed.TotalSeconds:F2}s");
        Assert.Equal(8000, pair.Source.VocabSize);

        int checkedLines = 0;
        foreach (var split in new[] { "train", "val", "test_2016_flickr", "test_2017_flickr" })
            foreach (var lang in new[] { "en", "de" })
                foreach (var line in Lines(split, lang))
                {
                    var ids = pair.Source.Encode(line);
                    string back = pair.Source.Decode(ids);
                    if (back != line) Assert.Fail($"{split}.{lang}.gz: round trip failed for \"{line}\" -> \"{back}\"");
                    checkedLines++;
                }
        Assert.Equal(2 * (29000 + 1014 + 1000 + 1000), checkedLines);
        output.WriteLine($"round-tripped {checkedLines} lines, total {sw.Elapsed.TotalSeconds:F2}s");
    }
}
