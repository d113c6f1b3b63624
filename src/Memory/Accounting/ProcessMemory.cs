// ProcessMemory: the process's resident memory from /proc/self/status (Linux). Guarantees: ResetPeak makes
// the kernel's peak resident set (VmHWM) restart from the current resident set (writes "5" to
// /proc/self/clear_refs), so PeakResidentBytes afterwards is the highest resident set since that call.
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Memory;

public static class ProcessMemory
{
    private const string Status = "/proc/self/status", ClearRefs = "/proc/self/clear_refs";

    public static bool IsSupported => File.Exists(Status) && File.Exists(ClearRefs);

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long ResidentBytes() => Field("VmRSS");

    /// <summary>Peak resident set size (VmHWM) in bytes since the start or the last <see cref="ResetPeak"/>.</summary>
    public static long PeakResidentBytes() => Field("VmHWM");

    public static void ResetPeak() => File.WriteAllText(ClearRefs, "5");

    /// <summary>Fails with a one-line UserError where /proc is missing (measurement needs Linux).</summary>
    public static void RequireSupported()
    {
        if (!IsSupported) throw new UserError("measuring memory needs Linux /proc/self/status and /proc/self/clear_refs (use --no-measure)");
    }

    private static long Field(string name)
    {
        foreach (var line in File.ReadLines(Status))
        {
            if (!line.StartsWith(name + ":", StringComparison.Ordinal)) continue;
            var parts = line[(name.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024; // "kB"
        }
        throw new InvalidOperationException($"{Status} has no {name} line");
    }
}
