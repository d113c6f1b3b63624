// EpochResumeTests: resuming at an epoch boundary is exact, and training.keep_checkpoints keeps the newest epoch
// checkpoints. The real models (each cell, configs/quick.yaml made tiny, sample corpus) train 2 epochs straight, and
// 1 epoch, stopped as SIGTERM stops it after that epoch's validation, resumed from last.ckpt with the checkpoint's own
// config (as `train --resume` does) for the second: last.ckpt, best.ckpt and every kept epoch-NN.ckpt agree byte for
// byte in parameters, optimizer state and RNG, the trainer state (position, learning rate, best perplexity, the decay
// and early-stopping counters) is equal, and so is every metrics.jsonl value but wall-clock time. The schedule is set so
// that it acts: lr_patience 0 and an lr_decay, so a validation without improvement decays the learning rate.
using Seq2SeqRev.Runs;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Training;

[Collection(TorchRngCollection.Name)]
public sealed class EpochResumeTests
{
    // 2000 sample pairs in batches of 500 sentences: 4 batches per epoch.
    private static readonly string[] Small =
    [
        "training.batch_size=500", "training.valid_max_sentences=8", "training.epochs=3", "training.keep_checkpoints=2",
        "training.lr_patience=0", "training.lr_decay=0.5", "training.early_stopping=2", "training.learning_rate=0.05",
    ];

    /// <summary>Cancels <see cref="Token"/> when the batches of <paramref name="epoch"/> are done, so the trainer stops
    /// after that epoch's validation and checkpoints, as a SIGTERM arriving in its validation would.</summary>
    private sealed class StopAfterEpoch(int epoch) : ITrainingProgress, IDisposable
    {
        private readonly CancellationTokenSource _cancel = new();
        public CancellationToken Token => _cancel.Token;
        public bool IsLive => false;

        public void RunEpoch(int e, int totalBatches, int startBatch, Action<Action<ProgressInfo>> body)
        {
            body(_ => { });
            if (e == epoch) _cancel.Cancel();
        }

        public void Dispose() => _cancel.Dispose();
    }

    [Theory]
    [InlineData("model.cell=revgru")]
    [InlineData("model.cell=revlstm")]
    [InlineData("model.cell=gru", "model.memory_bank=hidden", "model.slice=0")]
    [InlineData("model.cell=lstm", "model.memory_bank=hidden", "model.slice=0")]
    public void StoppedAfterAnEpochAndResumedEqualsTrainingStraight(params string[] model)
    {
        using var straight = new TempDir();
        using var split = new TempDir();
        var config = TrainingTestKit.Config([.. Small, .. model]);
        var a = TrainingTestKit.Train(config, straight.Path, realModel: true);
        Assert.NotEqual(StopReason.Interrupted, a.Reason);

        using var stop = new StopAfterEpoch(1);
        var first = Trainer.Run(new TrainerOptions
        {
            Config = config, RunDir = split.Path, ManifestDir = TrainingTestKit.ManifestDir, Progress = stop,
            Cancel = stop.Token,
        });
        Assert.Equal(StopReason.Interrupted, first.Reason);
        var middle = Checkpoint.Load(first.LastCheckpoint);
        Assert.Equal((2, 0), (middle.State.Epoch, middle.State.NextBatch));
        var b = TrainingTestKit.Train(middle.Config(), split.Path, middle, realModel: true);
        Assert.Equal(a.Reason, b.Reason);

        var x = Checkpoint.Load(a.LastCheckpoint);
        var y = Checkpoint.Load(b.LastCheckpoint);
        Assert.Equal(x.State, y.State);
        Assert.True(x.State.Epoch > 2, "the run ended before its second epoch");
        AssertSameTensors(x, y, "last.ckpt");
        AssertSameTensors(Checkpoint.Load(a.BestCheckpoint), Checkpoint.Load(b.BestCheckpoint), "best.ckpt");
        var kept = EpochCheckpoints.List(straight.Path);
        Assert.Equal(EpochCheckpoints.List(split.Path).Select(e => e.Epoch), kept.Select(e => e.Epoch));
        Assert.Equal(Enumerable.Range(x.State.Epoch - 2, 2), kept.Select(e => e.Epoch));
        foreach (var (epoch, path) in kept)
            AssertSameTensors(Checkpoint.Load(path), Checkpoint.Load(Path.Combine(split.Path, EpochCheckpoints.FileName(epoch))),
                EpochCheckpoints.FileName(epoch));
        AssertSameTensors(x, Checkpoint.Load(kept[^1].Path), "the newest epoch checkpoint against last.ckpt");

        var expected = TrainingTestKit.MetricValues(straight.Path);
        Assert.Equal(x.State.Epoch - 1, expected.Count);
        Assert.Equal(expected, TrainingTestKit.MetricValues(split.Path));
    }

    [Fact]
    public void KeepsTheNewestEpochCheckpointsOnly()
    {
        using var dir = new TempDir();
        var result = TrainingTestKit.Train(TrainingTestKit.Config("training.epochs=4", "training.keep_checkpoints=3",
            "training.early_stopping=0", "training.min_learning_rate=0"), dir.Path);
        Assert.Equal(StopReason.Completed, result.Reason);
        Assert.Equal([2, 3, 4], EpochCheckpoints.List(dir.Path).Select(e => e.Epoch));
        Assert.Equal(["epoch-02.ckpt", "epoch-03.ckpt", "epoch-04.ckpt"],
            Directory.GetFiles(dir.Path, "epoch-*").Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        var epoch3 = Checkpoint.Load(Path.Combine(dir.Path, "epoch-03.ckpt"));
        Assert.Equal((4, 0), (epoch3.State.Epoch, epoch3.State.NextBatch));   // saved after epoch 3's validation
    }

    [Fact]
    public void KeepsNoEpochCheckpointByDefault()
    {
        using var dir = new TempDir();
        TrainingTestKit.Train(TrainingTestKit.Config("training.epochs=1"), dir.Path);
        Assert.Empty(EpochCheckpoints.List(dir.Path));
        Assert.True(File.Exists(Path.Combine(dir.Path, "last.ckpt")));
    }

    /// <summary>A run killed after a validation but before its checkpoint repeats that epoch when resumed; its metrics.jsonl
    /// then holds each validation once, as the run that was never stopped.</summary>
    [Fact]
    public void ResumeDropsValidationsLoggedAfterTheCheckpoint()
    {
        using var straight = new TempDir();
        using var split = new TempDir();
        TrainingTestKit.Train(TrainingTestKit.Config("training.epochs=2"), straight.Path);
        var first = TrainingTestKit.Train(TrainingTestKit.Config("training.epochs=2", "training.max_steps=20"), split.Path);
        var middle = Checkpoint.Load(first.LastCheckpoint);
        Assert.Equal((1, 20), (middle.State.Epoch, middle.State.NextBatch));
        var metrics = Path.Combine(split.Path, MetricsWriter.FileName);
        File.AppendAllText(metrics, File.ReadAllLines(Path.Combine(straight.Path, MetricsWriter.FileName))[0] + "\n");
        TrainingTestKit.Train(middle.Config(["training.max_steps=0"]), split.Path, middle);
        Assert.Equal(TrainingTestKit.MetricValues(straight.Path), TrainingTestKit.MetricValues(split.Path));
    }

    private static void AssertSameTensors(Checkpoint x, Checkpoint y, string what)
    {
        Assert.True(x.Model.AsSpan().SequenceEqual(y.Model), $"{what}: parameters differ");
        Assert.True(x.Optimizer.AsSpan().SequenceEqual(y.Optimizer), $"{what}: optimizer state differs");
        Assert.True(x.Rng.AsSpan().SequenceEqual(y.Rng), $"{what}: RNG state differs");
    }
}
