// SweepCommand: `seq2seqrev sweep --model RUN_DIR_OR_CHECKPOINT [--beams 1,5,10] [--length-penalties 0,0.6,1.0]
// [--test SPLIT,SPLIT] [--batch-size 32] [--corpora-dir DIR] [--jsonl FILE]`: beam size and length penalty chosen on the
// run's validation split (never on a test set: SweepRunner), then the chosen setting's test scores. Prints a markdown
// table (every validation setting, the choice marked, then the test splits) and writes the same as JSONL (default:
// sweep.jsonl beside best.ckpt, sweep-<name>.jsonl beside another checkpoint), atomically. Problems are one `error:` line, exit 2.
using System.CommandLine;
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Translation.Results;

namespace Seq2SeqRev.Translate;

internal static class SweepCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Run directory (best.ckpt, else last.ckpt) or checkpoint file", Required = true };
        var beams = new Option<string>("--beams") { Description = "Beam sizes to try on val", DefaultValueFactory = _ => "1,5,10", HelpName = "B,B" };
        var alphas = new Option<string>("--length-penalties") { Description = "GNMT length penalties (alpha) to try on val", DefaultValueFactory = _ => "0,0.6,1.0", HelpName = "A,A" };
        var test = new Option<string?>("--test") { Description = "Test splits scored with the chosen setting (default: the run's data.test)", HelpName = "SPLIT,SPLIT" };
        var batch = new Option<int>("--batch-size") { Description = "Sentences per search batch", DefaultValueFactory = _ => 32 };
        var corporaDir = new Option<string?>("--corpora-dir") { Description = "Folder holding the corpora (replaces data.corpora_dir)", HelpName = "DIR" };
        var jsonl = new Option<string?>("--jsonl") { Description = "Write the scores as JSON lines here (default: sweep.jsonl beside the checkpoint)", HelpName = "FILE" };
        var command = new Command("sweep", "Choose beam size and length penalty on the validation split, then score the test splits with the choice");
        foreach (Option o in new Option[] { model, beams, alphas, test, batch, corporaDir, jsonl }) command.Options.Add(o);
        command.SetAction(p =>
        {
            var modelPath = p.GetValue(model)!;
            using var interrupt = new Interrupt();
            SweepResult result;
            try
            {
                result = SweepRunner.Run(new SweepOptions
                {
                    ModelPath = modelPath,
                    Beams = List<int>(p.GetValue(beams)!, "--beams", s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : null),
                    LengthPenalties = List<double>(p.GetValue(alphas)!, "--length-penalties",
                        s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) ? a : null),
                    TestSplits = p.GetValue(test)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    BatchSize = p.GetValue(batch),
                    CorporaDir = p.GetValue(corporaDir),
                    Log = line => Console.Error.WriteLine(line),
                    Cancel = interrupt.Token,
                });
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("interrupted: sweep stopped");
                return Interrupt.ExitCode;
            }
            Console.Write(Markdown(result));
            var stem = Path.GetFileNameWithoutExtension(result.Checkpoint);
            var path = p.GetValue(jsonl) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(result.Checkpoint))!,
                stem == "best" ? "sweep.jsonl" : $"sweep-{stem}.jsonl");
            AtomicFile.WriteOutput(path, s => s.Write(Encoding.UTF8.GetBytes(result.ToJsonl())));
            Console.Error.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }

    private static List<T> List<T>(string text, string option, Func<string, T?> parse) where T : struct =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => parse(s) ?? throw new UserError($"{option}: '{s}' is not a valid value (a comma-separated list, e.g. {(option == "--beams" ? "1,5,10" : "0,0.6,1.0")})"))];

    public static string Markdown(SweepResult r)
    {
        static string F(double x) => x.ToString("F2", CultureInfo.InvariantCulture);
        var rows = r.Validation.Select(v => new[]
        {
            v.Split, v.Beam.ToString(CultureInfo.InvariantCulture), v.LengthPenalty.ToString("0.###", CultureInfo.InvariantCulture),
            F(v.Bleu.Score), F(v.BleuLowercase.Score), F(v.Chrf.Score), ReferenceEquals(v, r.Selected) ? "selected" : "",
        }).Concat(r.Tests.Select(t => new[]
        {
            t.Split, t.Beam.ToString(CultureInfo.InvariantCulture), t.LengthPenalty.ToString("0.###", CultureInfo.InvariantCulture),
            F(t.Bleu.Score), F(t.BleuLowercase.Score), F(t.Chrf.Score), "test, with the setting selected on val",
        }));
        var sb = new StringBuilder();
        TextTables.Markdown(sb, ["split", "beam", "length penalty", "BLEU", "BLEU lc", "chrF2", ""], rows, 1);
        return sb.ToString();
    }
}
