// Trainer: the training loop of `seq2seqrev train`, in named steps. Per batch (TrainBatch): train mode, zero grads,
// TrainStep, clip the gradient norm, optimizer step (Optimizers/: every Scalar held). Per epoch (EndEpoch):
// validation (loss/perplexity over the validation set, sacreBLEU of greedy or beam translations), lr decay when
// perplexity did not improve for more than lr_patience validations, best.ckpt on improvement, last.ckpt always (and
// epoch-NN.ckpt, the newest training.keep_checkpoints of them, when that is set).
// After batches and epochs, HeapHousekeeping hands free memory back to the kernel (src/Memory/Accounting/HeapHousekeeping.cs).
// Stops at training.epochs, training.max_steps, early stopping, lr < min_learning_rate or cancellation (after the
// current batch; last.ckpt is saved first).
// Guarantee: a run stopped at any batch boundary and resumed from its last.ckpt performs exactly the same
// computation as an uninterrupted run (same batches, RNG stream, optimizer state), so parameters match bit for bit.
using System.Diagnostics;
using System.Globalization;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Scoring;
using Seq2SeqRev.Training.Data;
using Seq2SeqRev.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training;

public sealed record TrainerOptions
{
    public required RunConfig Config { get; init; }
    public required string RunDir { get; init; }
    /// <summary>Continue from this checkpoint (its tokenizer, model, optimizer, RNG and position); null = fresh run.</summary>
    public Checkpoint? Resume { get; init; }
    /// <summary>Folder of corpus manifests; null = the repository's corpora/ (see TrainingData).</summary>
    public string? ManifestDir { get; init; }
    public Func<ModelConfig, TrainingConfig, int, int, ITrainable> ModelFactory { get; init; } = TrainableModel.Create;
    /// <summary>Where status lines are echoed (stderr in the CLI); null = only train.log.</summary>
    public TextWriter? Echo { get; init; }
    public ITrainingProgress Progress { get; init; } = new NoProgress();
    public CancellationToken Cancel { get; init; }
}

public enum StopReason { Completed, MaxSteps, EarlyStopping, MinLearningRate, Interrupted, AlreadyFinished }

public sealed record TrainResult(StopReason Reason, TrainerState State, string LastCheckpoint, string BestCheckpoint);

public static class Trainer
{
    public const string LastFile = RunFolder.LastFile, BestFile = RunFolder.BestFile, ConfigFile = RunFolder.ConfigFile;

    public static TrainResult Run(TrainerOptions options)
    {
        var config = options.Config;
        var corpus = RunCorpus.Corpus(config, options.ManifestDir); // config/corpus errors before anything is written
        using var housekeeping = HeapHousekeeping.FromEnvironment();    // so are environment errors
        var runDir = Path.GetFullPath(options.RunDir);
        Directory.CreateDirectory(runDir);
        using var log = new RunLog(Path.Combine(runDir, "train.log"), options.Echo);
        var lastPath = Path.Combine(runDir, LastFile);
        var bestPath = Path.Combine(runDir, BestFile);

        if (options.Resume?.State.FinishedReason is { } finished)
        {
            log.Line($"run {runDir} already finished ({finished}); nothing to do");
            return new TrainResult(StopReason.AlreadyFinished, options.Resume.State, lastPath, bestPath);
        }
        log.Line(options.Resume is { } r
            ? $"resuming {config.Name} in {runDir} at epoch {r.State.Epoch}, batch {r.State.NextBatch}, step {r.State.Step}"
            : $"starting {config.Name} in {runDir}");

        using var run = TrainingRun.Start(options, corpus, runDir, log, housekeeping);
        while (run.State.Epoch <= config.Training.Epochs)
        {
            if (run.TrainEpoch() is { } stop) return stop;
            if (run.EndEpoch() is { } end) return end;
        }
        return run.Stop(StopReason.Completed, $"finished {Seq2SeqRev.Cli.Words.Count(config.Training.Epochs, "epoch")}");
    }

    /// <summary>The optimizer training.optimizer names, over <paramref name="parameters"/> at the configured learning rate.</summary>
    public static optim.Optimizer CreateOptimizer(TrainingConfig t, IEnumerable<TorchSharp.Modules.Parameter> parameters) =>
        t.Optimizer == OptimizerKind.Adam
            ? new Optimizers.Adam(parameters, t.LearningRate)
            : new Optimizers.SGD(parameters, t.LearningRate);

    /// <summary>One optimizer update: train mode, zero grads, forward + backward, gradient clipping, step.</summary>
    public static StepResult TrainBatch(ITrainable model, optim.Optimizer optimizer, IList<TorchSharp.Modules.Parameter> parameters,
        TrainingBatch batch, double clip)
    {
        using var scope = NewDisposeScope();
        model.Module.train();
        optimizer.zero_grad();
        var result = model.TrainStep(batch);
        if (clip > 0) nn.utils.clip_grad_norm_(parameters, clip);
        optimizer.step();
        return result;
    }

    internal static void SetLearningRate(optim.Optimizer optimizer, double lr)
    {
        foreach (var group in ((TorchSharp.Modules.OptimizerHelper)optimizer).ParamGroups) group.LearningRate = lr;
    }
}

/// <summary>The live objects of one run (data, model, optimizer, position) and the steps the loop is made of.</summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly TrainerOptions _options;
    private readonly RunConfig _config;
    private readonly RunLog _log;
    private readonly TrainingData _data;
    private readonly ITrainable _model;
    private readonly optim.Optimizer _optimizer;
    private readonly List<TorchSharp.Modules.Parameter> _parameters;
    private readonly Batcher _batcher;
    private readonly MetricsWriter _metrics;
    private readonly HeapHousekeeping _housekeeping;
    private readonly string _lastPath, _bestPath;

    private TrainingRun(TrainerOptions options, RunLog log, TrainingData data, ITrainable model, optim.Optimizer optimizer,
        TrainerState state, string runDir, HeapHousekeeping housekeeping)
    {
        _housekeeping = housekeeping;
        _options = options;
        _config = options.Config;
        _log = log;
        _data = data;
        _model = model;
        _optimizer = optimizer;
        _parameters = model.Module.parameters().ToList();
        State = state;
        _batcher = new Batcher(data.TrainSources, data.TrainTargets, BatcherOptions.ForTraining(_config.Training, (ulong)_config.Seed));
        _metrics = new MetricsWriter(runDir);
        _lastPath = Path.Combine(runDir, Trainer.LastFile);
        _bestPath = Path.Combine(runDir, Trainer.BestFile);
    }

    public TrainerState State { get; private set; }

    /// <summary>Data (tokenizer learned or restored), config.yaml, model and optimizer from the seed, and the resumed
    /// position, RNG and optimizer state when resuming. <paramref name="housekeeping"/> stays the caller's.</summary>
    public static TrainingRun Start(TrainerOptions options, ResolvedCorpus corpus, string runDir, RunLog log, HeapHousekeeping housekeeping)
    {
        var config = options.Config;
        var t = config.Training;
        var data = TrainingData.Load(config, corpus, options.Resume?.Tokenizers(), s => log.Line(s));
        if (options.Resume is { } from) MetricsWriter.DropFrom(runDir, from.State.Epoch);   // validations after last.ckpt
        ConfigWriter.Save(config, Path.Combine(runDir, Trainer.ConfigFile));

        torch.manual_seed(config.Seed);
        var model = options.ModelFactory(config.Model, t, data.Tokenizers.Source.VocabSize, data.Tokenizers.Target.VocabSize);
        var parameters = model.Module.parameters().ToList();
        var optimizer = Trainer.CreateOptimizer(t, parameters);
        var state = new TrainerState { LearningRate = t.LearningRate };
        if (options.Resume is { } resume)
        {
            resume.RestoreModel(model.Module, optimizer);
            state = resume.State;
            resume.RestoreRng();
        }
        Trainer.SetLearningRate(optimizer, state.LearningRate);
        log.Line($"model: {parameters.Sum(p => p.numel()):N0} parameters, optimizer {SettingNames.Optimizers.NameOf(t.Optimizer)}, lr {state.LearningRate:G6}");
        return new TrainingRun(options, log, data, model, optimizer, state, runDir, housekeeping);
    }

    /// <summary>The batches of the current epoch from its next batch; a stop result when the run must end within the
    /// epoch (interrupted, training.max_steps), null at the end of the epoch.</summary>
    public TrainResult? TrainEpoch()
    {
        var t = _config.Training;
        var epoch = State.Epoch;
        var batches = _batcher.BatchCount(epoch);
        StopReason? stop = null;
        _options.Progress.RunEpoch(epoch, batches, State.NextBatch, report =>
        {
            foreach (var batch in _batcher.Epoch(epoch, State.NextBatch))
            {
                var start = Stopwatch.GetTimestamp();
                var result = Trainer.TrainBatch(_model, _optimizer, _parameters, new TrainingBatch(batch.Sources, batch.Targets), t.ClipGradNorm);
                State = State with
                {
                    NextBatch = batch.Index + 1,
                    Step = State.Step + 1,
                    Totals = State.Totals.Add(result, Stopwatch.GetElapsedTime(start).TotalSeconds),
                };
                _housekeeping.AfterBatch(State.Step);
                report(new ProgressInfo(State.NextBatch, State.Totals.TokensPerSecond, State.Totals.Loss, State.LearningRate));
                if (State.Step % t.LogEvery == 0) LogBatch(epoch, batches, result);
                if (batch.Index == batches - 1) break; // the epoch end decides about stopping
                if (_options.Cancel.IsCancellationRequested) { stop = StopReason.Interrupted; break; }
                if (t.MaxSteps > 0 && State.Step >= t.MaxSteps) { stop = StopReason.MaxSteps; break; }
            }
        });
        if (stop is not { } early) return null;
        SaveLast();
        return Stop(early, early == StopReason.Interrupted
            ? $"interrupted at epoch {epoch}, batch {State.NextBatch}/{batches}, step {State.Step}; saved {_lastPath}"
            : $"reached training.max_steps = {t.MaxSteps}; saved {_lastPath}");
    }

    /// <summary>Validation, learning-rate schedule, stopping rules and checkpoints after an epoch; a stop result when
    /// the run ends here, null to go on with the next epoch.</summary>
    public TrainResult? EndEpoch()
    {
        var t = _config.Training;
        var epoch = State.Epoch;
        var validStart = Stopwatch.GetTimestamp();
        var (valLoss, valBleu) = Validation.Run(_model, _data, _config);
        var valPpl = Math.Exp(valLoss);
        var totals = State.Totals;
        _metrics.Validation(new ValidationMetrics(epoch, State.Step, totals.Loss, valLoss, valPpl, valBleu, State.LearningRate,
            totals.Seconds + Stopwatch.GetElapsedTime(validStart).TotalSeconds, totals.TokensPerSecond,
            totals.EncoderSavingActual, totals.EncoderSavingOptimal, totals.DecoderSavingActual, totals.DecoderSavingOptimal,
            totals.EncoderSavingHeld, totals.DecoderSavingHeld, totals.EncoderSavingHeldLimit, totals.DecoderSavingHeldLimit));
        _log.Line(string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch} step {State.Step}: train loss {totals.Loss:F4}, val loss {valLoss:F4}, val ppl {valPpl:F2}, val BLEU {valBleu:F2}, lr {State.LearningRate:G6}, {totals.TokensPerSecond:F0} tok/s"));
        if (totals.EncoderSavingHeld is { } eh && totals.DecoderSavingHeld is { } dh)
            _log.Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch} memory saving (encoder / decoder, mean over training batches): held {eh:F1}x / {dh:F1}x (limit {totals.EncoderSavingHeldLimit:F1}x / {totals.DecoderSavingHeldLimit:F1}x; everything kept between forward and backward over the unpadded baseline, docs/MEMORY.md); paper convention actual {totals.EncoderSavingActual:F1}x / {totals.DecoderSavingActual:F1}x, optimal {totals.EncoderSavingOptimal:F1}x / {totals.DecoderSavingOptimal:F1}x (buffer and slices over the padded baseline)"));

        var improved = Schedule(epoch, valPpl);
        var (end, why) = StoppingRule();
        if (end is not null) State = State with { FinishedReason = why };
        if (improved)
        {
            Capture().Save(_bestPath);
            _log.Line($"new best validation perplexity {valPpl:F2}: saved {_bestPath}");
        }
        var last = SaveLast();
        if (t.KeepCheckpoints > 0) EpochCheckpoints.Save(last, Path.GetDirectoryName(_lastPath)!, epoch, t.KeepCheckpoints);
        _housekeeping.AfterEpoch(State.Step);
        if (end is { } done) return Stop(done, $"{why}; best val ppl {State.BestPerplexity:F2} (epoch {State.BestEpoch})");
        if (_options.Cancel.IsCancellationRequested)
            return Stop(StopReason.Interrupted, $"interrupted after epoch {epoch}; saved {_lastPath}");
        if (t.MaxSteps > 0 && State.Step >= t.MaxSteps)
            return Stop(StopReason.MaxSteps, $"reached training.max_steps = {t.MaxSteps}; saved {_lastPath}");
        return null;
    }

    /// <summary>Moves to the next epoch, decays the learning rate after more than lr_patience validations without
    /// improvement and tracks the best perplexity; returns whether this validation improved.</summary>
    private bool Schedule(int epoch, double valPpl)
    {
        var t = _config.Training;
        var improved = valPpl < State.BestPerplexity;
        var lr = State.LearningRate;
        var badSinceDecay = improved ? 0 : State.BadSinceDecay + 1;
        if (badSinceDecay > t.LrPatience)
        {
            lr *= t.LrDecay;
            badSinceDecay = 0;
            _log.Line($"validation perplexity did not improve: learning rate {State.LearningRate:G6} -> {lr:G6}");
        }
        State = State with
        {
            Epoch = epoch + 1,
            NextBatch = 0,
            Totals = new EpochTotals(),
            LearningRate = lr,
            BadSinceDecay = badSinceDecay,
            BadValidations = improved ? 0 : State.BadValidations + 1,
            BestPerplexity = improved ? valPpl : State.BestPerplexity,
            BestEpoch = improved ? epoch : State.BestEpoch,
        };
        Trainer.SetLearningRate(_optimizer, lr);
        return improved;
    }

    /// <summary>Early stopping, the learning-rate floor or the epoch budget, after a validation.</summary>
    private (StopReason? Reason, string? Why) StoppingRule()
    {
        var t = _config.Training;
        if (t.EarlyStopping > 0 && State.BadValidations >= t.EarlyStopping)
            return (StopReason.EarlyStopping, $"early stopping: {State.BadValidations} validations without improvement");
        if (State.LearningRate < t.MinLearningRate)
            return (StopReason.MinLearningRate, $"learning rate {State.LearningRate:G6} fell below training.min_learning_rate = {t.MinLearningRate:G6}");
        if (State.Epoch > t.Epochs)
            return (StopReason.Completed, $"finished {Seq2SeqRev.Cli.Words.Count(t.Epochs, "epoch")}");
        return (null, null);
    }

    private void LogBatch(int epoch, int batches, StepResult result)
    {
        var batchLoss = result.Tokens == 0 ? double.NaN : result.LossSum / result.Tokens;
        _log.Line(string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch} batch {State.NextBatch}/{batches} step {State.Step}: loss {batchLoss:F4} (epoch {State.Totals.Loss:F4}), {State.Totals.TokensPerSecond:F0} tok/s, lr {State.LearningRate:G6}"),
            echo: !_options.Progress.IsLive);
        _metrics.TrainLoss(State.Step, batchLoss, State.LearningRate);
    }

    private Checkpoint Capture() => Checkpoint.Capture(_config, _data.Tokenizers, _model.Module, _optimizer, State);

    private Checkpoint SaveLast()
    {
        var checkpoint = Capture();
        checkpoint.Save(_lastPath);
        return checkpoint;
    }

    public TrainResult Stop(StopReason reason, string message)
    {
        _log.Line(message);
        return new TrainResult(reason, State, _lastPath, _bestPath);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}

/// <summary>Per-epoch validation: per-token loss over the whole validation set and sacreBLEU over its first
/// valid_max_sentences translations (greedy or beam). Leaves the model in train mode.</summary>
internal static class Validation
{
    public static (double Loss, double Bleu) Run(ITrainable model, TrainingData data, RunConfig config)
    {
        var t = config.Training;
        model.Module.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var batcher = new Batcher(data.ValidSources, data.ValidTargets, BatcherOptions.ForEvaluation(t));
            double lossSum = 0;
            long tokens = 0;
            foreach (var batch in batcher.Epoch(1))
            {
                using var scope = torch.NewDisposeScope();
                var r = model.Evaluate(new TrainingBatch(batch.Sources, batch.Targets));
                lossSum += r.LossSum;
                tokens += r.Tokens;
            }

            var n = t.ValidMaxSentences == 0 ? data.ValidSources.Count : Math.Min(t.ValidMaxSentences, data.ValidSources.Count);
            var chunk = t.BatchType == BatchType.Sentences ? t.BatchSize : 64;
            var hyps = new List<string>(n);
            for (var start = 0; start < n; start += chunk)
            {
                var sources = data.ValidSources.Skip(start).Take(Math.Min(chunk, n - start)).ToList();
                hyps.AddRange(SentenceDecoder.Best(model, data.Tokenizers.Target, sources, new SearchOptions(BeamSize: t.ValidBeam)));
            }
            var refs = data.ValidReferences.Take(n).Select(s => (string?)s).ToList();
            var bleu = Bleu.CorpusScore(hyps, [refs], new BleuOptions { Lowercase = config.Data.Lowercase });
            return (tokens == 0 ? double.NaN : lossSum / tokens, bleu.Score);
        }
        finally
        {
            model.Module.train();
        }
    }
}
