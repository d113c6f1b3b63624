// The `translate` subcommand. Guarantees: only parses options, picks the progress display (a bar on stderr when
// the output is a file and stderr is a terminal) and turns SIGINT/SIGTERM into a clean stop (no output file, exit
// 130); all reading, translating and writing is TranslateRunner.Execute, whose UserErrors CliRunner reports (exit 2).
// Output format: one detokenized translation per input line; with --nbest N, up to N lines per input line
// "i ||| translation ||| score" (i = 0-based input line, best first, score = length-penalised log-probability).
// Input from a pipe or a terminal is answered line by line (Translator): a line is translated and flushed as soon as
// no further line is waiting, so a person typing or a program waiting for each answer is never kept waiting.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using System.CommandLine;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Translation;

namespace Seq2SeqRev.Translate;

internal static class TranslateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Run directory (uses best.ckpt, else last.ckpt) or checkpoint file", Required = true };
        var input = new Option<string>("--input") { Description = "Input text, one sentence a line (plain or gzip; '-' = stdin)", DefaultValueFactory = _ => "-" };
        var output = new Option<string>("--output") { Description = "Output file ('-' = stdout); written atomically", DefaultValueFactory = _ => "-" };
        var beam = new Option<int>("--beam") { Description = "Beam size (1 = greedy search)", DefaultValueFactory = _ => 5 };
        var alpha = new Option<double>("--length-penalty") { Description = "GNMT length penalty alpha (0 = none)", DefaultValueFactory = _ => 0.0 };
        var ratio = new Option<double>("--max-length-ratio") { Description = "Max output tokens = ratio * source tokens + 10", DefaultValueFactory = _ => 2.0 };
        var nbest = new Option<int>("--nbest") { Description = "Write the N best as 'i ||| translation ||| score' lines (N <= --beam)", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { Description = "Sentences per search batch", DefaultValueFactory = _ => 32 };
        var maxInput = new Option<int?>("--max-input-length") { Description = "Truncate longer inputs to this many subword tokens (default: the model's data.max_length)" };
        var device = new Option<string>("--device") { Description = "Device (this build has CPU only)", DefaultValueFactory = _ => "cpu", HelpName = "cpu" };
        device.AcceptOnlyFromAmong([.. SettingNames.Devices.Names]);   // cuda is accepted so that TranslateRunner can say this build has none
        var reference = new Option<string?>("--ref") { Description = "Reference file: print corpus BLEU on stderr after translating" };
        var attention = new Option<string?>("--attention")
        {
            Description = "Write a heatmap of the attention weights of each line's best translation to DIR/N.png (N = 1-based input line)",
            HelpName = "DIR",
        };

        var command = new Command("translate", "Translate text with a trained model (beam or greedy search)");
        foreach (Option o in new Option[] { model, input, output, beam, alpha, ratio, nbest, batch, maxInput, device, reference, attention })
            command.Options.Add(o);
        command.SetAction(parse =>
        {
            int n = parse.GetValue(nbest);
            var request = new TranslateRequest
            {
                ModelPath = parse.GetValue(model)!,
                Input = parse.GetValue(input)!,
                Output = parse.GetValue(output)!,
                Device = SettingNames.Devices.Parse(parse.GetValue(device)!),
                RefPath = parse.GetValue(reference),
                AttentionDir = parse.GetValue(attention),
                ShowProgress = parse.GetValue(output) != "-" && !Console.IsErrorRedirected,
                Options = new TranslatorOptions
                {
                    Search = new SearchOptions(BeamSize: parse.GetValue(beam), LengthPenaltyAlpha: parse.GetValue(alpha),
                        MaxLengthRatio: parse.GetValue(ratio), NBest: n),
                    BatchSize = parse.GetValue(batch),
                    MaxInputLength = parse.GetValue(maxInput),
                    NBestFormat = n > 1,
                },
            };
            using var interrupt = new Interrupt();
            using var stdin = InteractiveInput.OpenStandardInput();
            using var stdout = Console.OpenStandardOutput();
            try
            {
                return TranslateRunner.Execute(request, stdin, stdout, Console.Error, interrupt.Token);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine(request.Output == "-" ? "interrupted: translation stopped"
                    : "interrupted: translation stopped, no output file written");
                return Interrupt.ExitCode;
            }
        });
        return command;
    }
}
