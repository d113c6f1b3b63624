// ResidentTrace: where in a training step the resident set peaks, and of what it is made then (a diagnosis of the
// memory probe, switched on by SEQ2SEQREV_RESIDENT_TRACE=FILE). Guarantees: inert unless asked; when on, at every
// change of training phase (PhaseProfiler, switched on for the window) it reads the resident set (/proc/self/statm),
// glibc's totals (mallinfo2: arena = the heap's bytes from the system, in use, mmapped chunks) and the managed heap's
// committed bytes, relative to the window's start, and writes one line per sample plus the sample of the highest
// resident set.
using System.Globalization;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Memory;

internal sealed class ResidentTrace : IDisposable
{
    public const string Variable = "SEQ2SEQREV_RESIDENT_TRACE";
    private static readonly long PageBytes = Environment.SystemPageSize;

    private readonly string _path;
    private readonly List<string> _lines = ["sample\tphase\trss\tarena\tin_use\tmmapped\tmanaged_committed\tmanaged_heap"];
    private readonly long _rss0, _arena0, _inUse0, _mmapped0, _committed0, _heap0;
    private long _best = long.MinValue;
    private string _bestLine = "";
    private int _n;

    private ResidentTrace(string path)
    {
        _path = path;
        _rss0 = Rss();
        var h = NativeHeap.Info() ?? default;
        (_arena0, _inUse0, _mmapped0) = (h.HeapBytes, h.InUseBytes, h.MmappedBytes);
        var g = GC.GetGCMemoryInfo();
        (_committed0, _heap0) = (g.TotalCommittedBytes, GC.GetTotalMemory(false));
        PhaseProfiler.PhaseChanged = p => Sample(p?.ToString() ?? "Step");
        PhaseProfiler.Enabled = true;
    }

    public static ResidentTrace? Window() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? new ResidentTrace(path) : null;

    private static long Rss()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], CultureInfo.InvariantCulture) * PageBytes;
    }

    private void Sample(string phase)
    {
        var rss = Rss() - _rss0;
        var h = NativeHeap.Info() ?? default;
        var line = string.Join('\t', (++_n).ToString(CultureInfo.InvariantCulture), phase, rss, h.HeapBytes - _arena0, h.InUseBytes - _inUse0,
            h.MmappedBytes - _mmapped0, GC.GetGCMemoryInfo().TotalCommittedBytes - _committed0, GC.GetTotalMemory(false) - _heap0);
        _lines.Add(line);
        if (rss > _best) (_best, _bestLine) = (rss, line);
    }

    public void Dispose()
    {
        Sample("End");
        PhaseProfiler.Enabled = false;
        PhaseProfiler.PhaseChanged = null;
        PhaseProfiler.Take();
        File.WriteAllLines(_path, [$"# highest resident set: {_bestLine}", .. _lines]);
    }
}
