// BenchRunner: the work behind `seq2seqrev bench` — training throughput of several configs side by side in one run.
// Per config: a fresh model from the config's seed (the trainer's model factory) and the trainer's optimizer; each
// timed step is Trainer.TrainBatch, exactly the trainer's step (train mode, zero_grad, forward + backward in the
// configured memory mode, gradient clipping, optimizer step). Every config first trains Warmup untimed steps; then
// round r trains config 1 on its Batches batches, then config 2, ... (even rounds in the reverse order, so no config
// always follows the same one and inherits its allocator, cache and GC state), so machine noise falls on all alike;
// tokens/s of a round = target tokens (with EOS, as the trainer counts them) / wall-clock seconds of its steps.
// With Profile, the phase profiler (src/Reversible/PhaseProfiler.cs) records during the timed steps. With Models,
// each config's trained run translates the first TranslateSentences sentences of its own validation split with
// beam 5 and greedy search through the `translate` command's Translator (same options as `translate`'s defaults,
// output discarded), after one untimed warm-up batch per model, models interleaved per round.
// Guarantees: every config, run and corpus is checked before the first timed step (one-line UserErrors); the load
// average is read just before the warm-up and after the last measurement.
using System.Diagnostics;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Training;
using Seq2SeqRev.Training.Data;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Translation;
using TorchSharp;

namespace Seq2SeqRev.Benchmarks;

public static class BenchRunner
{
    /// <summary>The searches timed with --model: (name, beam size).</summary>
    public static readonly IReadOnlyList<(string Name, int Beam)> Searches = [("beam5", 5), ("greedy", 1)];

    private sealed class Entry(RunConfig config, string name, BenchBatches batches) : IDisposable
    {
        public RunConfig Config { get; } = config;
        public string Name { get; } = name;
        public BenchBatches Batches { get; } = batches;
        public ITrainable? Model { get; set; }
        public torch.optim.Optimizer? Optimizer { get; set; }
        public List<TorchSharp.Modules.Parameter> Parameters { get; set; } = [];
        public List<double> RoundSeconds { get; } = [];
        public double LossSum { get; set; }
        public long LossTokens { get; set; }
        public PhaseTotals Phases { get; set; } = new();
        public double ProfiledSeconds { get; set; }
        public int ProfiledSteps { get; set; }
        public TranslationTarget? Translation { get; set; }

        public void Dispose()
        {
            Optimizer?.Dispose();
            Model?.Dispose();
        }
    }

    private sealed class TranslationTarget(string run, LoadedModel loaded, string split, string sourcePath, byte[] input, int sentences) : IDisposable
    {
        public string Run { get; } = run;
        public LoadedModel Loaded { get; } = loaded;
        public string Split { get; } = split;
        public string SourcePath { get; } = sourcePath;
        public byte[] Input { get; } = input;
        public int Sentences { get; } = sentences;
        public Dictionary<string, (List<double> Rates, List<double> Seconds)> Timings { get; } = [];
        public void Dispose() => Loaded.Dispose();
    }

    public static BenchReport Run(BenchOptions o)
    {
        o.Validate();
        foreach (var config in o.Configs) MemoryRunner.CheckBuildable(config);
        if (o.Threads is int threads) torch.set_num_threads(threads);
        var names = UniqueNames(o.Configs.Select(c => c.Name).ToList());
        var entries = new List<Entry>();
        var targets = new List<TranslationTarget>();
        try
        {
            // Everything that can fail on the user's input happens before the first step: runs and their corpora first
            // (cheap), then the data (may learn tokenizers).
            for (int i = 0; i < o.Models.Count; i++) targets.Add(PrepareTranslation(o.Models[i], o.Configs[i], o));
            var data = new BenchData(o.Data, (ulong)o.Configs[0].Seed, o.ManifestDir, o.Log);
            for (int i = 0; i < o.Configs.Count; i++)
            {
                var batches = data.For(o.Configs[i], o.Batches, o.Warmup);
                entries.Add(new Entry(o.Configs[i], names[i], batches) { Translation = targets.Count > 0 ? targets[i] : null });
                o.Log($"{names[i]}: {batches.Description}; tokenizer {batches.Tokenizer}");
            }

            foreach (var e in entries)
            {
                var t = e.Config.Training;
                torch.manual_seed(e.Config.Seed);
                e.Model = TrainableModel.Create(e.Config.Model, t, e.Batches.SourceVocab, e.Batches.TargetVocab);
                e.Parameters = e.Model.Module.parameters().ToList();
                e.Optimizer = Trainer.CreateOptimizer(t, e.Parameters);
            }

            var loadStart = LoadAverage.Read();
            foreach (var e in entries)
            {
                if (o.Warmup > 0) o.Log($"{e.Name}: {o.Warmup} warm-up step(s)");
                foreach (var batch in e.Batches.Warmup) Step(e, batch);
            }
            for (int round = 1; round <= o.Rounds; round++)
            {
                foreach (var e in round % 2 == 1 ? entries : Enumerable.Reverse(entries))
                {
                    double seconds = 0;
                    PhaseProfiler.Take();
                    PhaseProfiler.Enabled = o.Profile;
                    try
                    {
                        foreach (var batch in e.Batches.Timed)
                        {
                            var (elapsed, result) = Step(e, batch);
                            seconds += elapsed;
                            e.LossSum += result.LossSum;
                            e.LossTokens += result.Tokens;
                        }
                    }
                    finally
                    {
                        PhaseProfiler.Enabled = false;
                    }
                    if (o.Profile)
                    {
                        e.Phases = e.Phases.Add(PhaseProfiler.Take());
                        e.ProfiledSeconds += seconds;
                        e.ProfiledSteps += e.Batches.Timed.Count;
                    }
                    e.RoundSeconds.Add(seconds);
                }
                o.Log(FormattableString.Invariant($"round {round}/{o.Rounds}: ") + string.Join(", ", entries.Select(e =>
                    FormattableString.Invariant($"{e.Name} {e.Batches.TimedTokens / e.RoundSeconds[^1]:F0} tok/s"))));
            }
            foreach (var e in entries)
            {
                e.Optimizer!.Dispose();
                e.Optimizer = null;
                e.Model!.Dispose();
                e.Model = null;
            }

            if (entries.Any(e => e.Translation is not null)) TimeTranslation(entries, o);
            var loadEnd = LoadAverage.Read();

            var groups = entries.Select(e => e.Batches).DistinctBy(b => b.Group).OrderBy(b => b.Group).Select(b => b.Description).ToList();
            var results = entries.Select(e => new BenchConfigResult(e.Name, e.Config.Model.Cell,
                e.Config.MemoryMode, e.Batches.Tokenizer, e.Batches.Group,
                e.Batches.Timed.Count, e.Batches.Timed.Sum(b => (long)b.Count), e.Batches.TimedTokens,
                e.RoundSeconds, e.LossTokens > 0 ? e.LossSum / e.LossTokens : double.NaN,
                o.Profile ? PhaseProfile.From(e.Phases, e.ProfiledSteps, e.ProfiledSeconds) : null,
                e.Translation is { } tt ? TranslationResultOf(tt) : null, e.Config.Training.LossHead, e.Config.Training.LossShard)).ToList();
            return new BenchReport(o.Data, groups, o.Batches, o.Warmup, o.Rounds, Environment.ProcessorCount, torch.get_num_threads(),
                loadStart, loadEnd, results);
        }
        finally
        {
            PhaseProfiler.Enabled = false;
            foreach (var e in entries) e.Dispose();
            foreach (var t in targets) t.Dispose();
        }
    }

    /// <summary>One training step exactly as the trainer runs it: (wall-clock seconds, result).</summary>
    private static (double Seconds, StepResult Result) Step(Entry e, Batch batch)
    {
        long start = Stopwatch.GetTimestamp();
        var result = Trainer.TrainBatch(e.Model!, e.Optimizer!, e.Parameters, new TrainingBatch(batch.Sources, batch.Targets), e.Config.Training.ClipGradNorm);
        return (Stopwatch.GetElapsedTime(start).TotalSeconds, result);
    }

    /// <summary>Config names, with "#2", "#3", ... appended to repeats (a config given twice is a fair noise check).</summary>
    internal static List<string> UniqueNames(IReadOnlyList<string> names)
    {
        var seen = new Dictionary<string, int>();
        var result = new List<string>();
        foreach (var name in names)
        {
            seen[name] = seen.GetValueOrDefault(name) + 1;
            var candidate = seen[name] == 1 ? name : $"{name}#{seen[name]}";
            while (result.Contains(candidate)) candidate += "'";
            result.Add(candidate);
        }
        return result;
    }

    private static TranslationTarget PrepareTranslation(string run, RunConfig config, BenchOptions o)
    {
        var loaded = TranslationModelLoader.Load(run);
        try
        {
            var runConfig = loaded.Config;
            if (runConfig.Model with { Dropout = config.Model.Dropout } != config.Model)
                o.Log($"warning: --model {run}: its model settings differ from config {config.Name}; timing the run's own model");
            var d = runConfig.Data;
            var corpus = RunCorpus.Corpus(runConfig, o.ManifestDir);
            var source = corpus.PathOf(d.Valid, d.SrcLang);
            var head = new MemoryStream();
            int lines = 0;
            using (var reader = new LineReader(source))
                while ((o.TranslateSentences == 0 || lines < o.TranslateSentences) && reader.ReadLine(out var bytes))
                {
                    head.Write(bytes);
                    head.WriteByte((byte)'\n');
                    lines++;
                }
            if (lines == 0) throw new UserError($"{source}: no sentence to translate");
            return new TranslationTarget(run, loaded, d.Valid, source, head.ToArray(), lines);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    private static void TimeTranslation(List<Entry> entries, BenchOptions o)
    {
        int warnings = 0;
        TranslationSummary Translate(TranslationTarget t, int beam, int? firstLines = null)
        {
            var options = new TranslatorOptions { Search = new SearchOptions(BeamSize: beam), BatchSize = o.TranslateBatchSize };
            var translator = new Translator(t.Loaded, options);
            var bytes = t.Input;
            if (firstLines is int n)
            {
                int end = 0;
                for (int k = 0; k < n && end < bytes.Length; k++) end = Array.IndexOf(bytes, (byte)'\n', end) + 1;
                bytes = bytes[..end];
            }
            using var input = new LineReader(new MemoryStream(bytes, writable: false), t.SourcePath);
            return translator.Run(input, TextWriter.Null, _ => warnings++);
        }

        foreach (var e in entries)
        {
            o.Log($"{e.Name}: translation warm-up ({Math.Min(o.TranslateBatchSize, e.Translation!.Sentences)} sentence(s) of {e.Translation.Run}, beam {Searches[0].Beam})");
            Translate(e.Translation, Searches[0].Beam, o.TranslateBatchSize);
        }
        foreach (var (search, beam) in Searches)
            for (int round = 1; round <= o.TranslateRounds; round++)
                foreach (var e in entries)
                {
                    var t = e.Translation!;
                    var summary = Translate(t, beam);
                    if (!t.Timings.TryGetValue(search, out var list)) t.Timings[search] = list = ([], []);
                    list.Rates.Add(summary.SentencesPerSecond);
                    list.Seconds.Add(summary.Seconds);
                    o.Log(FormattableString.Invariant(
                        $"{e.Name}: {search} round {round}/{o.TranslateRounds}: {t.Sentences} sentences in {summary.Seconds:F1} s, {summary.SentencesPerSecond:F1} sentences/s"));
                }
        if (warnings > 0) o.Log($"warning: {warnings} translation warning(s) (e.g. over-long lines truncated), as `translate` would print");
    }

    private static TranslationResult TranslationResultOf(TranslationTarget t) => new(t.Run, t.Loaded.CheckpointPath, t.Split, t.Sentences,
        [.. Searches.Select(s => new TranslationTiming(s.Name, s.Beam, t.Timings[s.Name].Rates, t.Timings[s.Name].Seconds))]);
}
