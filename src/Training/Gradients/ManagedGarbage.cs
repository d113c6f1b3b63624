// ManagedGarbage: optional forced collections of the managed heap's youngest generation during a training step by
// reversal (training.reversal_gc_mib; off by default: forcing them promotes what the step still references, and they
// did not lower the measured peak at T = 200, docs/MEMORY.md). Guarantees: Step() is a cheap check (the thread's allocated bytes since
// construction or the last collection); every <c>mib</c> MiB allocated on this thread it runs a blocking collection of
// generation 0 (what survives is promoted; nothing the computation reads changes); mib = 0 never collects.
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
