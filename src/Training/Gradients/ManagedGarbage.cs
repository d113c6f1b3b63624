// ManagedGarbage: a bound on the managed garbage a training step by reversal leaves lying between .NET's own
// collections. Each reversed step allocates thousands of small managed objects (tensor handles, closures), about
// 0.1–0.3 MB per step, and .NET's youngest generation is collected only after its budget (about 16 MB on the
// project's VM, docs/MEMORY.md "What holds the memory") has been allocated: so the resident set of a long step grew
// with the step's length by garbage alone. Guarantees: Step() is a cheap check (the thread's allocated bytes); every
// <c>mib</c> MiB allocated on this thread since the last collection it runs a blocking collection of generation 0
// (what survives is promoted; nothing the computation reads changes); mib = 0 never collects.
namespace Seq2SeqRev.Training.Gradients;

internal sealed class ManagedGarbage(int mib)
{
    private readonly long _budget = (long)mib << 20;
    private long _mark = GC.GetAllocatedBytesForCurrentThread();

    /// <summary>Collects generation 0 when this thread has allocated the budget since the last collection.</summary>
    public void Step()
    {
        if (_budget <= 0) return;
        var now = GC.GetAllocatedBytesForCurrentThread();
        if (now - _mark < _budget) return;
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        _mark = GC.GetAllocatedBytesForCurrentThread();
    }
}
