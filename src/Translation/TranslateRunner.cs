// TranslateRunner: the `translate` command's testable core. Guarantees: options are checked before anything is
// loaded (e.g. --nbest > --beam, --device cuda on this CPU build); input, reference, model and output problems are
// one-line UserErrors naming the file; standard output gets translations only; a file output is written to
// "<output>.tmp" in the same directory and renamed at the end, so a failure or cancellation leaves no partial file;
// warnings, the optional progress bar, the summary and the --ref BLEU line (sacreBLEU style, width 1) go to stderr;
// with AttentionDir, each non-blank line N's attention heatmap is written atomically to DIR/N.png (a DIR that cannot
// be created or written is a one-line UserError before the model loads).
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Scoring;
using Spectre.Console;

namespace Seq2SeqRev.Translation;

public sealed record TranslateRequest
{
    public required string ModelPath { get; init; }
    /// <summary>Input file (plain or gzip) or "-" for standard input.</summary>
    public string Input { get; init; } = "-";
    /// <summary>Output file or "-" for standard output.</summary>
    public string Output { get; init; } = "-";
    public TranslatorOptions Options { get; init; } = new();
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;
    /// <summary>Reference file: print corpus BLEU of the best translations on stderr after translating.</summary>
    public string? RefPath { get; init; }
    /// <summary>Draw a live progress bar on stderr (the command asks for it when output is a file and stderr a terminal).</summary>
    public bool ShowProgress { get; init; }
    /// <summary>Directory for attention heatmaps: DIR/N.png for each non-blank input line N (1-based), created if
    /// missing; null = none.</summary>
    public string? AttentionDir { get; init; }
}

public static class TranslateRunner
{
    public const string StdinName = "<stdin>";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static int Execute(TranslateRequest request, Stream stdin, Stream stdout, TextWriter stderr, CancellationToken cancel = default)
    {
        request.Options.Validate();
        if (request.Device != ComputeDevice.Cpu)
            throw new UserError($"--device {SettingNames.Devices.NameOf(request.Device)}: this build runs on the CPU only (TorchSharp CPU package); use --device cpu");
        var refs = request.RefPath is { } refPath ? ScoringLineReader.ReadFile(refPath, "reference") : null;
        if (request.AttentionDir is { } attentionDir) PrepareAttentionDir(attentionDir);
        using var input = request.Input == "-" ? new LineReader(stdin, StdinName, cancel) : new LineReader(request.Input, cancel);
        using var loaded = TranslationModelLoader.Load(request.ModelPath);
        var translator = new Translator(loaded, request.Options);
        void Warn(string message) => stderr.WriteLine($"warning: {message}");

        TranslationSummary Translate(Stream output)
        {
            using var writer = new StreamWriter(output, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            return WithProgress(request.ShowProgress, stderr, progress =>
                translator.Run(input, writer, Warn, keepBest: refs is not null, progress, cancel,
                    request.AttentionDir is { } dir ? map => SaveAttention(dir, map) : null));
        }

        TranslationSummary summary;
        if (request.Output == "-")
        {
            summary = Translate(stdout);
            stdout.Flush();
        }
        else
        {
            summary = null!;
            AtomicFile.WriteOutput(request.Output, stream => summary = Translate(stream));
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"translated {Words.Count(summary.Lines, "line")} ({summary.Translated} non-blank) in {summary.Seconds:F1} s, {summary.SentencesPerSecond:F1} sentences/s, {Words.Count(summary.Batches, "search batch", "search batches")}: {request.Output}"));
        }

        if (refs is not null)
        {
            if (refs.Count != summary.Lines)
                throw new UserError($"{request.RefPath}: {refs.Count} reference lines but {summary.Lines} input lines; BLEU not computed");
            var bleu = Bleu.CorpusScore(summary.Best!, [refs.Select(r => (string?)r).ToList()], new BleuOptions());
            stderr.WriteLine(bleu.FormatLine(1));
        }
        return 0;
    }

    /// <summary>The heatmap of one line's attention weights, written atomically to DIR/N.png.</summary>
    public static void SaveAttention(string dir, AttentionMap map) =>
        AttentionHeatmap.SavePng(Path.Combine(dir, $"{map.Line}.png"), map.Weights, map.Source, map.Target);

    /// <summary>Creates <paramref name="dir"/> if needed and checks that files can be made in it: a one-line UserError
    /// before the model is loaded, not after the first translation.</summary>
    private static void PrepareAttentionDir(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            using var probe = new FileStream(Path.Combine(dir, $".write-test-{Environment.ProcessId}"), FileMode.Create,
                FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UserError($"--attention {dir}: cannot write attention plots there ({e.Message})");
        }
    }

    private static TranslationSummary WithProgress(bool show, TextWriter stderr,
        Func<Action<long, double?>?, TranslationSummary> body)
    {
        if (!show) return body(null);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        return console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                const double Steps = 1000;
                var task = ctx.AddTask("translating", maxValue: Steps);
                task.IsIndeterminate = true;
                return body((lines, fraction) =>
                {
                    task.Description = $"translating: {lines:N0} lines";
                    if (fraction is { } f)
                    {
                        task.IsIndeterminate = false;
                        task.Value = Math.Min(Steps, f * Steps);
                    }
                });
            });
    }
}
