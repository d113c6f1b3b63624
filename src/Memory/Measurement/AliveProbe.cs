// AliveProbe: the bytes actually alive between the forward and the backward pass of training by reversal, against what
// the held accounting says is kept then — run in a fresh child process (ProbeLauncher, `memory-probe --alive`) with the
// runtime settings of ChildEnvironment (checked: a clear error without them), so that nothing else's memory moves in the
// counts. Guarantees: after two warm-up steps (gradients and every lazily made constant allocated, every method the step
// runs compiled, the hook too) and full collections with their finalizers, it reads glibc's bytes in use (arena chunks
// in use plus mmapped chunks, mallinfo2) and the managed heap's live bytes (after a full blocking collection); then, in
// the measured step, at Reversal.BetweenPasses, the same two readings after the same collections: NativeBytes and
// ManagedBytes are the differences, the bytes the step keeps reachable between the passes. NativeGarbageBytes is what
// those collections freed natively at the hook (tensors the step dropped without disposing them, waiting for a finalizer:
// reported, not compared, since how many of them a mid-step gen-0 collection has already finalized is timing).
// HeldBytes is the step's held accounting (encoder and decoder, every part) in bytes. Native counts are the allocator's
// chunk sizes (each carries a few bytes of header), so small held parts read slightly larger than they are.
// The runtime's own native memory on other threads is kept out of the window by ChildEnvironment: glibc's per-thread
// cache off; no tiered recompilation (its JIT thread mallocs during the step); and no cache of the JIT's 64 KiB scratch
// slabs (DOTNET_JitHostMaxSlabCache=0): .NET keeps up to 16 MiB of them after compiling and its finalizer thread frees
// the older ones at most every 2 s, at whatever moment it wakes: when that fell inside the measured step, the native
// delta read up to −5.5 MB (RevLSTM, under load), the baseline having counted the cache.
// Residual noise (docs/MEMORY.md "Held means alive" has the distributions): the managed reading (GC.GetTotalMemory, an
// approximation) moves by multiples of 8 KiB run to run; the native reading by a few hundred bytes.
using System.Runtime.CompilerServices;
using System.Text.Json;
using Seq2SeqRev.Training;
using Seq2SeqRev.Training.Gradients;
using TorchSharp;

namespace Seq2SeqRev.Memory;

public sealed record AliveResult(long NativeBytes, long ManagedBytes, long HeldBytes, long NativeGarbageBytes = 0)
{
    public long AliveBytes => NativeBytes + ManagedBytes;

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, long>
    {
        ["native_bytes"] = NativeBytes, ["managed_bytes"] = ManagedBytes, ["held_bytes"] = HeldBytes,
        ["native_garbage_bytes"] = NativeGarbageBytes,
    });

    public static AliveResult FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        return new AliveResult(r.GetProperty("native_bytes").GetInt64(), r.GetProperty("managed_bytes").GetInt64(),
            r.GetProperty("held_bytes").GetInt64(), r.GetProperty("native_garbage_bytes").GetInt64());
    }
}

public static class AliveProbe
{
    /// <summary>The environment the probe's child process needs (set by <see cref="ProbeLauncher.RunAlive"/>): glibc's
    /// per-thread cache off, no tiered recompilation, no cache of the JIT's scratch slabs (see the file's header).</summary>
    public static IReadOnlyDictionary<string, string> ChildEnvironment { get; } = new Dictionary<string, string>
    {
        ["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=0",
        ["DOTNET_TieredCompilation"] = "0",
        ["DOTNET_JitHostMaxSlabCache"] = "0",
    };

    public static AliveResult Run(ProbeRequest request)
    {
        if (NativeHeap.Info() is null) throw new Cli.UserError("measuring alive bytes needs glibc's mallinfo2 (Linux)");
        foreach (var (name, value) in ChildEnvironment)
            if (Environment.GetEnvironmentVariable(name) != value)
                throw new Cli.UserError($"measuring alive bytes needs the environment variable {name}={value} (ProbeLauncher.RunAlive sets it)");
        var config = request.Config;
        torch.set_num_threads(1);
        torch.manual_seed(request.Seed);
        int vocab = config.Tokenizer.VocabSize;
        using var model = TrainableModel.Create(config.Model, config.Training, vocab, vocab);
        if (model.Gradients is not Reversal reversal)
            throw new Cli.UserError($"{config.Name}: alive bytes between the passes need training.memory = reversal");
        model.Module.train();
        var batch = SyntheticBatch.Create(request.Batch, request.SeqLen, vocab, request.Seed);
        model.TrainStep(batch);                                  // warm-up: gradients and lazily made constants
        model.TrainStep(batch);                                  // a second one: blocks the first leaves to the next step
        long native0 = 0, managed0 = 0, native = 0, managed = 0, garbage = 0;
        var trace = default(AllocTrace);
        reversal.BetweenPasses = (_, _, _, _) =>
        {
            trace?.Dispose();
            var beforeCollection = NativeInUse();
            managed = GC.GetTotalMemory(forceFullCollection: true) - managed0;
            var reachable = NativeInUseSettled();
            native = reachable - native0;
            garbage = beforeCollection - reachable;
        };
        RuntimeHelpers.PrepareMethod(reversal.BetweenPasses.Method.MethodHandle);   // compiled now, not in the measured step
        // The managed reading collects and runs finalizers, which free the native memory of tensors the warm-up left to
        // them: so the native baseline is read last, after every collection (read first, it counted blocks the step
        // then appeared to free: a native delta below zero).
        Settle();
        managed0 = GC.GetTotalMemory(forceFullCollection: true);
        Settle();
        native0 = NativeInUse();
        trace = AllocTrace.Window();                              // scripts/alloc-trace, when asked for
        var step = model.TrainStep(batch);
        reversal.BetweenPasses = null;
        var heldBits = (step.Encoder?.Held ?? 0) + (step.Decoder?.Held ?? 0);
        return new AliveResult(native, managed, (long)Math.Round(heldBits / 8), garbage);
    }

    /// <summary>Three rounds of a full collection and its finalizers (a finalizer's release can leave more garbage).</summary>
    private static void Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>The native bytes in use once every finalizer due has run.</summary>
    private static long NativeInUseSettled()
    {
        Settle();
        return NativeInUse();
    }

    private static long NativeInUse()
    {
        var h = NativeHeap.Info()!.Value;
        return h.InUseBytes + h.MmappedBytes;
    }
}
