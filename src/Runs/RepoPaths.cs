// RepoPaths: locates the repository's corpora/ folder (corpus manifests) without depending on the working
// directory: walks up from the executable to Seq2SeqRev.sln, then from the current directory.
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Runs;

public static class RepoPaths
{
    public static string? FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Seq2SeqRev.sln"))) return d.FullName;
        return null;
    }

    /// <summary>The folder holding corpora/&lt;name&gt;.yaml manifests.</summary>
    public static string ManifestDir() =>
        FindRoot() is { } root ? Path.Combine(root, "corpora")
            : throw new UserError("cannot find the repository's corpora/ folder (no Seq2SeqRev.sln above the program or the current directory)");
}
