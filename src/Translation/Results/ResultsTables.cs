// ResultsTables: the report as tables — Spectre.Console (or plain text) for the terminal, GitHub markdown for
// docs/RESULTS.md. The results table has one row per run: what it is, its training (epochs, best epoch by validation
// perplexity with that epoch's val ppl / BLEU, hours, mean tokens/s, memory savings as mean over epochs) and per test
// split BLEU, lowercased BLEU, chrF2 and sentences/s; the sacreBLEU signatures are printed once under it. Markdown
// adds the per-epoch validation table (rows epoch, columns val BLEU / val ppl per run). Guarantees: every renderer
// prints the same cells, formatted by the functions below ("-" where a run lacks a split or an epoch, "n/a" where a
// memory saving is unknown).
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Runs;
using Spectre.Console;

namespace Seq2SeqRev.Translation.Results;

public static class ResultsTables
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private const int LeftColumns = 5;
    private const string Missing = "-";

    public static string Score(double x) => double.IsFinite(x) ? x.ToString("F2", C) : Missing;
    public static string Perplexity(double x) => double.IsFinite(x) ? x.ToString("F2", C) : Missing;
    public static string Hours(double x) => x.ToString("F2", C);
    public static string PerSecond(double? x, int decimals) => x is double v && double.IsFinite(v) ? v.ToString("F" + decimals, C) : Missing;

    public static IReadOnlyList<string> Header(ResultsReport r) =>
    [
        "run", "cell", "attention", "bits", "training", "epochs", "best", "val ppl", "val BLEU", "hours", "tok/s",
        "enc act (paper)", "enc opt (paper)", "dec act (paper)", "dec opt (paper)", "enc held", "dec held",
        .. r.TestSplits.SelectMany(s => new[] { $"{s} BLEU", $"{s} BLEU lc", $"{s} chrF2", $"{s} sent/s" }),
    ];

    public static IEnumerable<string[]> Rows(ResultsReport r) => r.Runs.Select(run =>
    {
        var best = run.Best;
        return new[]
        {
            run.Label, run.Cell, run.Attention, run.MaxForgetBits ?? "n/a", run.TrainingMemory,
            run.Epochs.ToString(C), best?.Epoch.ToString(C) ?? Missing,
            best is null ? Missing : Perplexity(best.ValPpl), best is null ? Missing : Score(best.ValBleu),
            Hours(run.TrainingHours), PerSecond(run.MeanTokensPerSecond, 0),
            MemorySaving.Text(run.EncSavingActual), MemorySaving.Text(run.EncSavingOptimal),
            MemorySaving.Text(run.DecSavingActual), MemorySaving.Text(run.DecSavingOptimal),
            MemorySaving.Text(run.EncSavingHeld), MemorySaving.Text(run.DecSavingHeld),
        }.Concat(r.TestSplits.SelectMany(split => run.Test(split) is { } t
            ? new[] { Score(t.Bleu.Score), Score(t.BleuLowercase.Score), Score(t.Chrf.Score), PerSecond(t.SentencesPerSecond, 1) }
            : [Missing, Missing, Missing, Missing])).ToArray();
    });

    public static IReadOnlyList<string> ValidationHeader(ResultsReport r) =>
        ["epoch", .. r.Runs.SelectMany(run => new[] { $"{run.Label} val BLEU", $"{run.Label} val ppl" })];

    public static IEnumerable<string[]> ValidationRows(ResultsReport r) =>
        r.Runs.SelectMany(run => run.Validation.Select(v => v.Epoch)).Distinct().Order().Select(epoch =>
            new[] { epoch.ToString(C) }.Concat(r.Runs.SelectMany(run =>
                run.Validation.FirstOrDefault(v => v.Epoch == epoch) is { } v
                    ? new[] { Score(v.ValBleu), Perplexity(v.ValPpl) }
                    : [Missing, Missing])).ToArray());

    /// <summary>A line printed under the results table: text, then an optional literal (a path or a signature,
    /// shown as code in markdown).</summary>
    public sealed record Note(string Text, string? Literal = null)
    {
        public string Plain => Literal is null ? Text : $"{Text} {Literal}";
        public string Markdown => Literal is null ? Text : $"{Text} `{Literal}`";
    }

    /// <summary>The notes under the results table: test settings, what the columns mean, the signatures.</summary>
    public static IReadOnlyList<Note> Notes(ResultsReport r)
    {
        var notes = new List<Note>
        {
            new($"test: beam {r.Beam} with each run's {RunFolder.BestFile} (lowest validation perplexity); hypotheses in",
                $"RUN_DIR/test/{ResultsReport.HypothesisFile("<split>", r.Beam)}"),
            new("best = epoch of the lowest validation perplexity; hours = training time; savings = baseline bits / stored bits, mean over epochs of the training batches' savings"),
            new("act/opt (paper) = the paper's convention: buffer and attention slices (actual or optimal) over 32 bits per hidden value per step of the padded batch"),
            new("held = everything kept between forward and backward (final state, buffer, slices, ids, lengths, masks) over 32 bits per hidden value per real token; n/a for runs logged before it was recorded"),
        };
        if (r.Signatures is { } s)
        {
            notes.Add(new("BLEU:", s.Bleu));
            notes.Add(new("BLEU lc:", s.BleuLowercase));
            notes.Add(new("chrF2:", s.Chrf));
        }
        return notes;
    }

    public static string Markdown(ResultsReport r)
    {
        var sb = new StringBuilder();
        TextTables.Markdown(sb, Header(r), Rows(r), LeftColumns);
        sb.AppendLine();
        foreach (var note in Notes(r)) sb.AppendLine($"- {note.Markdown}");
        sb.AppendLine().AppendLine("Validation per epoch (BLEU of the trainer's validation decoding, perplexity):").AppendLine();
        TextTables.Markdown(sb, ValidationHeader(r), ValidationRows(r), 1);
        return sb.ToString();
    }

    /// <summary>Renders the results table and the notes with Spectre.Console to <paramref name="console"/>, fitted to
    /// its width (FittedTable: the table, else transposed, else one block per run; notes wrapped).</summary>
    public static void Write(ResultsReport r, IAnsiConsole console)
    {
        FittedTable.Write(console, "results", Header(r), Rows(r), LeftColumns);
        foreach (var note in Notes(r)) console.WriteLine(note.Plain);
    }

    /// <summary>The Spectre output as plain text (no colours) fitted to <paramref name="width"/> columns (default 400),
    /// e.g. for tests or a redirected stdout.</summary>
    public static string Text(ResultsReport r, int width = 400) => TextTables.PlainText(console => Write(r, console), width);
}
