// MemoryTestKit: tiny configs for the memory command (any config file shrunk by overrides), the probe launcher
// on the built Train executable, and running `memory` as a child process.
using System.Diagnostics;
using Seq2SeqRev.Encoders;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Tests.Memory;

internal static class MemoryTestKit
{
    public static ProbeLauncher Launcher => new(CliProcess.TrainDll);

    /// <summary><paramref name="path"/> at a tiny size: hidden/embedding 16, slice at most 8, vocabulary 300.</summary>
    public static RunConfig Tiny(string path, params string[] extra)
    {
        var full = ConfigLoader.Load(path);
        var overrides = new List<string> { "model.hidden=16", "model.embedding=16", "tokenizer.vocab_size=300" };
        if (full.Model.MemoryBank is MemoryBankKind.Slice or MemoryBankKind.EmbeddingAndSlice) overrides.Add($"model.slice={Math.Min(full.Model.Slice, 8)}");
        return ConfigLoader.Load(path, [.. overrides, .. extra]);
    }

    public static string Configs => Path.Combine(TestFiles.RepoRoot, "configs");

    public static IEnumerable<string> AllConfigFiles() =>
        Directory.GetFiles(Configs, "*.yaml").Concat(Directory.GetFiles(Path.Combine(Configs, "grid"), "*.yaml")).Order(StringComparer.Ordinal);

    /// <summary>Runs `memory ARGS` in the built Train executable: exit code, stdout, stderr.</summary>
    public static (int Exit, string Stdout, string Stderr) RunMemory(params string[] args) =>
        CliProcess.Run(CliProcess.TrainDll, "memory", args);
}
