// ParallelCorpusReader: streams line-aligned source/target files (plain or gzip) as sentence pairs.
// Guarantees: line i of the source pairs with line i of the target (line splitting as in LineReader: '\n' only,
// a '\r' before '\n' is stripped, a lone '\r' stays in the text); files with different line counts raise a
// UserError naming both files and both counts (raised when the shorter file ends, after the pairs before it
// were yielded); empty pairs (either side empty) and over-long pairs are skipped and counted, never yielded;
// invalid UTF-8 is skipped and counted with a warning naming file and line (default) or raises a UserError.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Data;

namespace Seq2SeqRev.Training.Data;

public enum InvalidUtf8Policy { Skip, Error }

public sealed record CorpusReadOptions
{
    /// <summary>Pairs with a side longer than this are skipped; 0 = no limit.</summary>
    public int MaxLength { get; init; }

    /// <summary>How to measure a side for <see cref="MaxLength"/>; null = UTF-16 chars (string.Length).</summary>
    public Func<string, int>? LengthOf { get; init; }

    public InvalidUtf8Policy InvalidUtf8 { get; init; } = InvalidUtf8Policy.Skip;

    /// <summary>At most this many warning messages are kept in <see cref="CorpusReadStats.Warnings"/>.</summary>
    public int MaxWarnings { get; init; } = 20;
}

public readonly record struct SentencePair(int LineNumber, string Source, string Target);

public sealed class CorpusReadStats
{
    public int Lines { get; internal set; }
    public int Kept { get; internal set; }
    public int SkippedEmpty { get; internal set; }
    public int SkippedTooLong { get; internal set; }
    public int SkippedInvalidUtf8 { get; internal set; }
    public List<string> Warnings { get; } = [];

    public override string ToString() =>
        $"{Lines} lines: {Kept} kept, {SkippedEmpty} empty, {SkippedTooLong} too long, {SkippedInvalidUtf8} invalid UTF-8";
}

public sealed class ParallelCorpusReader(string sourcePath, string targetPath, CorpusReadOptions? options = null)
{
    private readonly CorpusReadOptions _options = options ?? new CorpusReadOptions();

    public string SourcePath { get; } = sourcePath;
    public string TargetPath { get; } = targetPath;

    /// <summary>Counts of the last (or current) <see cref="Read"/>; complete once enumeration finished.</summary>
    public CorpusReadStats Stats { get; private set; } = new();

    public IEnumerable<SentencePair> Read()
    {
        var stats = Stats = new CorpusReadStats();
        using var src = new LineReader(SourcePath);
        using var tgt = new LineReader(TargetPath);
        while (true)
        {
            bool hasSrc = src.ReadLine(out var srcBytes);
            string? s = hasSrc ? Decode(srcBytes, src, stats) : null;
            bool hasTgt = tgt.ReadLine(out var tgtBytes);
            string? t = hasTgt ? Decode(tgtBytes, tgt, stats) : null;
            if (!hasSrc && !hasTgt) yield break;
            if (hasSrc != hasTgt)
            {
                int srcCount = src.LineNumber + (hasSrc ? src.CountRemaining() : 0);
                int tgtCount = tgt.LineNumber + (hasTgt ? tgt.CountRemaining() : 0);
                throw new UserError(
                    $"line counts differ: {SourcePath} has {srcCount} lines, {TargetPath} has {tgtCount} lines");
            }
            stats.Lines++;
            if (s is null || t is null) { stats.SkippedInvalidUtf8++; continue; }
            if (s.Length == 0 || t.Length == 0) { stats.SkippedEmpty++; continue; }
            if (_options.MaxLength > 0 && (Length(s) > _options.MaxLength || Length(t) > _options.MaxLength))
            {
                stats.SkippedTooLong++;
                continue;
            }
            stats.Kept++;
            yield return new SentencePair(src.LineNumber, s, t);
        }
    }

    /// <summary>Reads everything into a list (Stats is complete afterwards).</summary>
    public List<SentencePair> ReadAll() => Read().ToList();

    private int Length(string text) => _options.LengthOf?.Invoke(text) ?? text.Length;

    private string? Decode(ReadOnlySpan<byte> bytes, LineReader reader, CorpusReadStats stats)
    {
        if (LineReader.TryDecode(bytes, out var text)) return text;
        string message = $"{reader.Path}:{reader.LineNumber}: invalid UTF-8";
        if (_options.InvalidUtf8 == InvalidUtf8Policy.Error) throw new UserError(message);
        if (stats.Warnings.Count < _options.MaxWarnings) stats.Warnings.Add(message + " (pair skipped)");
        return null;
    }
}
