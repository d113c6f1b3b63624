// Test helpers for the config tests: the repository root (found by walking up from the test
// binaries to Seq2SeqRev.sln) and a throwaway folder for YAML files written by a test.
using Seq2SeqRev.Cli;
using Xunit;

namespace Seq2SeqRev.Tests.Runs.Config;

/// <summary>A temporary folder, deleted on Dispose, plus shared paths and assertions.</summary>
public sealed class ConfigTestFiles : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("s2sr-config-").FullName;

    public static string RepoRoot { get; } = FindRepoRoot();
    public static string ConfigsDir => Path.Combine(RepoRoot, "configs");

    /// <summary>Writes <paramref name="yaml"/> to Dir/<paramref name="name"/> and returns the full path.</summary>
    public string Write(string name, string yaml)
    {
        var path = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Asserts <paramref name="action"/> throws a one-line UserError containing every fragment.</summary>
    public static string AssertUserError(Action action, params string[] fragments)
    {
        var e = Assert.Throws<UserError>(action);
        Assert.DoesNotContain('\n', e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e.Message;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Seq2SeqRev.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Seq2SeqRev.sln not found above {AppContext.BaseDirectory}");
    }
}
