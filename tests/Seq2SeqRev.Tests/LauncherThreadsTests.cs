// LauncherThreadsTests: unless the user chose (OMP_NUM_THREADS, OMP_WAIT_POLICY or GOMP_SPINCOUNT), the launcher
// (./seq2seqrev) keeps libgomp's defaults while every core is idle and otherwise runs one thread per idle core (at least
// one) with OMP_WAIT_POLICY=PASSIVE; `help` prints the settings a command would run with (no build needed). The idle
// cores are given with SEQ2SEQREV_IDLE_CORES, so the decision is tested without loading the machine.
using System.Diagnostics;
using Xunit;

namespace Seq2SeqRev.Tests;

public sealed class LauncherThreadsTests
{
    private static string Help(IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(TestFiles.RepoRoot, "seq2seqrev"));
        info.ArgumentList.Add("help");
        foreach (var name in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "SEQ2SEQREV_IDLE_CORES" }) info.Environment.Remove(name);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        return stdout.Result;
    }

    private static Dictionary<string, string?> Idle(int cores, params (string Name, string Value)[] more)
    {
        var environment = new Dictionary<string, string?> { ["SEQ2SEQREV_IDLE_CORES"] = cores.ToString() };
        foreach (var (name, value) in more) environment[name] = value;
        return environment;
    }

    [Fact]
    public void AnIdleMachineKeepsLibgompsDefaults() =>
        Assert.Contains("OpenMP: OMP_WAIT_POLICY=unset GOMP_SPINCOUNT=unset OMP_NUM_THREADS=unset", Help(Idle(Environment.ProcessorCount)));

    [Fact]
    public void ABusyMachineGetsOneSleepingThreadPerIdleCoreAndAtLeastOne()
    {
        Assert.Contains("OpenMP: OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=unset OMP_NUM_THREADS=1", Help(Idle(0)));
        if (Environment.ProcessorCount > 2)
            Assert.Contains("OpenMP: OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=unset OMP_NUM_THREADS=2", Help(Idle(2)));
    }

    [Theory]
    [InlineData("OMP_WAIT_POLICY", "ACTIVE", "OMP_WAIT_POLICY=ACTIVE GOMP_SPINCOUNT=unset OMP_NUM_THREADS=unset")]
    [InlineData("GOMP_SPINCOUNT", "300000", "OMP_WAIT_POLICY=unset GOMP_SPINCOUNT=300000 OMP_NUM_THREADS=unset")]
    [InlineData("OMP_NUM_THREADS", "2", "OMP_WAIT_POLICY=unset GOMP_SPINCOUNT=unset OMP_NUM_THREADS=2")]
    public void TheUsersSettingWinsOnABusyMachine(string name, string value, string expected) =>
        Assert.Contains("OpenMP: " + expected, Help(Idle(0, (name, value))));
}
