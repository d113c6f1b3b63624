// TranslationTestKit: a tiny real model trained once per test process with the real trainer and model factory on
// the sample corpus (20 steps of 16 pairs, hidden 32; stops mid-epoch, so the run has last.ckpt only), plus helpers to run
// TranslateRunner in-process on given input bytes and the Translate executable as a child process.
using System.Diagnostics;
using System.Text;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Training;
using Seq2SeqRev.Translation;
using Xunit;

namespace Seq2SeqRev.Tests.Translation;

/// <summary>
/// The tiny run, trained at most once per test process (both translation test classes share it; it is built while
/// the first of them holds the torch RNG collection) and deleted when the process exits.
/// </summary>
public sealed class TinyTrainedModelFixture
{
    private static readonly Lazy<string> s_runDir = new(Train);

    public string RunDir => s_runDir.Value;
    public string Checkpoint => Path.Combine(RunDir, Trainer.LastFile);

    private static string Train()
    {
        var dir = new TempDir();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        Trainer.Run(new TrainerOptions
        {
            Config = ConfigLoader.Load(TrainingTestKit.QuickYaml,
                ["training.max_steps=20", "training.batch_size=16", "model.hidden=32", "model.embedding=32", "model.slice=8", "tokenizer.vocab_size=300",
                 "data.max_length=40"]),
            RunDir = dir.Path,
            ManifestDir = TrainingTestKit.ManifestDir,
        });
        return dir.Path;
    }
}

internal static class TranslationTestKit
{
    public static string[] TestLines(int n) =>
        File.ReadLines(Path.Combine(TestFiles.RepoRoot, "corpora", "sample", "test.en")).Take(n).ToArray();

    public static byte[] Utf8Lines(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));

    /// <summary>TranslateRunner on <paramref name="input"/> as standard input: exit code, stdout, stderr.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(TranslateRequest request, byte[] input)
    {
        using var stdin = new MemoryStream(input);
        using var stdout = new MemoryStream();
        var stderr = new StringWriter();
        int exit = TranslateRunner.Execute(request, stdin, stdout, stderr);
        return (exit, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    public static string[] OutputLines(string stdout)
    {
        Assert.EndsWith("\n", stdout);
        return stdout[..^1].Split('\n');
    }

    /// <summary>Runs `translate` in the real executable: exit code, stdout, stderr.</summary>
    public static (int Exit, string Stdout, string Stderr) RunProcess(params string[] args) =>
        CliProcess.Run(CliProcess.TranslateDll, "translate", args);
}
