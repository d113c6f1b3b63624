// MeasurementValidationTests: the measurement method sees a known allocation — a 200 MB tensor of ones made
// inside the measured window of a probe shows up in its peak within 5 %; the probe runs in a child process.
using Seq2SeqRev.Memory;
using Xunit;

namespace Seq2SeqRev.Tests.Memory;

public sealed class MeasurementValidationTests
{
    [Fact]
    public void KnownExtraAllocationShowsUpWithinFivePercent()
    {
        var config = MemoryTestKit.Tiny(System.IO.Path.Combine(MemoryTestKit.Configs, "quick.yaml"));
        const long extra = 200L * 1000 * 1000;
        var launcher = MemoryTestKit.Launcher;
        var plain = launcher.Run(new ProbeRequest(config, SeqLen: 8, Batch: 4, TimedSteps: 1));
        var withExtra = launcher.Run(new ProbeRequest(config, SeqLen: 8, Batch: 4, TimedSteps: 1, ExtraBytes: extra));
        long seen = withExtra.PeakBytes - plain.PeakBytes;
        Assert.True(plain.PeakBytes > 0, $"no activation memory measured: {plain}");
        Assert.InRange(seen, (long)(extra * 0.95), (long)(extra * 1.05));
    }

    [Fact]
    public void PeakResetFollowsCurrentResidentSet()
    {
        Assert.True(ProcessMemory.IsSupported);
        var buffer = new byte[64 << 20];
        for (int i = 0; i < buffer.Length; i += 4096) buffer[i] = 1;   // touch every page
        GC.KeepAlive(buffer);
        buffer = null!;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        ProcessMemory.ResetPeak();
        long peak = ProcessMemory.PeakResidentBytes(), now = ProcessMemory.ResidentBytes();
        Assert.InRange(peak - now, -(8L << 20), 8L << 20);
    }
}
