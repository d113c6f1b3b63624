// ChecksumCache: remembers which local files already matched their expected sha256, keyed by full path, size
// and last-write time, in one tab-separated stamp file (default <cache>/seq2seqrev/corpora/verified.tsv).
// Guarantees: a file is re-hashed whenever its size or mtime changed or its expected hash differs; failing to
// read or write the stamp file only costs a re-hash, never an error; writes are atomic (temp file + rename).
using System.Security.Cryptography;

namespace Seq2SeqRev.Runs.Data;

public sealed class ChecksumCache(string stampPath)
{
    private Dictionary<string, string>? _entries;

    public string StampPath { get; } = stampPath;

    /// <summary>Lowercase hex sha256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    /// <summary>True when the file's sha256 is <paramref name="expected"/> (hashing only when not stamped yet).</summary>
    public bool Matches(string path, string expected, out string actual)
    {
        var info = new FileInfo(path);
        string key = $"{info.FullName}\t{info.Length}\t{info.LastWriteTimeUtc.Ticks}";
        var entries = _entries ??= LoadEntries();
        if (entries.TryGetValue(key, out var stamped) && stamped == expected)
        {
            actual = stamped;
            return true;
        }
        actual = Sha256Of(path);
        if (actual != expected) return false;
        entries[key] = actual;
        TrySave(entries);
        return true;
    }

    private Dictionary<string, string> LoadEntries()
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists(StampPath)) return entries;
            foreach (var line in File.ReadLines(StampPath))
            {
                int cut = line.LastIndexOf('\t');
                if (cut > 0) entries[line[..cut]] = line[(cut + 1)..];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return entries;
    }

    private void TrySave(Dictionary<string, string> entries)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(StampPath))!);
            string temp = $"{StampPath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            File.WriteAllLines(temp, entries.Select(kv => $"{kv.Key}\t{kv.Value}"));
            File.Move(temp, StampPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
