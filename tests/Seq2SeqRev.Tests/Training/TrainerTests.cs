// TrainerTests: the training loop with TinyTestModel on the sample corpus — it learns (validation loss drops),
// writes its outputs (config.yaml, train.log, metrics.jsonl with every field, TensorBoard events, checkpoints),
// resumes bit-identically from a mid-epoch last.ckpt (parameters byte for byte, every metric value but wall-clock time),
// and stops after the current batch when cancelled. The real models: ReproducibilityTests.
using System.Text.Json;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Training;

public sealed class TrainedRunFixture : IDisposable
{
    private readonly TempDir _dir = new();
    public string RunDir => _dir.Path;
    public TrainResult Result { get; }

    public TrainedRunFixture() =>
        Result = TrainingTestKit.Train(TrainingTestKit.Config("training.epochs=3"), _dir.Path);

    public void Dispose() => _dir.Dispose();
}

[Collection(TorchRngCollection.Name)]
public sealed class TrainerTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private string RunFile(string name) => Path.Combine(run.RunDir, name);

    private List<JsonElement> Metrics() => File.ReadAllLines(RunFile("metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void TrainingReducesValidationLoss()
    {
        Assert.Equal(StopReason.Completed, run.Result.Reason);
        var metrics = Metrics();
        Assert.Equal(3, metrics.Count);
        double first = metrics[0].GetProperty("val_loss").GetDouble(), last = metrics[^1].GetProperty("val_loss").GetDouble();
        Assert.True(last < first * 0.9, $"validation loss {first} -> {last}");
        Assert.True(metrics[^1].GetProperty("val_ppl").GetDouble() < metrics[0].GetProperty("val_ppl").GetDouble());
    }

    [Fact]
    public void MetricsLinesHaveAllFields()
    {
        foreach (var (line, i) in Metrics().Select((m, i) => (m, i)))
        {
            foreach (var field in MetricsWriter.Fields) Assert.True(line.TryGetProperty(field, out _), $"line {i} lacks {field}");
            Assert.Equal(i + 1, line.GetProperty("epoch").GetInt32());
            Assert.True(line.GetProperty("step").GetInt64() > 0);
            Assert.True(line.GetProperty("val_bleu").GetDouble() >= 0);
            Assert.True(line.GetProperty("tokens_per_second").GetDouble() > 0);
            Assert.Equal(0.01, line.GetProperty("lr").GetDouble(), 12);
            // TinyTestModel reports no memory statistics.
            Assert.Equal(JsonValueKind.Null, line.GetProperty("enc_saving_actual").ValueKind);
            Assert.Equal(JsonValueKind.Null, line.GetProperty("dec_saving_optimal").ValueKind);
        }
    }

    [Fact]
    public void RunDirHoldsConfigLogTensorBoardAndCheckpoints()
    {
        var config = Seq2SeqRev.Runs.Config.ConfigLoader.Load(RunFile("config.yaml"));
        Assert.Equal(TrainingTestKit.Config("training.epochs=3"), config);
        Assert.Contains("val ppl", File.ReadAllText(RunFile("train.log")));
        Assert.NotEmpty(Directory.GetFiles(RunFile("tensorboard"), "events.out.tfevents.*"));
        var last = Checkpoint.Load(RunFile("last.ckpt"));
        Assert.Equal(4, last.State.Epoch);
        Assert.Equal("finished 3 epochs", last.State.FinishedReason);
        Assert.Equal(config, last.Config());
        var best = Checkpoint.Load(RunFile("best.ckpt"));
        Assert.Equal(last.State.BestPerplexity, best.State.BestPerplexity);
    }

    [Fact]
    public void ResumingAFinishedRunDoesNothing()
    {
        var last = Checkpoint.Load(RunFile("last.ckpt"));
        using var dir = new TempDir();
        var result = TrainingTestKit.Train(last.Config(), dir.Path, last);
        Assert.Equal(StopReason.AlreadyFinished, result.Reason);
    }
}

[Collection(TorchRngCollection.Name)]
public sealed class ResumeTests
{
    [Fact]
    public void ResumeFromMidEpochIsBitIdentical()
    {
        // 2000 sample pairs / 64 = 32 batches per epoch: 20 stops mid-epoch 1, 40 runs past a validation.
        using var whole = new TempDir();
        using var split = new TempDir();
        var a = TrainingTestKit.Train(TrainingTestKit.Config("training.max_steps=40"), whole.Path);
        Assert.Equal(StopReason.MaxSteps, a.Reason);

        var b1 = TrainingTestKit.Train(TrainingTestKit.Config("training.max_steps=20"), split.Path);
        Assert.Equal(StopReason.MaxSteps, b1.Reason);
        var middle = Checkpoint.Load(b1.LastCheckpoint);
        Assert.Equal((1, 20, 20L), (middle.State.Epoch, middle.State.NextBatch, middle.State.Step));
        var b2 = TrainingTestKit.Train(middle.Config(["training.max_steps=40"]), split.Path, middle);
        Assert.Equal(StopReason.MaxSteps, b2.Reason);

        var ca = Checkpoint.Load(a.LastCheckpoint);
        var cb = Checkpoint.Load(b2.LastCheckpoint);
        Assert.Equal((ca.State.Epoch, ca.State.NextBatch, ca.State.Step), (cb.State.Epoch, cb.State.NextBatch, cb.State.Step));
        Assert.Equal(ca.State.BestPerplexity, cb.State.BestPerplexity);
        Assert.Equal(ca.State.Totals.LossSum, cb.State.Totals.LossSum);
        Assert.Equal(ca.Optimizer, cb.Optimizer);
        Assert.Equal(ca.Rng, cb.Rng);

        var config = TrainingTestKit.Config();
        var vocab = ca.Tokenizers().Source.VocabSize;
        using var ra = TinyTestModel.Create(config.Model, config.Training, vocab, vocab);
        using var rb = TinyTestModel.Create(config.Model, config.Training, vocab, vocab);
        ca.RestoreModel(ra.Module);
        cb.RestoreModel(rb.Module);
        var pa = ra.Module.named_parameters().ToList();
        var pb = rb.Module.named_parameters().ToList();
        Assert.Equal(pa.Select(p => p.name), pb.Select(p => p.name));
        foreach (var ((name, x), (_, y)) in pa.Zip(pb))
            Assert.True(x.bytes.SequenceEqual(y.bytes), $"parameter {name} differs after resume");
        var expected = TrainingTestKit.MetricValues(whole.Path);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, TrainingTestKit.MetricValues(split.Path));
    }

    [Fact]
    public void CancellationStopsAfterTheCurrentBatchAndSavesLast()
    {
        using var dir = new TempDir();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var result = TrainingTestKit.Train(TrainingTestKit.Config(), dir.Path, cancel: cancel.Token);
        Assert.Equal(StopReason.Interrupted, result.Reason);
        var last = Checkpoint.Load(result.LastCheckpoint);
        Assert.Equal((1, 1, 1L), (last.State.Epoch, last.State.NextBatch, last.State.Step));
        Assert.Null(last.State.FinishedReason);
    }
}
