// SubwordTokenizer: byte-level BPE encode/decode through Microsoft.ML.Tokenizers' BpeTokenizer, built in memory
// from a BpeModel (ByteLevel on, our ByteLevel.PreTokenizerRegex as pre-tokenizer, no normalizer).
// Guarantees: ids 0..3 are pad/unk/bos/eos (never produced by Encode unless asked for bos/eos); model token k has
// id k + 4; Decode(Encode(s)) == s for every string s (all 256 bytes are in the vocabulary, the pre-tokenizer
// covers every char, no normalization); Decode skips special ids. Save/Load round-trips through one JSON stream.
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Seq2SeqRev.Model.Tokenization;

public sealed class SubwordTokenizer
{
    public const int PadId = 0, UnkId = 1, BosId = 2, EosId = 3, SpecialCount = 4;

    /// <summary>Smallest vocabulary <see cref="Learn"/> accepts: the 4 specials and the 256 byte symbols.</summary>
    public const int MinVocabSize = SpecialCount + 256;

    public static IReadOnlyList<string> SpecialTokens { get; } = ["<pad>", "<unk>", "<s>", "</s>"];
    private const string Format = "seq2seqrev-bytelevel-bpe/1";

    private readonly BpeTokenizer _bpe;

    public SubwordTokenizer(BpeModel model)
    {
        Model = model;
        var vocab = model.Tokens.Select((t, i) => new KeyValuePair<string, int>(t, i));
        _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = model.Merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(ByteLevel.PreTokenizerRegex, null),
        });
    }

    public BpeModel Model { get; }

    /// <summary>Number of ids including the 4 specials.</summary>
    public int VocabSize => Model.Tokens.Count + SpecialCount;

    /// <summary>Learns a tokenizer; <paramref name="vocabSize"/> counts the 4 specials and the 256 byte symbols.</summary>
    public static SubwordTokenizer Learn(IEnumerable<string> lines, int vocabSize, int minFrequency = 2)
    {
        var learner = new BpeLearner(vocabSize - SpecialCount, minFrequency);
        learner.AddRange(lines);
        return new SubwordTokenizer(learner.Learn());
    }

    public int[] Encode(string text, bool addBos = false, bool addEos = false)
    {
        var ids = _bpe.EncodeToIds(text);
        var result = new int[ids.Count + (addBos ? 1 : 0) + (addEos ? 1 : 0)];
        int o = 0;
        if (addBos) result[o++] = BosId;
        foreach (int id in ids) result[o++] = id + SpecialCount;
        if (addEos) result[o] = EosId;
        return result;
    }

    /// <summary>Text of the non-special ids; ids outside the vocabulary are skipped like specials.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        int max = Model.Tokens.Count + SpecialCount;
        return _bpe.Decode(ids.Where(id => id >= SpecialCount && id < max).Select(id => id - SpecialCount));
    }

    /// <summary>Token string of an id (byte-level alphabet for model tokens, e.g. 'Ġ' for a space).</summary>
    public string IdToToken(int id) =>
        id >= 0 && id < SpecialCount ? SpecialTokens[id]
        : id >= SpecialCount && id < VocabSize ? Model.Tokens[id - SpecialCount]
        : throw new ArgumentOutOfRangeException(nameof(id));

    /// <summary>An id as a label for people (e.g. attention plots): specials by name, a model token as its own text
    /// with a leading space shown as '▁' (a byte of a longer UTF-8 character shows as U+FFFD).</summary>
    public string DisplayToken(int id)
    {
        if (id < SpecialCount) return IdToToken(id);
        var text = Decode([id]);
        return text.StartsWith(' ') ? "\u2581" + text[1..] : text;
    }

    public void Save(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        WriteJson(w);
    }

    public static SubwordTokenizer Load(Stream stream, string sourceName = "tokenizer stream")
    {
        using var doc = ParseJson(stream, sourceName);
        return FromJson(doc.RootElement, sourceName);
    }

    public void Save(string path)
    {
        using var f = File.Create(path);
        Save(f);
    }

    public static SubwordTokenizer Load(string path)
    {
        using var f = OpenForLoad(path);
        return Load(f, path);
    }

    internal void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteStartArray("specials");
        foreach (var s in SpecialTokens) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteStartArray("tokens");
        foreach (var t in Model.Tokens) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("merges");
        foreach (var m in Model.Merges) w.WriteStringValue(m.Left + " " + m.Right);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    internal static SubwordTokenizer FromJson(JsonElement e, string sourceName)
    {
        try
        {
            if (e.GetProperty("format").GetString() != Format)
                throw new ModelDataException($"{sourceName}: not a {Format} tokenizer");
            var tokens = e.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
            var merges = e.GetProperty("merges").EnumerateArray().Select(m =>
            {
                var parts = m.GetString()!.Split(' ');
                if (parts.Length != 2) throw new FormatException($"bad merge '{m.GetString()}'");
                return new BpeMerge(parts[0], parts[1]);
            }).ToList();
            return new SubwordTokenizer(new BpeModel(tokens, merges));
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new ModelDataException($"{sourceName}: invalid tokenizer data ({ex.Message})");
        }
    }

    internal static JsonDocument ParseJson(Stream stream, string sourceName)
    {
        try { return JsonDocument.Parse(stream); }
        catch (JsonException ex) { throw new ModelDataException($"{sourceName}: invalid tokenizer JSON ({ex.Message})"); }
    }

    internal static FileStream OpenForLoad(string path)
    {
        try { return File.OpenRead(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelDataException($"{path}: cannot read tokenizer ({ex.Message})");
        }
    }
}
