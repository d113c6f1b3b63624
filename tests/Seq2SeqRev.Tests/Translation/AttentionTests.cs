// AttentionTests: the attention weights a hypothesis carries are the ones the search used to choose its tokens — for
// greedy and beam search, translating a batch, each best hypothesis's rows equal those of the model stepped alone along
// that hypothesis (so beam row selection carried the right rows), and each row sums to one over its source; keeping them
// changes no translation; `translate --attention DIR` writes one heatmap per non-blank line, of the predicted pixel
// size, atomically.
using System.Buffers.Binary;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Translation;
using TorchSharp;
using Xunit;
using static Seq2SeqRev.Tests.Translation.TranslationTestKit;
using static TorchSharp.torch;
using Seq2SeqRev.Tests.Training;

namespace Seq2SeqRev.Tests.Translation;

[Collection(TorchRngCollection.Name)]
public sealed class AttentionTests(TinyTrainedModelFixture model) : IClassFixture<TinyTrainedModelFixture>
{
    private const float Tolerance = 1e-4f;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void HypothesesCarryTheWeightsTheirStepsUsed(int beam)
    {
        using var loaded = TranslationModelLoader.Load(model.Checkpoint);
        var sources = TestLines(6).Select(l => loaded.Tokenizers.Source.Encode(l)).ToArray();
        var options = new SearchOptions(BeamSize: beam, NBest: beam);
        var plain = SentenceDecoder.Search(loaded.Model, sources, options);
        var kept = SentenceDecoder.Search(loaded.Model, sources, options with { KeepAttention = true });
        Assert.Equal(plain.Select(n => n.Select(h => h.Tokens)), kept.Select(n => n.Select(h => h.Tokens)));
        Assert.All(plain.SelectMany(n => n), h => Assert.Null(h.Attention));

        for (int s = 0; s < sources.Length; s++)
            foreach (var hypothesis in kept[s])
            {
                var rows = hypothesis.Attention!;
                Assert.InRange(rows.Length, hypothesis.Tokens.Length, hypothesis.Tokens.Length + 1);
                Assert.All(rows, r => Assert.Equal(sources[s].Length, r.Length));
                Assert.All(rows, r => Assert.InRange(r.Sum(), 1 - Tolerance, 1 + Tolerance));
                AssertReplayGives(loaded, sources[s], hypothesis.Tokens, rows);
            }
    }

    /// <summary>Steps the model alone along <paramref name="tokens"/> from BOS and compares each step's weights.</summary>
    private static void AssertReplayGives(LoadedModel loaded, int[] source, int[] tokens, float[][] rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = loaded.Model.Start([source]);
        long previous = loaded.Model.BosId;
        for (int i = 0; i < rows.Length; i++)
        {
            using var input = tensor(new[] { previous });
            var (logProbs, next, attention) = loaded.Model.StepWithAttention(input, state);
            var replayed = attention.to(ScalarType.Float32).data<float>().ToArray();
            for (int j = 0; j < source.Length; j++)
                Assert.True(Math.Abs(replayed[j] - rows[i][j]) < Tolerance, $"token {i}, source {j}: {replayed[j]} vs {rows[i][j]}");
            logProbs.Dispose();
            attention.Dispose();
            state.Dispose();
            state = next;
            if (i < tokens.Length) previous = tokens[i];
        }
        state.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AttentionDirGetsOneHeatmapPerNonBlankLine(int beam)
    {
        using var dir = new TempDir();
        var attentionDir = Path.Combine(dir.Path, "attention");
        var sample = TestLines(2);
        string[] lines = [sample[0], "", sample[1]];
        var options = new TranslatorOptions { Search = new SearchOptions(BeamSize: beam) };
        var (exit, stdout, stderr) = Run(new TranslateRequest { ModelPath = model.RunDir, Options = options, AttentionDir = attentionDir },
            Utf8Lines(lines));
        Assert.True(exit == 0, stderr);
        Assert.Equal(3, OutputLines(stdout).Length);
        Assert.Equal(["1.png", "3.png"], Directory.GetFiles(attentionDir).Select(Path.GetFileName).Order());

        // The same run's maps, as the translator hands them to the plot.
        var maps = new List<AttentionMap>();
        using var loaded = TranslationModelLoader.Load(model.RunDir);
        using var input = new LineReader(new MemoryStream(Utf8Lines(lines)), "<test>");
        new Translator(loaded, options).Run(input, TextWriter.Null, _ => { }, attention: maps.Add);
        Assert.Equal([1L, 3L], maps.Select(m => m.Line));
        foreach (var map in maps)
        {
            Assert.Equal(map.Target.Count, map.Weights.Length);
            Assert.All(map.Weights, r => Assert.Equal(map.Source.Count, r.Length));
            Assert.All(map.Weights, r => Assert.InRange(r.Sum(), 1 - Tolerance, 1 + Tolerance));
            var png = File.ReadAllBytes(Path.Combine(attentionDir, $"{map.Line}.png"));
            Assert.Equal("\x89PNG", Encoding.Latin1.GetString(png, 0, 4));
            var size = (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
            Assert.Equal(AttentionHeatmap.Size(map.Source, map.Target), size);
        }
    }
}
