// Test helpers: the repository root, the shared Multi30K folder, and self-deleting temp directories.
using Xunit;

namespace Seq2SeqRev.Tests.Data;

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

    /// <summary>The shared Multi30K folder (../shared/corpora/multi30k from the repo root); fails clearly if absent.</summary>
    public static string Multi30kDir
    {
        get
        {
            string dir = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared", "corpora", "multi30k"));
            if (!Directory.Exists(dir)) dir = "/work/shared/corpora/multi30k";
            Assert.True(Directory.Exists(dir),
                $"Multi30K not found at {dir}: this test needs the shared corpus folder (train/val/test_*.{{en,de}}.gz)");
            return dir;
        }
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(d.FullName, "Seq2SeqRev.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find Seq2SeqRev.sln above " + AppContext.BaseDirectory);
    }
}
