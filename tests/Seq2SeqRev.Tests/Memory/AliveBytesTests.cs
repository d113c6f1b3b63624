// AliveBytesTests: held means alive — the bytes a child process actually has alive between the forward and the backward
// pass of training by reversal (glibc's bytes in use and the managed heap's live bytes, AliveProbe) match the held
// accounting of that step within 10 % (plus 64 KiB for the bookkeeping the accounting leaves out: tensor and object
// headers, the list of the buffer's chunks). The batch is large enough (held ≈ 2 MB) that the held bytes dominate; a
// tensor alive but uncounted (the encoder's zero initial state was 48 KB per layer here) would show.
using Seq2SeqRev.Memory;
using Xunit;
using Xunit.Abstractions;

namespace Seq2SeqRev.Tests.Memory;

public sealed class AliveBytesTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("revgru")]
    [InlineData("revlstm")]
    public void BytesAliveBetweenThePassesAreTheHeldBytes(string cell)
    {
        var config = MemoryTestKit.Tiny(Path.Combine(MemoryTestKit.Configs, "default.yaml"),
            $"model.cell={cell}", "model.hidden=64", "model.embedding=32", "model.slice=16");
        var r = MemoryTestKit.Launcher.RunAlive(new ProbeRequest(config, SeqLen: 24, Batch: 768, TimedSteps: 1));
        output.WriteLine($"{cell}: native {r.NativeBytes} + managed {r.ManagedBytes} = {r.AliveBytes} bytes alive, {r.HeldBytes} held" +
            $" (native garbage at the hook {r.NativeGarbageBytes})");
        Assert.True(r.HeldBytes > 1_000_000, $"held {r.HeldBytes} bytes: too few to dominate the noise");
        Assert.InRange(r.AliveBytes, (long)(r.HeldBytes * 0.9) - 65536, (long)(r.HeldBytes * 1.1) + 65536);
    }
}
