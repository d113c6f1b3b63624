// SweepRunner: the `sweep` command's core — beam size and GNMT length penalty chosen on the validation split, then the
// chosen setting scored on the test splits. Guarantees: every (beam, alpha) pair is searched on the run's own data.valid
// split (the split the trainer validated on) and the choice is the highest validation BLEU (cased, 13a; ties keep the
// earlier pair in --beams × --length-penalties order); Select only ever sees validation scores and the test splits are
// first translated after it returned, so no test score can take part in the choice; test hypotheses are written
// atomically to test/<split>.beam<B>.lp<alpha>.hyp beside the checkpoint (test/<name>/... for a checkpoint other than
// best.ckpt, e.g. test/average/ for average.ckpt) and scored as
// `report` and `score` do (hypotheses rstripped, BLEU, BLEU lowercased, chrF2), so `./seq2seqrev score` of the file
// gives the same numbers. Problems are one-line UserErrors before the first translation.
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Scoring;

namespace Seq2SeqRev.Translation.Results;

public sealed record SweepOptions
{
    /// <summary>Run directory (best.ckpt, else last.ckpt) or checkpoint file.</summary>
    public required string ModelPath { get; init; }
    public IReadOnlyList<int> Beams { get; init; } = [1, 5, 10];
    public IReadOnlyList<double> LengthPenalties { get; init; } = [0.0, 0.6, 1.0];
    /// <summary>Test splits scored with the chosen setting; null = the run's data.test.</summary>
    public IReadOnlyList<string>? TestSplits { get; init; }
    public int BatchSize { get; init; } = 32;
    public string? CorporaDir { get; init; }
    public string? ManifestDir { get; init; }
    public Action<string> Log { get; init; } = _ => { };
    public CancellationToken Cancel { get; init; }
}

/// <summary>Scores of one search setting on one split.</summary>
public sealed record SweepScore(string Split, int Beam, double LengthPenalty, BleuScore Bleu, BleuScore BleuLowercase, ChrfScore Chrf,
    string? HypothesisPath = null);

public sealed record SweepResult(string Checkpoint, IReadOnlyList<SweepScore> Validation, SweepScore Selected, IReadOnlyList<SweepScore> Tests)
{
    /// <summary>One JSON object a line: each validation setting ("role": "val"), the selected one ("selected") and each
    /// test split with it ("test").</summary>
    public string ToJsonl()
    {
        var sb = new StringBuilder();
        void Line(string role, SweepScore s) => sb.Append(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["role"] = role, ["split"] = s.Split, ["beam"] = s.Beam, ["length_penalty"] = s.LengthPenalty,
            ["bleu"] = s.Bleu.Score, ["bleu_lowercase"] = s.BleuLowercase.Score, ["chrf2"] = s.Chrf.Score,
            ["hypotheses"] = s.HypothesisPath, ["checkpoint"] = Checkpoint,
        })).Append('\n');
        foreach (var v in Validation) Line("val", v);
        Line("selected", Selected);
        foreach (var t in Tests) Line("test", t);
        return sb.ToString();
    }
}

public static class SweepRunner
{

    public static SweepResult Run(SweepOptions options)
    {
        if (options.Beams.Count == 0 || options.LengthPenalties.Count == 0)
            throw new UserError("--beams and --length-penalties need at least one value each");
        var settings = options.Beams.SelectMany(b => options.LengthPenalties.Select(a => new SearchOptions(BeamSize: b, LengthPenaltyAlpha: a))).ToList();
        foreach (var s in settings) new TranslatorOptions { Search = s, BatchSize = options.BatchSize }.Validate();
        if (options.TestSplits is { Count: 0 }) throw new UserError("--test: give at least one split name");

        var checkpointPath = RunFolder.Checkpoint(options.ModelPath);
        using var loaded = TranslationModelLoader.Load(checkpointPath);
        var config = loaded.Config;
        if (options.CorporaDir is { } dir) config = config with { Data = config.Data with { CorporaDir = dir } };
        var valid = config.Data.Valid;
        var tests = options.TestSplits ?? config.Data.Test;
        if (tests.Contains(valid))
            throw new UserError($"data.valid = {valid} is also a test split here; a setting chosen on it would be chosen on a test set");
        var corpus = RunCorpus.Corpus(config with { Data = config.Data with { Test = [.. tests] } }, options.ManifestDir, [valid, .. tests]);
        var hypDir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!, "test");
        if (Path.GetFileName(checkpointPath) != RunFolder.BestFile) hypDir = Path.Combine(hypDir, Path.GetFileNameWithoutExtension(checkpointPath));

        var scores = settings.Select(s => Score(loaded, corpus, valid, s, null, options)).ToList();
        var selected = Select(scores);
        options.Log(string.Create(CultureInfo.InvariantCulture,
            $"selected on {valid}: beam {selected.Beam}, length penalty {selected.LengthPenalty} (BLEU {selected.Bleu.Score:F2})"));
        var chosen = new SearchOptions(BeamSize: selected.Beam, LengthPenaltyAlpha: selected.LengthPenalty);
        var testScores = tests.Select(split =>
            Score(loaded, corpus, split, chosen, Path.Combine(hypDir, HypothesisFile(split, chosen)), options)).ToList();
        return new SweepResult(checkpointPath, scores, selected, testScores);
    }

    /// <summary>The setting with the highest validation BLEU; the earliest on ties.</summary>
    public static SweepScore Select(IReadOnlyList<SweepScore> validation) =>
        validation.Aggregate((best, s) => s.Bleu.Score > best.Bleu.Score ? s : best);

    public static string HypothesisFile(string split, SearchOptions s) =>
        string.Create(CultureInfo.InvariantCulture, $"{split}.beam{s.BeamSize}.lp{s.LengthPenaltyAlpha:0.###}.hyp");

    private static SweepScore Score(LoadedModel loaded, ResolvedCorpus corpus, string split, SearchOptions search, string? hypPath,
        SweepOptions options)
    {
        var data = loaded.Config.Data;
        var sourcePath = corpus.PathOf(split, data.SrcLang);
        var referencePath = corpus.PathOf(split, data.TgtLang);
        var references = ScoringLineReader.ReadFile(referencePath, "reference");
        var translator = new Translator(loaded, new TranslatorOptions { Search = search, BatchSize = options.BatchSize });
        options.Log(string.Create(CultureInfo.InvariantCulture,
            $"translating {split} ({references.Count} sentences) with beam {search.BeamSize}, length penalty {search.LengthPenaltyAlpha} ..."));
        var (_, scores) = SplitTranslation.TranslateAndScore(translator, sourcePath, referencePath, references, hypPath, options.Log,
            options.Cancel);
        var score = new SweepScore(split, search.BeamSize, search.LengthPenaltyAlpha, scores.Bleu, scores.BleuLowercase, scores.Chrf,
            hypPath);
        options.Log(string.Create(CultureInfo.InvariantCulture, $"  {split}: BLEU {score.Bleu.Score:F2}, chrF2 {score.Chrf.Score:F2}"));
        return score;
    }
}
