// ProbeLauncher: runs each ActivationProbe in its own child process — the Train executable re-invoked with the
// hidden `memory-probe` subcommand — so that one measurement's allocations cannot hide in another's freed
// memory (ActivationProbe, or AliveProbe with RunAlive). Guarantees: the config travels as a temporary YAML file (deleted afterwards); the child runs with a
// fixed glibc mmap threshold (64 KiB), so large tensors are mapped and unmapped and the resident set follows
// live memory (the alive probe: AliveProbe.ChildEnvironment); a failing child is reported with its
// last stderr line.
using System.Diagnostics;
using System.Globalization;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Memory;

public sealed class ProbeLauncher(string trainDll)
{
    public const string Command = "memory-probe";

    public string TrainDll { get; } = trainDll;

    public ProbeResult Run(ProbeRequest request) => ProbeResult.FromJson(RunChild(request, alive: false));

    /// <summary>The alive-bytes measurement (<see cref="AliveProbe"/>) in a child process, glibc's thread cache off.</summary>
    public AliveResult RunAlive(ProbeRequest request) => AliveResult.FromJson(RunChild(request, alive: true));

    private string RunChild(ProbeRequest request, bool alive)
    {
        var dir = Path.Combine(Path.GetTempPath(), "s2sr-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var configPath = Path.Combine(dir, "config.yaml");
            ConfigWriter.Save(request.Config, configPath);
            var info = new ProcessStartInfo(DotnetHost())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.Environment["MALLOC_MMAP_THRESHOLD_"] = "65536";
            // The alive probe's runtime settings (AliveProbe.ChildEnvironment, reasons in AliveProbe.cs): glibc's thread
            // cache off, no background recompilation, no cache of the JIT's scratch slabs.
            if (alive) foreach (var (name, value) in AliveProbe.ChildEnvironment) info.Environment[name] = value;
            var c = CultureInfo.InvariantCulture;
            foreach (var a in new[]
            {
                TrainDll, Command, "--config", configPath, "--seq-len", request.SeqLen.ToString(c), "--batch", request.Batch.ToString(c),
                "--steps", request.TimedSteps.ToString(c), "--extra-bytes", request.ExtraBytes.ToString(c), "--seed", request.Seed.ToString(c),
            }) info.ArgumentList.Add(a);
            if (alive) info.ArgumentList.Add("--alive");
            using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start dotnet");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                var last = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
                throw new InvalidOperationException($"memory probe of {request.Config.Name} at T={request.SeqLen} failed (exit {process.ExitCode}): {last}");
            }
            return stdout.Trim();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The running dotnet host when this process is one, else "dotnet" from PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
}
