// ReproducibilityTests: the real models (RevGRU trained by reversal, GRU trained by backprop; configs/quick.yaml made
// tiny) on the sample corpus. Trained twice with one seed they end with byte-identical parameters, optimizer state and
// RNG; stopped mid-epoch and resumed from last.ckpt they end exactly as the run that never stopped: the same bytes and
// the same metric values (every field of metrics.jsonl but wall-clock time).
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Training;

[Collection(TorchRngCollection.Name)]
public sealed class ReproducibilityTests
{
    // 2000 sample pairs in batches of 256 sentences: 8 batches per epoch. Stop at step 5 (mid-epoch 1), resume to step 11
    // (past the validation of epoch 1, mid-epoch 2).
    private static readonly string[] Small = ["training.batch_size=256", "training.valid_max_sentences=16"];

    [Theory]
    [InlineData("model.cell=revgru")]
    [InlineData("model.cell=gru", "model.memory_bank=hidden", "model.slice=0")]
    public void TrainingTwiceAndResumingMidEpochAreByteIdentical(params string[] model)
    {
        using var first = new TempDir();
        using var second = new TempDir();
        using var split = new TempDir();
        var config = TrainingTestKit.Config([.. Small, .. model, "training.max_steps=11"]);
        Assert.Equal(model[0] == "model.cell=revgru" ? TrainingMemory.Reversal : TrainingMemory.Backprop, config.MemoryMode);

        var a = TrainingTestKit.Train(config, first.Path, realModel: true);
        var b = TrainingTestKit.Train(config, second.Path, realModel: true);
        Assert.Equal(StopReason.MaxSteps, a.Reason);
        AssertSameRun(Checkpoint.Load(a.LastCheckpoint), Checkpoint.Load(b.LastCheckpoint), "trained twice");
        Assert.Equal(TrainingTestKit.MetricValues(first.Path), TrainingTestKit.MetricValues(second.Path));

        var c1 = TrainingTestKit.Train(TrainingTestKit.Config([.. Small, .. model, "training.max_steps=5"]), split.Path, realModel: true);
        var middle = Checkpoint.Load(c1.LastCheckpoint);
        Assert.Equal((1, 5, 5L), (middle.State.Epoch, middle.State.NextBatch, middle.State.Step));
        var c2 = TrainingTestKit.Train(middle.Config(["training.max_steps=11"]), split.Path, middle, realModel: true);
        Assert.Equal(StopReason.MaxSteps, c2.Reason);
        var resumed = Checkpoint.Load(c2.LastCheckpoint);
        Assert.Equal(11L, resumed.State.Step);
        AssertSameRun(Checkpoint.Load(a.LastCheckpoint), resumed, "stopped at step 5 and resumed");
        var expected = TrainingTestKit.MetricValues(first.Path);
        Assert.NotEmpty(expected);   // the validation of epoch 1 happened after the resume
        Assert.Equal(expected, TrainingTestKit.MetricValues(split.Path));
        if (model[0] == "model.cell=revgru")
            Assert.NotNull(expected[0].DecSavingHeld);
    }

    private static void AssertSameRun(Checkpoint x, Checkpoint y, string what)
    {
        Assert.Equal((x.State.Epoch, x.State.NextBatch, x.State.Step), (y.State.Epoch, y.State.NextBatch, y.State.Step));
        Assert.Equal(x.State.Totals.LossSum, y.State.Totals.LossSum);
        Assert.True(x.Model.AsSpan().SequenceEqual(y.Model), $"{what}: parameters differ");
        Assert.True(x.Optimizer.AsSpan().SequenceEqual(y.Optimizer), $"{what}: optimizer state differs");
        Assert.True(x.Rng.AsSpan().SequenceEqual(y.Rng), $"{what}: RNG state differs");
    }
}
