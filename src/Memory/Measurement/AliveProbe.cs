// AliveProbe: the bytes actually alive between the forward and the backward pass of training by reversal, against what
// the held accounting says is kept then — run in a fresh child process (ProbeLauncher, `memory-probe --alive`), with
// glibc's per-thread cache off, so that nothing else's memory hides in the counts. Guarantees: after one warm-up step
// (gradients and every lazily made constant allocated) and a full collection, it reads glibc's bytes in use (arena chunks
// in use plus mmapped chunks, mallinfo2) and the managed heap's live bytes (after a full blocking collection); then, in
// the measured step, at Reversal.BetweenPasses, the native bytes first (before any collection, so tensors waiting for a
// finalizer count as alive) and the managed live bytes; NativeBytes and ManagedBytes are the differences. HeldBytes is
// the step's held accounting (encoder and decoder, every part) in bytes. Native counts are the allocator's chunk sizes
// (each carries a few bytes of header), so small held parts read slightly larger than they are.
using System.Text.Json;
using Seq2SeqRev.Training;
using Seq2SeqRev.Training.Gradients;
using TorchSharp;

namespace Seq2SeqRev.Memory;

public sealed record AliveResult(long NativeBytes, long ManagedBytes, long HeldBytes)
{
    public long AliveBytes => NativeBytes + ManagedBytes;

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, long>
    {
        ["native_bytes"] = NativeBytes, ["managed_bytes"] = ManagedBytes, ["held_bytes"] = HeldBytes,
    });

    public static AliveResult FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        return new AliveResult(r.GetProperty("native_bytes").GetInt64(), r.GetProperty("managed_bytes").GetInt64(),
            r.GetProperty("held_bytes").GetInt64());
    }
}

public static class AliveProbe
{
    public static AliveResult Run(ProbeRequest request)
    {
        if (NativeHeap.Info() is null) throw new Cli.UserError("measuring alive bytes needs glibc's mallinfo2 (Linux)");
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
        // The managed reading collects and runs finalizers, which free the native memory of tensors the warm-up left to
        // them: so the native baseline is read last, after every collection (read first, it counted blocks the step
        // then appeared to free: a native delta below zero).
        Settle();
        var managed0 = GC.GetTotalMemory(forceFullCollection: true);
        Settle();
        var native0 = NativeInUse();
        long native = 0, managed = 0;
        var trace = AllocTrace.Window();                          // scripts/alloc-trace, when asked for
        reversal.BetweenPasses = (_, _, _, _) =>
        {
            trace?.Dispose();
            native = NativeInUse() - native0;
            managed = GC.GetTotalMemory(forceFullCollection: true) - managed0;
        };
        var step = model.TrainStep(batch);
        reversal.BetweenPasses = null;
        var heldBits = (step.Encoder?.Held ?? 0) + (step.Decoder?.Held ?? 0);
        return new AliveResult(native, managed, (long)Math.Round(heldBits / 8));
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

    private static long NativeInUse()
    {
        var h = NativeHeap.Info()!.Value;
        return h.InUseBytes + h.MmappedBytes;
    }
}
