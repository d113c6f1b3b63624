// Trainer: the training loop of `seq2seqrev train`. Per batch: train mode, zero grads, TrainStep, clip the
// gradient norm, optimizer step. Per epoch: validation (loss/perplexity over the validation set, sacreBLEU of
// greedy or beam translations), lr decay when perplexity did not improve for more than lr_patience validations,
// best.ckpt on improvement, last.ckpt always. Stops at training.epochs, training.max_steps, early stopping,
// lr < min_learning_rate or cancellation (after the current batch; last.ckpt is saved first).
// Guarantee: a run stopped at any batch boundary and resumed from its last.ckpt performs exactly the same
// computation as an uninterrupted run (same batches, RNG stream, optimizer state), so parameters match bit for bit.
using System.Diagnostics;
using System.Globalization;
using Seq2SeqRev.Model.Config;
using Seq2SeqRev.Model.Data;
using Seq2SeqRev.Model.Scoring;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model.Translation;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model.Training;

public delegate ITranslationModel ModelFactory(ModelConfig model, TrainingConfig training, int sourceVocabSize, int targetVocabSize);

public sealed record TrainerOptions
{
    public required RunConfig Config { get; init; }
    public required string RunDir { get; init; }
    /// <summary>Continue from this checkpoint (its tokenizer, model, optimizer, RNG and position); null = fresh run.</summary>
    public Checkpoint? Resume { get; init; }
    /// <summary>Folder of corpus manifests; null = the repository's corpora/ (see TrainingData).</summary>
    public string? ManifestDir { get; init; }
    public Func<ModelConfig, TrainingConfig, int, int, ITranslationModel> ModelFactory { get; init; } = TranslationModelFactory.Create;
    /// <summary>Where status lines are echoed (stderr in the CLI); null = only train.log.</summary>
    public TextWriter? Echo { get; init; }
    public ITrainingProgress Progress { get; init; } = new NoProgress();
    public CancellationToken Cancel { get; init; }
}

public enum StopReason { Completed, MaxSteps, EarlyStopping, MinLearningRate, Interrupted, AlreadyFinished }

public sealed record TrainResult(StopReason Reason, TrainerState State, string LastCheckpoint, string BestCheckpoint);

public static class Trainer
{
    public const string LastFile = "last.ckpt", BestFile = "best.ckpt", ConfigFile = "config.yaml";

    public static TrainResult Run(TrainerOptions options)
    {
        var config = options.Config;
        var t = config.Training;
        var corpus = TrainingData.Corpus(config, options.ManifestDir); // config/corpus errors before anything is written
        var runDir = Path.GetFullPath(options.RunDir);
        Directory.CreateDirectory(runDir);
        var lastPath = Path.Combine(runDir, LastFile);
        var bestPath = Path.Combine(runDir, BestFile);
        using var log = new RunLog(Path.Combine(runDir, "train.log"), options.Echo);

        if (options.Resume?.State.FinishedReason is { } finished)
        {
            log.Line($"run {runDir} already finished ({finished}); nothing to do");
            return new TrainResult(StopReason.AlreadyFinished, options.Resume.State, lastPath, bestPath);
        }
        log.Line(options.Resume is { } r
            ? $"resuming {config.Name} in {runDir} at epoch {r.State.Epoch}, batch {r.State.NextBatch}, step {r.State.Step}"
            : $"starting {config.Name} in {runDir}");

        var data = TrainingData.Load(config, corpus, options.Resume?.Tokenizers(), s => log.Line(s));
        ConfigWriter.Save(config, Path.Combine(runDir, ConfigFile));

        torch.manual_seed(config.Seed);
        using var model = options.ModelFactory(config.Model, t, data.Tokenizers.Source.VocabSize, data.Tokenizers.Target.VocabSize);
        var parameters = model.Module.parameters().ToList();
        using var optimizer = CreateOptimizer(t, parameters);
        var state = new TrainerState { LearningRate = t.LearningRate };
        if (options.Resume is { } resume)
        {
            resume.RestoreModel(model.Module, optimizer);
            state = resume.State;
            resume.RestoreRng();
        }
        SetLearningRate(optimizer, state.LearningRate);
        log.Line($"model: {parameters.Sum(p => p.numel()):N0} parameters, optimizer {t.Optimizer}, lr {state.LearningRate:G6}");

        var batcher = new Batcher(data.TrainSources, data.TrainTargets, TrainBatcherOptions(config));
        var metrics = new MetricsWriter(runDir);
        void SaveLast(TrainerState s) =>
            Checkpoint.Capture(config, data.Tokenizers, model.Module, optimizer, s).Save(lastPath);
        TrainResult Stop(StopReason reason, TrainerState s, string message)
        {
            log.Line(message);
            return new TrainResult(reason, s, lastPath, bestPath);
        }

        while (state.Epoch <= t.Epochs)
        {
            int epoch = state.Epoch;
            int batches = batcher.BatchCount(epoch);
            StopReason? stop = null;
            options.Progress.RunEpoch(epoch, batches, state.NextBatch, report =>
            {
                foreach (var batch in batcher.Epoch(epoch, state.NextBatch))
                {
                    long start = Stopwatch.GetTimestamp();
                    var result = TrainBatch(model, optimizer, parameters, batch, t.ClipGradNorm);
                    state = state with
                    {
                        NextBatch = batch.Index + 1,
                        Step = state.Step + 1,
                        Totals = state.Totals.Add(result, Stopwatch.GetElapsedTime(start).TotalSeconds),
                    };
                    report(new ProgressInfo(state.NextBatch, state.Totals.TokensPerSecond, state.Totals.Loss, state.LearningRate));
                    if (state.Step % t.LogEvery == 0)
                    {
                        double batchLoss = result.Tokens == 0 ? double.NaN : result.LossSum / result.Tokens;
                        log.Line(string.Create(CultureInfo.InvariantCulture,
                            $"epoch {epoch} batch {state.NextBatch}/{batches} step {state.Step}: loss {batchLoss:F4} (epoch {state.Totals.Loss:F4}), {state.Totals.TokensPerSecond:F0} tok/s, lr {state.LearningRate:G6}"),
                            echo: !options.Progress.IsLive);
                        metrics.TrainLoss(state.Step, batchLoss, state.LearningRate);
                    }
                    if (batch.Index == batches - 1) break; // the epoch end below decides about stopping
                    if (options.Cancel.IsCancellationRequested) { stop = StopReason.Interrupted; break; }
                    if (t.MaxSteps > 0 && state.Step >= t.MaxSteps) { stop = StopReason.MaxSteps; break; }
                }
            });
            if (stop is { } early)
            {
                SaveLast(state);
                return Stop(early, state, early == StopReason.Interrupted
                    ? $"interrupted at epoch {epoch}, batch {state.NextBatch}/{batches}, step {state.Step}; saved {lastPath}"
                    : $"reached training.max_steps = {t.MaxSteps}; saved {lastPath}");
            }

            long validStart = Stopwatch.GetTimestamp();
            var (valLoss, valBleu) = Validate(model, data, config);
            double valPpl = Math.Exp(valLoss);
            var totals = state.Totals;
            metrics.Validation(new ValidationMetrics(epoch, state.Step, totals.Loss, valLoss, valPpl, valBleu, state.LearningRate,
                totals.Seconds + Stopwatch.GetElapsedTime(validStart).TotalSeconds, totals.TokensPerSecond,
                totals.EncoderSavingActual, totals.EncoderSavingOptimal, totals.DecoderSavingActual, totals.DecoderSavingOptimal));
            log.Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch} step {state.Step}: train loss {totals.Loss:F4}, val loss {valLoss:F4}, val ppl {valPpl:F2}, val BLEU {valBleu:F2}, lr {state.LearningRate:G6}, {totals.TokensPerSecond:F0} tok/s"));

            bool improved = valPpl < state.BestPerplexity;
            double lr = state.LearningRate;
            int badSinceDecay = improved ? 0 : state.BadSinceDecay + 1;
            if (badSinceDecay > t.LrPatience)
            {
                lr *= t.LrDecay;
                badSinceDecay = 0;
                log.Line($"validation perplexity did not improve: learning rate {state.LearningRate:G6} -> {lr:G6}");
            }
            state = state with
            {
                Epoch = epoch + 1,
                NextBatch = 0,
                Totals = new EpochTotals(),
                LearningRate = lr,
                BadSinceDecay = badSinceDecay,
                BadValidations = improved ? 0 : state.BadValidations + 1,
                BestPerplexity = improved ? valPpl : state.BestPerplexity,
                BestEpoch = improved ? epoch : state.BestEpoch,
            };
            SetLearningRate(optimizer, lr);

            StopReason? end = null;
            string? why = null;
            if (t.EarlyStopping > 0 && state.BadValidations >= t.EarlyStopping)
                (end, why) = (StopReason.EarlyStopping, $"early stopping: {state.BadValidations} validations without improvement");
            else if (lr < t.MinLearningRate)
                (end, why) = (StopReason.MinLearningRate, $"learning rate {lr:G6} fell below training.min_learning_rate = {t.MinLearningRate:G6}");
            else if (state.Epoch > t.Epochs)
                (end, why) = (StopReason.Completed, $"finished {t.Epochs} epochs");
            if (end is not null) state = state with { FinishedReason = why };

            if (improved)
            {
                Checkpoint.Capture(config, data.Tokenizers, model.Module, optimizer, state).Save(bestPath);
                log.Line($"new best validation perplexity {valPpl:F2}: saved {bestPath}");
            }
            SaveLast(state);
            if (end is { } done) return Stop(done, state, $"{why}; best val ppl {state.BestPerplexity:F2} (epoch {state.BestEpoch})");
            if (options.Cancel.IsCancellationRequested)
                return Stop(StopReason.Interrupted, state, $"interrupted after epoch {epoch}; saved {lastPath}");
            if (t.MaxSteps > 0 && state.Step >= t.MaxSteps)
                return Stop(StopReason.MaxSteps, state, $"reached training.max_steps = {t.MaxSteps}; saved {lastPath}");
        }
        return Stop(StopReason.Completed, state, $"finished {t.Epochs} epochs");
    }

    /// <summary>The optimizer of a run (also used by `bench`).</summary>
    internal static optim.Optimizer CreateOptimizer(TrainingConfig t, List<TorchSharp.Modules.Parameter> parameters) =>
        t.Optimizer == "adam" ? optim.Adam(parameters, t.LearningRate) : optim.SGD(parameters, t.LearningRate);

    /// <summary>How a run cuts its training batches (also used by `bench`).</summary>
    internal static BatcherOptions TrainBatcherOptions(RunConfig config) => new()
    {
        BatchSize = config.Training.BatchSize,
        BatchType = config.Training.BatchType == "tokens" ? BatchType.Tokens : BatchType.Sentences,
        Seed = (ulong)config.Seed,
        PerSequenceOverhead = 2,
    };

    internal static StepResult TrainBatch(ITranslationModel model, optim.Optimizer optimizer, List<TorchSharp.Modules.Parameter> parameters,
        Batch batch, double clip)
    {
        using var scope = torch.NewDisposeScope();
        model.Module.train();
        optimizer.zero_grad();
        var result = model.TrainStep(new TrainingBatch(batch.Sources, batch.Targets));
        if (clip > 0) torch.nn.utils.clip_grad_norm_(parameters, clip);
        optimizer.step();
        return result;
    }

    /// <summary>Per-token validation loss over the whole validation set and BLEU over its first valid_max_sentences.</summary>
    private static (double Loss, double Bleu) Validate(ITranslationModel model, TrainingData data, RunConfig config)
    {
        var t = config.Training;
        model.Module.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var batcher = new Batcher(data.ValidSources, data.ValidTargets, new BatcherOptions
            {
                BatchSize = t.BatchSize,
                BatchType = t.BatchType == "tokens" ? BatchType.Tokens : BatchType.Sentences,
                Shuffle = false,
                PerSequenceOverhead = 2,
            });
            double lossSum = 0;
            long tokens = 0;
            foreach (var batch in batcher.Epoch(1))
            {
                using var scope = torch.NewDisposeScope();
                var r = model.Evaluate(new TrainingBatch(batch.Sources, batch.Targets));
                lossSum += r.LossSum;
                tokens += r.Tokens;
            }

            int n = t.ValidMaxSentences == 0 ? data.ValidSources.Count : Math.Min(t.ValidMaxSentences, data.ValidSources.Count);
            int chunk = t.BatchType == "sentences" ? t.BatchSize : 64;
            var hyps = new List<string>(n);
            for (int start = 0; start < n; start += chunk)
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

    private static void SetLearningRate(optim.Optimizer optimizer, double lr)
    {
        foreach (var group in ((TorchSharp.Modules.OptimizerHelper)optimizer).ParamGroups) group.LearningRate = lr;
    }
}
