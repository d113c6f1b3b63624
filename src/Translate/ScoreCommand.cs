// The `score` subcommand: sacreBLEU-compatible corpus BLEU / chrF of a hypothesis file against one
// or more reference files. Guarantees: only parses options; all reading, checking, scoring and
// printing is ScoreRunner.Execute, whose UserErrors the shared CliRunner reports (exit 2).
using System.CommandLine;
using Seq2SeqRev.Scoring;

namespace Seq2SeqRev.Translate;

internal static class ScoreCommand
{
    public static Command Create()
    {
        var hyp = new Option<string>("--hyp") { Description = "Hypothesis file, one segment a line ('-' reads standard input)", Required = true };
        var refs = new Option<string[]>("--ref")
        {
            Description = "Reference file; repeat for several references",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var metric = OneOf("--metric", "Metric", ["bleu", "chrf"]);
        var tokenize = OneOf("--tokenize", "BLEU tokenizer", ScoringTokenizers.Names);
        var lowercase = new Option<bool>("--lowercase") { Description = "Lowercase hypotheses and references" };
        var smooth = OneOf("--smooth", "BLEU smoothing method", SmoothMethods.Names);
        var smoothValue = new Option<double?>("--smooth-value") { Description = "Floor epsilon (default 0.1) or add-k's k (default 1)" };
        var wordOrder = new Option<int>("--chrf-word-order") { Description = "chrF word n-gram order (2 = chrF++)", DefaultValueFactory = _ => 0 };
        var width = new Option<int>("--width") { Description = "Decimals of the printed score", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print sacreBLEU's JSON instead of the text line" };

        var command = new Command("score", "sacreBLEU-compatible BLEU / chrF of a hypothesis file against reference files");
        foreach (Option o in new Option[] { hyp, refs, metric, tokenize, lowercase, smooth, smoothValue, wordOrder, width, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(parseResult =>
        {
            var options = new ScoreOptions
            {
                HypPath = parseResult.GetValue(hyp)!,
                RefPaths = parseResult.GetValue(refs) ?? [],
                Metric = parseResult.GetValue(metric)!,
                Tokenize = parseResult.GetValue(tokenize)!,
                Lowercase = parseResult.GetValue(lowercase),
                Smooth = parseResult.GetValue(smooth)!,
                SmoothValue = parseResult.GetValue(smoothValue),
                ChrfWordOrder = parseResult.GetValue(wordOrder),
                Width = parseResult.GetValue(width),
                Json = parseResult.GetValue(json),
            };
            using var stdin = Console.OpenStandardInput();
            return ScoreRunner.Execute(options, stdin, parseResult.InvocationConfiguration.Output);
        });
        return command;
    }

    /// <summary>A string option restricted to <paramref name="choices"/> (first is the default), with a one-line error.</summary>
    private static Option<string> OneOf(string name, string description, IReadOnlyList<string> choices)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            DefaultValueFactory = _ => choices[0],
            HelpName = string.Join('|', choices),
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!choices.Contains(value))
            {
                result.AddError($"{name} must be one of {string.Join(", ", choices)}, got '{value}'");
            }
        });
        return option;
    }
}
