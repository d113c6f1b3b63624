// NativeHeap: what glibc's malloc holds for this process (mallinfo2) and handing its free pages back to the kernel
// (malloc_trim). LibTorch's CPU allocator takes tensor memory from malloc, so a training process's native heap
// is mostly tensors. glibc keeps freed memory for reuse: chunks below the mmap threshold (which glibc raises, up to
// 32 MiB, to the largest mmapped block freed) come from the heap, and only a free block at a heap's very top is
// ever returned by itself, so a heap keeps the resident high-water mark of the largest batches, fragmented by the next ones
// (docs/MEMORY.md, "Resident memory of long training runs"). malloc_trim(0) returns every whole free page of every
// arena (madvise) without moving anything. Guarantees: on Linux with glibc both calls are real; elsewhere (musl,
// macOS, Windows) IsSupported is false, Info returns null and Trim does nothing.
using System.Runtime.InteropServices;

namespace Seq2SeqRev.Memory;

/// <summary>glibc heap totals over all arenas (mallinfo2), in bytes.</summary>
/// <param name="HeapBytes">Obtained from the system for the arenas (sbrk/heaps), excluding mmapped chunks.</param>
/// <param name="InUseBytes">Allocated from the arenas.</param>
/// <param name="FreeBytes">Free in the arenas (resident or not): held for reuse.</param>
/// <param name="MmappedBytes">Allocated as separate mmapped chunks (returned to the kernel when freed).</param>
public readonly record struct HeapInfo(long HeapBytes, long InUseBytes, long FreeBytes, long MmappedBytes);

public static class NativeHeap
{
    private const string Libc = "libc.so.6";

    private static readonly Lazy<bool> Supported = new(() =>
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(Libc, out var libc)) return false;
        return NativeLibrary.TryGetExport(libc, "malloc_trim", out _) && NativeLibrary.TryGetExport(libc, "mallinfo2", out _);
    });

    public static bool IsSupported => Supported.Value;

    /// <summary>The heap totals now, or null where glibc is not the allocator.</summary>
    public static HeapInfo? Info()
    {
        if (!IsSupported) return null;
        var m = MallInfo2();
        return new HeapInfo((long)m.Arena, (long)m.UsedOrdinary, (long)m.FreeOrdinary, (long)m.MmappedBytes);
    }

    /// <summary>Returns the free pages of every arena to the kernel (malloc_trim(0)); true when some were.</summary>
    public static bool Trim() => IsSupported && MallocTrim(0) != 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2Result
    {
        public nuint Arena, OrdinaryBlocks, FastBlocks, MmappedBlocks, MmappedBytes, MaxUsed, FastFree, UsedOrdinary,
            FreeOrdinary, KeepCost;
    }

    [DllImport(Libc, EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport(Libc, EntryPoint = "mallinfo2")]
    private static extern MallInfo2Result MallInfo2();
}
