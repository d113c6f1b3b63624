// TensorSpans: zero-copy spans over the memory of contiguous CPU tensors, for the fused kernels (ForgettingKernels).
// Guarantees: a span is valid only while its tensor is alive (callers keep the tensor referenced across the kernel
// call, e.g. with GC.KeepAlive); Dense never copies a tensor that is already contiguous, and a copy it makes is handed
// back for the caller to dispose; wrong dtypes and non-CPU tensors are ArgumentExceptions, never silent conversions.
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

internal static class TensorSpans
{
    /// <summary>The active rows (bool [rows], contiguous, CPU) as one byte per row, or empty for null (all rows).</summary>
    public static ReadOnlySpan<byte> ActiveRows(Tensor? active)
    {
        if (active is null) return default;
        if (active.device_type != DeviceType.CPU) throw new ArgumentException("the fused kernels need CPU tensors");
        if (!active.is_contiguous()) throw new ArgumentException("active must be contiguous");
        return active.bytes;
    }

    /// <summary><paramref name="t"/> itself when it is a contiguous CPU tensor of <paramref name="type"/>, else a
    /// contiguous copy (kept in <paramref name="copy"/> for the caller to dispose).</summary>
    public static Tensor Dense(Tensor t, ScalarType type, ref Tensor? copy)
    {
        if (t.dtype != type) throw new ArgumentException($"expected a {type} tensor, got {t.dtype}");
        if (t.device_type != DeviceType.CPU) throw new ArgumentException("the fused kernels need CPU tensors");
        if (t.is_contiguous()) return t;
        copy = t.contiguous();
        return copy;
    }

    /// <summary>Zero-copy view of a contiguous CPU tensor's elements (valid while the tensor is alive).</summary>
    public static Span<T> Elements<T>(Tensor t) where T : unmanaged => MemoryMarshal.Cast<byte, T>(t.bytes);
}
