// LauncherThreadsTests: the launcher (./seq2seqrev) starts every command with OMP_WAIT_POLICY=PASSIVE unless the user
// chose a libgomp wait policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT), and leaves OMP_NUM_THREADS alone; `help` prints the
// settings the commands would run with (no build needed).
using System.Diagnostics;
using Seq2SeqRev.Tests.Data;
using Xunit;

namespace Seq2SeqRev.Tests;

public sealed class LauncherThreadsTests
{
    private static string Help(IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(TestFiles.RepoRoot, "seq2seqrev"));
        info.ArgumentList.Add("help");
        foreach (var name in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS" }) info.Environment.Remove(name);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        return stdout.Result;
    }

    [Fact]
    public void PassiveByDefault() =>
        Assert.Contains("OpenMP: OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=unset OMP_NUM_THREADS=unset", Help(new Dictionary<string, string?>()));

    [Theory]
    [InlineData("OMP_WAIT_POLICY", "ACTIVE", "OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=unset")]
    [InlineData("GOMP_SPINCOUNT", "300000", "OMP_WAIT_POLICY=unset GOMP_SPINCOUNT=300000")]
    [InlineData("OMP_NUM_THREADS", "1", "OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=unset OMP_NUM_THREADS=1")]
    public void TheUsersSettingWins(string name, string value, string expected) =>
        Assert.Contains("OpenMP: " + expected, Help(new Dictionary<string, string?> { [name] = value }));
}
