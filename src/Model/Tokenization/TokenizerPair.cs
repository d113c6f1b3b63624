// TokenizerPair: the source and target tokenizers of a translation direction, joint (one shared vocabulary,
// Source and Target are the same object) or separate. Guarantees: Save/Load round-trips through one JSON stream
// (so it can be embedded in a checkpoint); a joint pair is stored once and loads back joint.
using System.Text.Json;

namespace Seq2SeqRev.Model.Tokenization;

public sealed class TokenizerPair
{
    public TokenizerPair(SubwordTokenizer source, SubwordTokenizer target)
    {
        Source = source;
        Target = target;
    }

    public SubwordTokenizer Source { get; }
    public SubwordTokenizer Target { get; }
    public bool IsJoint => ReferenceEquals(Source, Target);

    /// <summary>Joint: one vocabulary of <paramref name="vocabSize"/> learned on both sides; else one per side.</summary>
    public static TokenizerPair Learn(IEnumerable<string> sourceLines, IEnumerable<string> targetLines,
        int vocabSize, bool joint, int minFrequency = 2)
    {
        if (joint)
        {
            var shared = SubwordTokenizer.Learn(sourceLines.Concat(targetLines), vocabSize, minFrequency);
            return new TokenizerPair(shared, shared);
        }
        return new TokenizerPair(SubwordTokenizer.Learn(sourceLines, vocabSize, minFrequency),
                                 SubwordTokenizer.Learn(targetLines, vocabSize, minFrequency));
    }

    public void Save(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteBoolean("joint", IsJoint);
        w.WritePropertyName("source");
        Source.WriteJson(w);
        if (!IsJoint)
        {
            w.WritePropertyName("target");
            Target.WriteJson(w);
        }
        w.WriteEndObject();
        w.Flush();
    }

    public static TokenizerPair Load(Stream stream, string sourceName = "tokenizer stream")
    {
        using var doc = SubwordTokenizer.ParseJson(stream, sourceName);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("joint", out var joint)
            || !root.TryGetProperty("source", out var src))
            throw new ModelDataException($"{sourceName}: not a tokenizer pair (needs 'joint' and 'source')");
        var source = SubwordTokenizer.FromJson(src, sourceName);
        if (joint.ValueKind == JsonValueKind.True) return new TokenizerPair(source, source);
        if (!root.TryGetProperty("target", out var tgt))
            throw new ModelDataException($"{sourceName}: separate tokenizer pair without 'target'");
        return new TokenizerPair(source, SubwordTokenizer.FromJson(tgt, sourceName));
    }

    public void Save(string path)
    {
        using var f = File.Create(path);
        Save(f);
    }

    public static TokenizerPair Load(string path)
    {
        using var f = SubwordTokenizer.OpenForLoad(path);
        return Load(f, path);
    }
}
