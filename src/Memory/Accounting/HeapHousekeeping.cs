// HeapHousekeeping: the trainer's resident-memory housekeeping. Nothing leaks in training (live tensors and the glibc
// heap's bytes in use stay flat), but two allocators keep freed memory resident: glibc keeps the pages of freed
// tensors for reuse (see NativeHeap), and .NET keeps the regions of the large buffers that saving a checkpoint
// allocates. So after a training batch that ends with the resident set more than TrimSlack above where the last
// housekeeping left it, this hands glibc's free pages back to the kernel (NativeHeap.Trim), and at the end of each
// epoch (validation and checkpoints done) it also runs an aggressive full GC, which decommits .NET's free regions.
// Not after every batch: the next batch faults the pages back in, which costs CPU time on every step
// (docs/MEMORY.md, "Resident memory of long training runs", measures all of this).
// Environment: SEQ2SEQREV_MALLOC_TRIM=off (or 0) turns all of it off and =always trims after every batch (both to
// measure); SEQ2SEQREV_MEMORY_TRACE=FILE appends one tab-separated line per call (columns in TraceHeader): the
// resident set before and after, the glibc heap totals before, live TorchSharp tensors, the managed heap (live
// bytes, and committed bytes at the last GC) and the housekeeping's duration ("-" when it did nothing).
// Guarantees: no effect on the computation (nothing is moved but free memory); glibc calls only where glibc is the
// allocator (Linux); the trace only where /proc and glibc exist.
using System.Diagnostics;
using System.Globalization;
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Memory;

/// <summary>When <see cref="HeapHousekeeping"/> returns free memory to the kernel.</summary>
public enum TrimPolicy
{
    /// <summary>Never (the behaviour of earlier builds).</summary>
    Off,
    /// <summary>After a batch that grew the resident set by more than <see cref="HeapHousekeeping.TrimSlack"/> since
    /// the last housekeeping, and after every epoch. The default.</summary>
    WhenGrown,
    /// <summary>After every batch and every epoch.</summary>
    Always,
}

public sealed class HeapHousekeeping : IDisposable
{
    public const string TrimVariable = "SEQ2SEQREV_MALLOC_TRIM", TraceVariable = "SEQ2SEQREV_MEMORY_TRACE";
    public const string TraceHeader = "seconds\tstep\tevent\trss_mib\trss_after_trim_mib\theap_mib\theap_in_use_mib\theap_free_mib\tmmapped_mib\tlive_tensors\tmanaged_mib\tmanaged_committed_mib\ttrim_ms";

    /// <summary>How far the resident set after a batch may exceed its level after the last housekeeping.</summary>
    public const long TrimSlack = 512L << 20;

    private readonly TrimPolicy _policy;
    private readonly StreamWriter? _trace;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _afterLastTrim = -1;

    public HeapHousekeeping(TrimPolicy policy, string? tracePath)
    {
        _policy = policy;
        if (string.IsNullOrEmpty(tracePath) || !NativeHeap.IsSupported || !ProcessMemory.IsSupported) return;
        bool fresh = !File.Exists(tracePath) || new FileInfo(tracePath).Length == 0;
        _trace = new StreamWriter(tracePath, append: true) { AutoFlush = true };
        if (fresh) _trace.WriteLine(TraceHeader);
    }

    public TrimPolicy Policy => _policy;

    /// <summary>The policy SEQ2SEQREV_MALLOC_TRIM names (unset or empty: WhenGrown); null for any other value.</summary>
    public static TrimPolicy? ParsePolicy(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "grown" => TrimPolicy.WhenGrown,
        "off" or "0" => TrimPolicy.Off,
        "always" => TrimPolicy.Always,
        _ => null,
    };

    /// <summary>The housekeeping the environment asks for; an unknown SEQ2SEQREV_MALLOC_TRIM value is a one-line
    /// <see cref="UserError"/>.</summary>
    public static HeapHousekeeping FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(TrimVariable);
        var policy = ParsePolicy(value)
            ?? throw new UserError($"{TrimVariable}={value}: expected off, grown or always");
        return new HeapHousekeeping(policy, Environment.GetEnvironmentVariable(TraceVariable));
    }

    /// <summary>After a training batch (<paramref name="step"/> = the step it completed).</summary>
    public void AfterBatch(long step) => Housekeep(step, "batch", _policy switch
    {
        TrimPolicy.Always => true,
        TrimPolicy.WhenGrown => NativeHeap.IsSupported && ProcessMemory.IsSupported
            && (_afterLastTrim < 0 || ProcessMemory.ResidentBytes() > _afterLastTrim + TrimSlack),
        _ => false,
    });

    /// <summary>After the epoch's validation and checkpoints: an aggressive full GC and a trim, unless off.</summary>
    public void AfterEpoch(long step) => Housekeep(step, "epoch", _policy != TrimPolicy.Off, collect: _policy != TrimPolicy.Off);

    private void Housekeep(long step, string what, bool trim, bool collect = false)
    {
        if (_trace is null)
        {
            _ = Release(trim, collect);
            return;
        }
        long rss = ProcessMemory.ResidentBytes();
        var heap = NativeHeap.Info()!.Value;
        long start = Stopwatch.GetTimestamp();
        bool released = Release(trim, collect);
        double trimMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);
        _trace.WriteLine(string.Join('\t',
            Stopwatch.GetElapsedTime(_start).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
            step.ToString(CultureInfo.InvariantCulture), what, Mib(rss), released ? Mib(_afterLastTrim) : Mib(rss),
            Mib(heap.HeapBytes), Mib(heap.InUseBytes), Mib(heap.FreeBytes), Mib(heap.MmappedBytes),
            TorchSharp.torch.Tensor.TotalCount.ToString(CultureInfo.InvariantCulture), Mib(GC.GetTotalMemory(false)),
            Mib(GC.GetGCMemoryInfo().TotalCommittedBytes),
            released ? trimMs.ToString("F2", CultureInfo.InvariantCulture) : "-"));
    }

    /// <summary>Collects and/or trims as asked; true when it did anything.</summary>
    private bool Release(bool trim, bool collect)
    {
        // Aggressive: a blocking compacting gen-2 collection that also decommits the free regions.
        if (collect) GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (trim && NativeHeap.IsSupported) NativeHeap.Trim();
        if (!trim && !collect) return false;
        if (ProcessMemory.IsSupported) _afterLastTrim = ProcessMemory.ResidentBytes();
        return true;
    }

    public void Dispose() => _trace?.Dispose();
}
