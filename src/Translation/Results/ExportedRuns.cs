// ExportedRuns: what anyone can check without the checkpoints. Export writes, for each run of a report, a folder
// OUT/<run folder name>/ with config.yaml and metrics.jsonl (copied), the report's beam-search hypotheses
// (<split>.beam<B>.hyp) and run.json ({"finished": why the run ended or null, "checkpoint": the file tested, "beam"});
// Load reads such folders back into a ResultsReport by scoring each hypothesis file against the corpus references
// (found as `report` finds them), with the same scorers, so `report --from OUT` prints the tables `report` printed and
// `./seq2seqrev score --hyp OUT/<run>/<split>.beam<B>.hyp --ref <reference>` gives the same numbers. Guarantees: every
// file is written atomically; no checkpoint is copied; a missing or malformed file is a one-line UserError naming it.
using System.Text.Json;
using System.Text.Json.Nodes;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Scoring;

namespace Seq2SeqRev.Translation.Results;

public static class ExportedRuns
{
    public const string RunFile = "run.json";

    public static void Export(ResultsReport report, string outDir, Action<string> log)
    {
        foreach (var run in report.Runs)
        {
            var dest = Path.Combine(outDir, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(run.RunDir))));
            Copy(Path.Combine(run.RunDir, RunFolder.ConfigFile), Path.Combine(dest, RunFolder.ConfigFile));
            Copy(Path.Combine(run.RunDir, RunFolder.MetricsFile), Path.Combine(dest, RunFolder.MetricsFile));
            foreach (var test in run.Tests)
                Copy(test.HypothesisPath, Path.Combine(dest, ResultsReport.HypothesisFile(test.Split, report.Beam)));
            var info = new JsonObject { ["finished"] = run.Finished, ["checkpoint"] = report.Checkpoint, ["beam"] = report.Beam };
            var json = info.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
            AtomicFile.WriteOutput(Path.Combine(dest, RunFile), s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
            log($"exported {run.Label} to {dest}");
        }
    }

    /// <summary>The exported runs in <paramref name="dir"/> (each subfolder holding config.yaml, in name order), their
    /// hypotheses scored; <paramref name="corporaDir"/> replaces each run's data.corpora_dir when given.</summary>
    public static ResultsReport Load(string dir, string? corporaDir, string? manifestDir, Action<string> log)
    {
        if (!Directory.Exists(dir)) throw new UserError($"{dir}: no such folder of exported runs");
        var folders = Directory.GetDirectories(dir).Where(d => File.Exists(Path.Combine(d, RunFolder.ConfigFile))).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0) throw new UserError($"{dir}: holds no exported run (a folder with {RunFolder.ConfigFile})");
        int? beam = null;
        string? checkpoint = null;
        var runs = new List<RunSummary>();
        foreach (var folder in folders)
        {
            var (finished, runCheckpoint, runBeam) = ReadRunFile(Path.Combine(folder, RunFile));
            if (beam is { } b && b != runBeam) throw new UserError($"{Path.Combine(folder, RunFile)}: beam {runBeam}, other runs have beam {b}");
            beam = runBeam;
            checkpoint ??= runCheckpoint;
            var config = ConfigLoader.Load(Path.Combine(folder, RunFolder.ConfigFile));
            var metrics = MetricsReader.Read(Path.Combine(folder, RunFolder.MetricsFile));
            var scoring = corporaDir is null ? config : config with { Data = config.Data with { CorporaDir = corporaDir } };
            var splits = config.Data.Test.Where(s => File.Exists(Path.Combine(folder, ResultsReport.HypothesisFile(s, runBeam)))).ToList();
            var corpus = splits.Count == 0 ? null
                : RunCorpus.Corpus(scoring with { Data = scoring.Data with { Test = [.. splits] } }, manifestDir, splits);
            var tests = splits.Select(split => Score(folder, split, runBeam, corpus!, config)).ToList();
            var m = config.Model;
            var label = Path.GetFileName(folder);
            runs.Add(new RunSummary(label, folder, config.Name, SettingNames.Cells.NameOf(m.Cell), m.MemoryBankLabel,
                m.IsReversible ? SettingNames.ForgetLimits.NameOf(m.MaxForgetBits) : null,
                SettingNames.MemoryModes.NameOf(config.MemoryMode), RunSummary.PerEpoch(metrics), tests, config, finished));
            log($"{label}: {tests.Count} test split(s) scored{(finished is null ? " (unfinished)" : "")}");
        }
        return new ResultsReport(beam ?? 5, runs) { Checkpoint = checkpoint ?? RunFolder.BestFile };
    }

    private static TestResult Score(string folder, string split, int beam, ResolvedCorpus corpus, RunConfig config)
    {
        var hypPath = Path.Combine(folder, ResultsReport.HypothesisFile(split, beam));
        var hyps = ScoringLineReader.ReadFile(hypPath, "hypothesis").Select(PythonText.RStrip).ToList();
        var referencePath = corpus.PathOf(split, config.Data.TgtLang);
        var references = ScoringLineReader.ReadFile(referencePath, "reference");
        if (references.Count != hyps.Count)
            throw new UserError($"{hypPath}: {hyps.Count} lines but the reference {referencePath} has {references.Count}");
        var scores = SplitTranslation.Score(hyps, references);
        return new TestResult(split, hyps.Count, hypPath, scores.Bleu, scores.BleuLowercase, scores.Chrf, double.NaN);
    }

    private static (string? Finished, string Checkpoint, int Beam) ReadRunFile(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: missing (written by report --export)");
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            return ((string?)o["finished"], (string?)o["checkpoint"] ?? RunFolder.BestFile, (int)o["beam"]!);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new UserError($"{path}: not a run.json of report --export ({e.Message.Split('\n')[0]})");
        }
    }

    private static void Copy(string from, string to)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(from); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UserError($"{from}: cannot read ({e.Message})"); }
        AtomicFile.WriteOutput(to, s => s.Write(bytes));
    }
}
