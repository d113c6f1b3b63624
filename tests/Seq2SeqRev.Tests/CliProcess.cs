using System.Diagnostics;
using Xunit;

namespace Seq2SeqRev.Tests;

/// <summary>Runs the built executables as child processes (as a user would) and checks their error contract:
/// one `error: ...` line on stderr and exit code 2.</summary>
internal static class CliProcess
{
    public static string TrainDll => Dll("Seq2SeqRev.Train");
    public static string TranslateDll => Dll("Seq2SeqRev.Translate");

    private static string Dll(string name) => Path.Combine(TestFiles.RepoRoot, "artifacts", "bin", name, "release", name + ".dll");

    /// <summary>Starts `dotnet DLL COMMAND ARGS` in the repository root, stdout/stderr redirected, stdin closed (or left
    /// open for the caller to write to, with <paramref name="closeInput"/> false), with <paramref name="environment"/>
    /// added to the inherited environment.</summary>
    public static Process Start(string dll, string command, IEnumerable<string> args, bool closeInput = true,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = TestFiles.RepoRoot,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(command);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var p = Process.Start(info)!;
        if (closeInput) p.StandardInput.Close();
        return p;
    }

    /// <summary>Runs to completion: exit code, stdout, stderr.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string dll, string command, params string[] args) =>
        Run(dll, command, null, args);

    /// <summary>Runs to completion with <paramref name="environment"/> added: exit code, stdout, stderr.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string dll, string command,
        IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Start(dll, command, args, environment: environment);
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Exit 2 and exactly one stderr line, "error: ..." containing <paramref name="expected"/>; returns that line.</summary>
    public static string AssertOneLineError(int exit, string stderr, string expected)
    {
        Assert.Equal(2, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        return lines[0];
    }

    /// <summary>As <see cref="AssertOneLineError"/>, and the line is exactly "error: " + <paramref name="expected"/>.</summary>
    public static void AssertExactOneLineError(int exit, string stderr, string expected) =>
        Assert.Equal("error: " + expected, AssertOneLineError(exit, stderr, expected));
}
