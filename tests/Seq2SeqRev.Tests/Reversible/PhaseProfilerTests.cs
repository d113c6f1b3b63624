// PhaseProfilerTests: the phase profile of a training step by reversal (src/Reversible/PhaseProfiler.cs). With
// profiling on, every phase of a real reversal step is recorded, none is negative and together they fit inside the
// measured step; with profiling off nothing is recorded; nested phases count exclusively and Rebuild takes the stack
// of the enclosing reversal.
using System.Diagnostics;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Tests.Model.Seq2Seq;
using Seq2SeqRev.Tests.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Reversible;

[Collection(TorchRngCollection.Name)]
public sealed class PhaseProfilerTests
{
    // Every phase a reversal step records (the rebuild evaluates each gate once and keeps it: there is no replay).
    private static readonly Phase[] ReversalPhases =
    [
        Phase.Forward, Phase.Bank, Phase.DecoderRebuild, Phase.Attention, Phase.Backward,
        Phase.DecoderReverse, Phase.BankGradient, Phase.EncoderRebuild, Phase.EncoderReverse,
    ];

    [Fact]
    public void ReversalStepPhasesAreNonNegativeAndWithinTheStep()
    {
        using var model = Seq2SeqTestKit.Create(Seq2SeqTestKit.Config("revgru", "emb+slice"), "reversal", seed: 3);
        model.Module.train();
        var batch = Seq2SeqTestKit.RandomBatch(5);
        model.TrainStep(batch);   // warm-up, unprofiled
        PhaseProfiler.Take();
        PhaseProfiler.Enabled = true;
        long start = Stopwatch.GetTimestamp();
        try { model.TrainStep(batch); }
        finally { PhaseProfiler.Enabled = false; }
        double step = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var totals = PhaseProfiler.Take();

        foreach (var phase in Enum.GetValues<Phase>()) Assert.True(totals.Seconds(phase) >= 0, $"{phase}: {totals.Seconds(phase)}");
        foreach (var phase in ReversalPhases) Assert.True(totals.Count(phase) > 0, $"{phase} not recorded");
        Assert.Equal(0, totals.Count(Phase.Rebuild));   // resolved to the decoder's or encoder's
        Assert.True(totals.TotalSeconds <= step, $"phases {totals.TotalSeconds} s > step {step} s");
    }

    [Fact]
    public void NothingIsRecordedWhenOff()
    {
        using var model = Seq2SeqTestKit.Create(Seq2SeqTestKit.Config("revgru", "emb+slice"), "reversal", seed: 3);
        model.Module.train();
        PhaseProfiler.Enabled = false;
        PhaseProfiler.Take();
        model.TrainStep(Seq2SeqTestKit.RandomBatch(5));
        var totals = PhaseProfiler.Take();
        Assert.True(totals.IsEmpty);
        Assert.Equal(0, totals.TotalSeconds);
        Assert.False(PhaseProfiler.Enabled);
    }

    [Fact]
    public void NestedPhasesAreExclusiveAndRelativePhasesFollowTheirStack()
    {
        PhaseProfiler.Take();
        PhaseProfiler.Enabled = true;
        long start = Stopwatch.GetTimestamp();
        try
        {
            using (PhaseProfiler.Measure(Phase.DecoderReverse))
            {
                Spin();
                using (PhaseProfiler.Measure(Phase.Rebuild))
                using (PhaseProfiler.Measure(Phase.Backward)) Spin();
            }
            using (PhaseProfiler.Measure(Phase.EncoderReverse))
            using (PhaseProfiler.Measure(Phase.Rebuild)) Spin();
            using (PhaseProfiler.Measure(Phase.Rebuild)) Spin();   // outside any reversal: stays Rebuild
        }
        finally { PhaseProfiler.Enabled = false; }
        double outer = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var totals = PhaseProfiler.Take();
        Assert.Equal(1, totals.Count(Phase.DecoderReverse));
        Assert.Equal(1, totals.Count(Phase.DecoderRebuild));
        Assert.Equal(1, totals.Count(Phase.Backward));
        Assert.Equal(1, totals.Count(Phase.EncoderReverse));
        Assert.Equal(1, totals.Count(Phase.EncoderRebuild));
        Assert.Equal(1, totals.Count(Phase.Rebuild));
        Assert.True(totals.TotalSeconds <= outer);
        foreach (var phase in Enum.GetValues<Phase>()) Assert.True(totals.Seconds(phase) >= 0);
        Assert.True(PhaseProfiler.Take().IsEmpty);   // Take clears
    }

    [Fact]
    public void MeasureIsANoOpWhenOff()
    {
        PhaseProfiler.Enabled = false;
        PhaseProfiler.Take();
        using (PhaseProfiler.Measure(Phase.Forward)) Spin();
        Assert.True(PhaseProfiler.Take().IsEmpty);
    }

    private static void Spin()
    {
        long until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000;
        while (Stopwatch.GetTimestamp() < until) { }
    }
}
