// Test helpers: the repository root, the local Multi30K folder (found as the programs find it), and self-deleting
// temp directories.

using Seq2SeqRev.Runs.Data;
namespace Seq2SeqRev.Tests;

internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "s2sr-" + Guid.NewGuid().ToString("N"));

    public string File(string name, byte[] bytes)
    {
        string p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllBytes(p, bytes);
        return p;
    }

    public string File(string name, string text) => File(name, System.Text.Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class TestFiles
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The local Multi30K folder, found the way the programs find it: $SEQ2SEQREV_CORPORA (holding
    /// multi30k/ or being it), else the download cache; null when neither holds the corpus. Tests that need it are
    /// <see cref="Multi30kFactAttribute"/>s, skipped with <see cref="Multi30kSkipReason"/> when it is absent.</summary>
    public static string? FindMulti30k() => FoundMulti30k.Value;

    /// <summary>The local Multi30K folder; only for <see cref="Multi30kFactAttribute"/> tests (never null there).</summary>
    public static string Multi30kDir => FindMulti30k()
        ?? throw new InvalidOperationException(Multi30kSkipReason);

    public const string Multi30kSkipReason =
        "needs Multi30K: set SEQ2SEQREV_CORPORA to a folder holding multi30k/ (or let a program download it into the cache)";

    private static readonly Lazy<string?> FoundMulti30k = new(() =>
    {
        string[] needed = ["train.en.gz", "train.de.gz", "val.en.gz", "val.de.gz", "test_2016_flickr.en.gz", "test_2016_flickr.de.gz"];
        bool Holds(string dir) => needed.All(f => System.IO.File.Exists(System.IO.Path.Combine(dir, f)));
        string? env = Environment.GetEnvironmentVariable(CorpusResolver.EnvVar);
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(env))
            candidates.AddRange([System.IO.Path.Combine(env, "multi30k"), env]);
        else
            candidates.Add(System.IO.Path.Combine(CorpusResolver.DefaultCacheDir(Environment.GetEnvironmentVariable), "multi30k"));
        return candidates.Select(System.IO.Path.GetFullPath).FirstOrDefault(Holds);
    });

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(d.FullName, "Seq2SeqRev.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find Seq2SeqRev.sln above " + AppContext.BaseDirectory);
    }
}
