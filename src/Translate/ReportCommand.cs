// ReportCommand: `seq2seqrev report (--run RUN_DIR ... | --runs DIR | --from DIR) [--test SPLIT,SPLIT] [--beam 5]
// [--batch-size 32] [--checkpoint NAME] [--corpora-dir DIR] [--markdown] [--json FILE] [--plot FILE.png] [--export DIR]`.
// --runs takes every run folder in DIR; --from reads runs exported by --export (config.yaml, metrics.jsonl, hypotheses;
// ExportedRuns) and scores their hypotheses instead of translating. --markdown adds the tables over seeds and the
// cross-section (SeedTables). Thin: parses the options and turns SIGINT/SIGTERM
// into a clean stop (exit 130; hypothesis files are written atomically, so none is partial); ResultsRunner translates
// and scores, ResultsTables prints (Spectre table on a terminal, plain text when redirected, markdown with
// --markdown), ResultsReport.ToJson and ResultsPlot write the files atomically. Progress lines go to stderr;
// UserErrors are one line, exit 2 (CliRunner).
using System.CommandLine;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Translation.Results;
using Spectre.Console;

namespace Seq2SeqRev.Translate;

internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<string[]>("--run")
        {
            Description = "Training run directory (config.yaml, metrics.jsonl, best.ckpt); repeat for several",
            AllowMultipleArgumentsPerToken = true,
            HelpName = "RUN_DIR",
        };
        var runsIn = new Option<string?>("--runs") { Description = "Every run folder (with config.yaml) in this folder, in name order", HelpName = "DIR" };
        var from = new Option<string?>("--from") { Description = "Report the runs exported by --export to DIR (scores their hypotheses; no checkpoint needed)", HelpName = "DIR" };
        var export = new Option<string?>("--export") { Description = "Also write each run's config.yaml, metrics.jsonl, hypotheses and run.json to DIR/<run>/", HelpName = "DIR" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file tested in each run folder (e.g. average.ckpt)", DefaultValueFactory = _ => Seq2SeqRev.Runs.RunFolder.BestFile, HelpName = "NAME" };
        var test = new Option<string?>("--test") { Description = "Test splits, comma-separated (default: each run's data.test)", HelpName = "SPLIT,SPLIT" };
        var beam = new Option<int>("--beam") { Description = "Beam size for the test sets (1 = greedy search)", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch-size") { Description = "Sentences per search batch", DefaultValueFactory = _ => 32 };
        var corporaDir = new Option<string?>("--corpora-dir") { Description = "Folder holding the corpora (replaces each run's data.corpora_dir; else SEQ2SEQREV_CORPORA, cache, download)", HelpName = "DIR" };
        var markdown = new Option<bool>("--markdown") { Description = "Print markdown tables (results and validation per epoch)" };
        var json = new Option<string?>("--json") { Description = "Also write the numbers as JSON to this file", HelpName = "FILE" };
        var plot = new Option<string?>("--plot") { Description = "Also write a PNG of validation BLEU and loss per epoch", HelpName = "FILE.png" };

        var command = new Command("report", "Score the best checkpoints of training runs on the test sets and tabulate the results");
        foreach (Option o in new Option[] { runs, runsIn, from, test, beam, batch, checkpoint, corporaDir, markdown, json, plot, export })
            command.Options.Add(o);
        command.SetAction(p =>
        {
            foreach (var (name, path) in new[] { ("--json", p.GetValue(json)), ("--plot", p.GetValue(plot)) })
                if (path is not null && Directory.Exists(path)) throw new UserError($"{name} {path}: is a directory, expected a file name");
            var runDirs = (p.GetValue(runs) ?? []).Concat(p.GetValue(runsIn) is { } folder ? RunFolders(folder, p.GetValue(checkpoint)!) : []).ToList();
            var exported = p.GetValue(from);
            if ((exported is null) == (runDirs.Count == 0 && p.GetValue(runsIn) is null))
                throw new UserError("report: give --run RUN_DIR (or --runs DIR), or --from DIR, not both");
            if (exported is not null && p.GetValue(export) is not null) throw new UserError("--export: the runs of --from are exported already");
            using var interrupt = new Interrupt();
            ResultsReport report;
            try
            {
                report = exported is not null ? ExportedRuns.Load(exported, p.GetValue(corporaDir), null, line => Console.Error.WriteLine(line))
                : ResultsRunner.Run(new ResultsOptions
                {
                    RunDirs = runDirs,
                    Checkpoint = p.GetValue(checkpoint)!,
                    TestSplits = p.GetValue(test) is { } t ? Splits(t) : null,
                    Beam = p.GetValue(beam),
                    BatchSize = p.GetValue(batch),
                    CorporaDir = p.GetValue(corporaDir),
                    Log = line => Console.Error.WriteLine(line),
                    Cancel = interrupt.Token,
                });
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("interrupted: report stopped (hypothesis files written so far are complete)");
                return Interrupt.ExitCode;
            }

            if (p.GetValue(markdown))
            {
                Console.Write(ResultsTables.Markdown(report));
                var groups = SeedGroups.Group(report.Runs);
                var sb = new System.Text.StringBuilder().AppendLine();
                SeedTables.Markdown(sb, groups, report.TestSplits);
                SeedTables.CrossSection(sb, groups, report.TestSplits);
                Console.Write(sb.ToString());
            }
            else if (Console.IsOutputRedirected) Console.Write(ResultsTables.Text(report, FittedTable.RedirectedWidth()));
            else ResultsTables.Write(report, AnsiConsole.Console);
            if (p.GetValue(json) is { } jsonPath)
            {
                AtomicFile.WriteOutput(jsonPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToJson() + "\n")));
                Console.Error.WriteLine($"wrote {jsonPath}");
            }
            if (p.GetValue(plot) is { } png)
            {
                ResultsPlot.Save(report, png);
                Console.Error.WriteLine($"wrote {png}");
            }
            if (p.GetValue(export) is { } exportDir)
            {
                ExportedRuns.Export(report, exportDir, line => Console.Error.WriteLine(line));
            }
            return 0;
        });
        return command;
    }

    /// <summary>The run folders (holding config.yaml) in <paramref name="dir"/> that have <paramref name="checkpoint"/>, in name
    /// order; a run without it yet (before its first validation) is named on stderr and left out.</summary>
    private static List<string> RunFolders(string dir, string checkpoint)
    {
        if (!Directory.Exists(dir)) throw new UserError($"--runs {dir}: no such folder");
        var found = Directory.GetDirectories(dir).Where(d => File.Exists(Path.Combine(d, Seq2SeqRev.Runs.RunFolder.ConfigFile)))
            .Order(StringComparer.Ordinal).ToList();
        foreach (var d in found.Where(d => !File.Exists(Path.Combine(d, checkpoint))))
            Console.Error.WriteLine($"{d}: left out, no {checkpoint} yet");
        found = [.. found.Where(d => File.Exists(Path.Combine(d, checkpoint)))];
        if (found.Count == 0) throw new UserError($"--runs {dir}: holds no run folder with config.yaml and {checkpoint}");
        return found;
    }

    /// <summary>"a, b" → ["a", "b"]; an empty list is left for ResultsRunner to reject.</summary>
    private static string[] Splits(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
