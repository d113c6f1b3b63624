// ResultsRunner: the `report` command's testable core. For each run folder: read config.yaml, metrics.jsonl and
// best.ckpt (RunDirectory); for each test split (--test, else the run's data.test) resolve the corpus files as
// training does (RunCorpus.Corpus: manifest, data.corpora_dir or --corpora-dir, SEQ2SEQREV_CORPORA, cache,
// download), translate the source side with the best checkpoint (or --checkpoint NAME; Translator, beam --beam), write
// the hypotheses atomically to RUN_DIR/test/<split>.beam<B>.hyp (RUN_DIR/test/<NAME without .ckpt>/... for another checkpoint) and score them against the reference with the sacreBLEU-compatible
// scorers: BLEU (13a, cased), BLEU lowercased and chrF2, hypotheses and references rstripped as sacreBLEU's CLI
// reads files, so `seq2seqrev score` of the written file gives the same numbers. Sentences/s is timed after one
// untimed warm-up batch per model. Guarantees: every run folder, split and corpus is checked before the first
// translation; a problem is a one-line UserError naming the file, setting or option; everything but sentences/s
// depends only on the checkpoints, corpora and options.
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Scoring;
using Seq2SeqRev.Translation;

namespace Seq2SeqRev.Translation.Results;

public sealed record ResultsOptions
{
    public required IReadOnlyList<string> RunDirs { get; init; }
    /// <summary>Test splits for every run (--test); null = each run's data.test.</summary>
    public IReadOnlyList<string>? TestSplits { get; init; }
    public int Beam { get; init; } = 5;
    public int BatchSize { get; init; } = 32;
    /// <summary>The checkpoint file tested in each run folder (--checkpoint; e.g. average.ckpt from `average`).</summary>
    public string Checkpoint { get; init; } = RunFolder.BestFile;
    /// <summary>--corpora-dir: replaces each run's data.corpora_dir; null = keep it.</summary>
    public string? CorporaDir { get; init; }
    /// <summary>Folder of corpus manifests; null = as in training (data.corpora_dir if it has the manifest, else corpora/).</summary>
    public string? ManifestDir { get; init; }
    /// <summary>Progress and warnings (stderr in the CLI).</summary>
    public Action<string> Log { get; init; } = _ => { };
    public CancellationToken Cancel { get; init; }
}

public static class ResultsRunner
{

    private sealed record Plan(RunDirectory Run, string Label, ResolvedCorpus Corpus, IReadOnlyList<string> Splits);

    public static ResultsReport Run(ResultsOptions options)
    {
        if (options.RunDirs.Count == 0) throw new UserError("--run: give at least one run directory");
        var translatorOptions = new TranslatorOptions { Search = new SearchOptions(BeamSize: options.Beam), BatchSize = options.BatchSize };
        translatorOptions.Validate();
        if (options.TestSplits is { Count: 0 }) throw new UserError("--test: give at least one split name, e.g. --test test_2016_flickr");

        var runs = options.RunDirs.Select(d => RunDirectory.Open(d, options.Checkpoint)).ToList();
        var labels = Labels(runs);
        var plans = runs.Select((run, i) => Prepare(run, labels[i], options)).ToList();

        var summaries = new List<RunSummary>();
        foreach (var plan in plans)
        {
            using var loaded = TranslationModelLoader.Load(plan.Run.BestCheckpoint);
            if (loaded.Config.Model != plan.Run.Config.Model)
                throw new UserError($"{plan.Run.ConfigPath}: its model settings differ from those in {plan.Run.BestCheckpoint}");
            var translator = new Translator(loaded, translatorOptions);
            WarmUp(translator, plan, options);
            var tests = plan.Splits.Select(split => Test(plan, split, translator, options)).ToList();
            summaries.Add(RunSummary.Create(plan.Label, plan.Run, tests));
        }
        return new ResultsReport(options.Beam, summaries) { Checkpoint = options.Checkpoint };
    }

    /// <summary>Config names, with the folder name (or the full path) appended where names repeat.</summary>
    private static List<string> Labels(List<RunDirectory> runs)
    {
        bool Unique(Func<RunDirectory, string> f, RunDirectory r) => runs.Count(o => f(o) == f(r)) == 1;
        string Folder(RunDirectory r) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(r.Dir)));
        return runs.Select(r =>
            Unique(o => o.Config.Name, r) ? r.Config.Name
            : Unique(o => o.Config.Name + "/" + Folder(o), r) ? $"{r.Config.Name} ({Folder(r)})"
            : $"{r.Config.Name} ({Path.GetFullPath(r.Dir)})").ToList();
    }

    /// <summary>Checks the splits against the run's corpus manifest and finds the corpus files.</summary>
    private static Plan Prepare(RunDirectory run, string label, ResultsOptions options)
    {
        var config = run.Config;
        if (options.CorporaDir is { } dir) config = config with { Data = config.Data with { CorporaDir = dir } };
        var splits = options.TestSplits ?? config.Data.Test;
        if (splits.Count == 0) throw new UserError($"{run.ConfigPath}: data.test is empty; name the test splits with --test");
        var manifest = RunCorpus.Manifest(config with { Data = config.Data with { Test = [] } }, options.ManifestDir);
        foreach (var split in splits)
        {
            if (manifest.Splits.Contains(split)) continue;
            string where = options.TestSplits is null ? $"{run.ConfigPath}: data.test" : "--test";
            throw new UserError($"{where}: split '{split}' is not in corpus '{manifest.Name}' ({manifest.Source}) of run {run.Dir} (allowed: {string.Join(", ", manifest.Splits)})");
        }
        // The resolver finds (or fails on) the test splits' files of both languages, so they exist after it; the
        // training splits are not needed.
        var corpus = RunCorpus.Corpus(config with { Data = config.Data with { Test = [.. splits] } }, options.ManifestDir, splits);
        return new Plan(run, label, corpus, [.. splits]);
    }

    private static TestResult Test(Plan plan, string split, Translator translator, ResultsOptions options)
    {
        var data = plan.Run.Config.Data;
        var sourcePath = plan.Corpus.PathOf(split, data.SrcLang);
        var referencePath = plan.Corpus.PathOf(split, data.TgtLang);
        var references = ScoringLineReader.ReadFile(referencePath, "reference");
        var hypPath = options.Checkpoint == RunFolder.BestFile
            ? Path.Combine(plan.Run.Dir, "test", ResultsReport.HypothesisFile(split, options.Beam))
            : Path.Combine(plan.Run.Dir, "test", Path.GetFileNameWithoutExtension(options.Checkpoint), ResultsReport.HypothesisFile(split, options.Beam));
        options.Log($"{plan.Label}: translating {split} ({references.Count} sentences, beam {options.Beam}) ...");

        var (summary, scores) = SplitTranslation.TranslateAndScore(translator, sourcePath, referencePath, references, hypPath, options.Log,
            options.Cancel);
        var result = new TestResult(split, summary.Lines, hypPath, scores.Bleu, scores.BleuLowercase, scores.Chrf, summary.SentencesPerSecond);
        options.Log(string.Create(CultureInfo.InvariantCulture,
            $"{plan.Label}: {split}: BLEU {result.Bleu.Score:F2}, chrF2 {result.Chrf.Score:F2} ({summary.SentencesPerSecond:F1} sentences/s): {hypPath}"));
        return result;
    }

    /// <summary>Translates the first batch of the first split once, untimed and unwritten, so that one-time
    /// initialisation (native code, allocator) does not count against the first split's sentences/s.</summary>
    private static void WarmUp(Translator translator, Plan plan, ResultsOptions options)
    {
        var source = plan.Corpus.PathOf(plan.Splits[0], plan.Run.Config.Data.SrcLang);
        var head = new MemoryStream();
        using (var reader = new LineReader(source))
            for (int i = 0; i < options.BatchSize && reader.ReadLine(out var bytes); i++)
            {
                head.Write(bytes);
                head.WriteByte((byte)'\n');
            }
        head.Position = 0;
        using var input = new LineReader(head, source);
        translator.Run(input, TextWriter.Null, _ => { }, cancel: options.Cancel);
    }
}
