// SeedTables: the markdown tables of docs/RESULTS.md built from seed groups — (1) per model, mean ± sd over seeds of
// each test split's BLEU, BLEU lc and chrF2 with the memory savings (held and paper convention, each run's mean over
// epochs, then the mean over seeds); (2) the validation curve per model (mean ± sd of val BLEU and mean val ppl per
// epoch); (3) the paper's cross-section layout, one row per reversible model (attention × forgetting limit): val BLEU
// of the best epoch and test BLEU beside encoder and decoder savings, held and paper convention. Guarantees: a group
// with unfinished runs says so in its status cell ("2 of 3 unfinished"); "-" where no run has the value.
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Memory;
using Seq2SeqRev.Runs;

namespace Seq2SeqRev.Translation.Results;

public static class SeedTables
{
    private const string Missing = "-";
    private static string S(Spread? s, string format = "F2") => s is { } v ? v.Text(format) : Missing;
    private static string X(Spread? s) => s is { } v ? MemorySaving.Text(v.Mean) : "n/a";

    public static string Status(SeedGroup g) =>
        g.Unfinished == 0 ? "finished" : $"{g.Unfinished} of {g.Runs.Count} unfinished";

    public static string Seeds(SeedGroup g) => string.Join(",", g.Seeds.Select(s => s.ToString(CultureInfo.InvariantCulture)));

    public static void Markdown(StringBuilder sb, IReadOnlyList<SeedGroup> groups, IReadOnlyList<string> splits)
    {
        sb.AppendLine("Per model, mean ± sd over seeds (test: best checkpoint by validation perplexity; savings: mean over epochs of the training batches, then over seeds):").AppendLine();
        TextTables.Markdown(sb,
            ["model", "cell", "attention", "bits", "seeds", "status",
             .. splits.SelectMany(s => new[] { $"{s} BLEU", $"{s} BLEU lc", $"{s} chrF2" }),
             "enc held", "dec held", "enc act (paper)", "dec act (paper)"],
            groups.Select(g => new[]
            {
                g.Label, g.First.Cell, g.First.Attention, g.First.MaxForgetBits ?? "–", Seeds(g), Status(g),
            }.Concat(splits.SelectMany(split => new[]
            {
                S(g.Test(split, t => t.Bleu.Score)), S(g.Test(split, t => t.BleuLowercase.Score)), S(g.Test(split, t => t.Chrf.Score)),
            })).Concat([X(g.Of(r => r.EncSavingHeld)), X(g.Of(r => r.DecSavingHeld)), X(g.Of(r => r.EncSavingActual)), X(g.Of(r => r.DecSavingActual))])
            .ToArray()), 6);

        sb.AppendLine().AppendLine("Validation per epoch, mean ± sd over seeds (BLEU of the trainer's validation decoding; perplexity mean):").AppendLine();
        var curves = groups.Select(g => (Bleu: g.Curve(v => v.ValBleu).ToDictionary(p => p.Epoch, p => p.Value),
            Ppl: g.Curve(v => v.ValPpl).ToDictionary(p => p.Epoch, p => p.Value))).ToList();
        var epochs = curves.SelectMany(c => c.Bleu.Keys).Distinct().Order().ToList();
        TextTables.Markdown(sb,
            ["epoch", .. groups.SelectMany(g => new[] { $"{g.Label} val BLEU", $"{g.Label} val ppl" })],
            epochs.Select(e => new[] { e.ToString(CultureInfo.InvariantCulture) }.Concat(curves.SelectMany(c => new[]
            {
                c.Bleu.TryGetValue(e, out var b) ? b.Text() : Missing,
                c.Ppl.TryGetValue(e, out var q) ? q.Mean.ToString("F2", CultureInfo.InvariantCulture) : Missing,
            })).ToArray()), 1);
    }

    /// <summary>The paper's cross-section: reversible models by attention and forgetting limit.</summary>
    public static void CrossSection(StringBuilder sb, IReadOnlyList<SeedGroup> groups, IReadOnlyList<string> splits)
    {
        var reversible = groups.Where(g => g.First.MaxForgetBits is not null).ToList();
        if (reversible.Count == 0) return;
        sb.AppendLine().AppendLine("Attention × forgetting limit (reversible models; val BLEU of the best epoch; savings held / paper convention, actual):").AppendLine();
        TextTables.Markdown(sb,
            ["model", "cell", "attention", "bits", "seeds", "status", "epochs", "val BLEU", .. splits.Select(s => $"{s} BLEU"),
             "enc held", "enc (paper)", "dec held", "dec (paper)"],
            reversible.Select(g => new[]
            {
                g.Label, g.First.Cell, g.First.Attention, g.First.MaxForgetBits!, Seeds(g), Status(g),
                S(g.Of(r => r.Epochs), "F0"), S(g.Of(r => r.Best?.ValBleu)),
            }.Concat(splits.Select(split => S(g.Test(split, t => t.Bleu.Score))))
            .Concat([X(g.Of(r => r.EncSavingHeld)), X(g.Of(r => r.EncSavingActual)), X(g.Of(r => r.DecSavingHeld)), X(g.Of(r => r.DecSavingActual))])
            .ToArray()), 6);
    }
}
