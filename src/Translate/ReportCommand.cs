// ReportCommand: `seq2seqrev report --run RUN_DIR [--run RUN_DIR ...] [--test SPLIT,SPLIT] [--beam 5] [--batch-size 32]
// [--corpora-dir DIR] [--markdown] [--json FILE] [--plot FILE.png]`. Thin: parses the options and turns SIGINT/SIGTERM
// into a clean stop (exit 130; hypothesis files are written atomically, so none is partial); ResultsRunner translates
// and scores, ResultsTables prints (Spectre table on a terminal, plain text when redirected, markdown with
// --markdown), ResultsReport.ToJson and ResultsPlot write the files atomically. Progress lines go to stderr;
// UserErrors are one line, exit 2 (CliRunner).
using System.CommandLine;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Translation.Results;
using Seq2SeqRev.Training;
using Spectre.Console;

namespace Seq2SeqRev.Translate;

internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<string[]>("--run")
        {
            Description = "Training run directory (config.yaml, metrics.jsonl, best.ckpt); repeat for several",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
            HelpName = "RUN_DIR",
        };
        var test = new Option<string?>("--test") { Description = "Test splits, comma-separated (default: each run's data.test)", HelpName = "SPLIT,SPLIT" };
        var beam = new Option<int>("--beam") { Description = "Beam size for the test sets (1 = greedy search)", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch-size") { Description = "Sentences per search batch", DefaultValueFactory = _ => 32 };
        var corporaDir = new Option<string?>("--corpora-dir") { Description = "Folder holding the corpora (replaces each run's data.corpora_dir; else SEQ2SEQREV_CORPORA, cache, download)", HelpName = "DIR" };
        var markdown = new Option<bool>("--markdown") { Description = "Print markdown tables (results and validation per epoch)" };
        var json = new Option<string?>("--json") { Description = "Also write the numbers as JSON to this file", HelpName = "FILE" };
        var plot = new Option<string?>("--plot") { Description = "Also write a PNG of validation BLEU and loss per epoch", HelpName = "FILE.png" };

        var command = new Command("report", "Score the best checkpoints of training runs on the test sets and tabulate the results");
        foreach (Option o in new Option[] { runs, test, beam, batch, corporaDir, markdown, json, plot })
            command.Options.Add(o);
        command.SetAction(p =>
        {
            foreach (var (name, path) in new[] { ("--json", p.GetValue(json)), ("--plot", p.GetValue(plot)) })
                if (path is not null && Directory.Exists(path)) throw new UserError($"{name} {path}: is a directory, expected a file name");
            using var interrupt = new Interrupt();
            ResultsReport report;
            try
            {
                report = ResultsRunner.Run(new ResultsOptions
                {
                    RunDirs = p.GetValue(runs) ?? [],
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

            if (p.GetValue(markdown)) Console.Write(ResultsTables.Markdown(report));
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
            return 0;
        });
        return command;
    }

    /// <summary>"a, b" → ["a", "b"]; an empty list is left for ResultsRunner to reject.</summary>
    private static string[] Splits(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
