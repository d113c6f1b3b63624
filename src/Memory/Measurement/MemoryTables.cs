// MemoryTables: the report as tables — text (Spectre.Console) for the terminal and GitHub markdown for docs.
// Tables: the accounting in both conventions (savings = baseline bits / stored bits; "(paper)" = the paper's actual and
// optimal over the padded baseline, "held" = everything held over the unpadded baseline, "held limit" = the same parts at
// their floor (see MemoryReport.HeldConvention); "n/a" for models not trained by reversal), the held bits by part (bits per sentence), and,
// when measured, the activation peak (MiB) and the step time (ms) per sequence length with the per-step growth (least-
// squares slope, MiB per time step). Guarantees: both renderers print the same cells, formatted by the functions below.
using System.Globalization;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;
using Spectre.Console;

namespace Seq2SeqRev.Memory;

public static class MemoryTables
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private const int LeftColumns = 2;

    public static string Saving(double? x) => MemorySaving.Text(x);
    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", C);
    public static string Ms(double ms) => ms.ToString("F0", C);

    public static string Bits(double bits) => bits.ToString("N0", C);
    public static string Percent(double x) => x.ToString("F1", C) + " %";
    public static string Growth(double? mibPerStep) => mibPerStep is double g ? g.ToString("F3", C) : "-";

    public static IReadOnlyList<string> AccountingHeader { get; } =
    [
        "config", "cell", "attention", "bits", "training", "weights",
        "enc act (paper)", "enc opt (paper)", "dec act (paper)", "dec opt (paper)", "enc held", "enc held limit", "dec held", "dec held limit",
    ];

    private static double? HeldSaving(MemoryBits? b, bool limit) =>
        b is null || !b.HasHeld ? null : limit ? b.SavingHeldLimit : b.SavingHeld;

    public static IEnumerable<string[]> AccountingRows(MemoryReport r) => r.Configs.Select(c => new[]
    {
        c.Name, SettingNames.Cells.NameOf(c.Cell), c.Attention, c.MaxForgetBitsWord ?? "n/a", SettingNames.MemoryModes.NameOf(c.TrainingMemory),
        c.Encoder is null ? "n/a" : c.Trained ? "trained" : "untrained",
        Saving(c.Encoder?.SavingActual), Saving(c.Encoder?.SavingOptimal), Saving(c.Decoder?.SavingActual), Saving(c.Decoder?.SavingOptimal),
        Saving(HeldSaving(c.Encoder, false)), Saving(HeldSaving(c.Encoder, true)), Saving(HeldSaving(c.Decoder, false)), Saving(HeldSaving(c.Decoder, true)),
    });

    public static bool HasBreakdown(MemoryReport r) => r.Configs.Any(c => c.AccountingSentences > 0 && (c.Encoder?.HasHeld ?? false));

    public static IReadOnlyList<string> BreakdownHeader { get; } =
        ["config", "side", "part", "held bits/sentence", "% of held", "limit bits/sentence"];

    /// <summary>Per config and side: the unpadded baseline, every held part (bits per sentence, share of the held total,
    /// the part's floor) and the total.</summary>
    public static IEnumerable<string[]> BreakdownRows(MemoryReport r)
    {
        foreach (var c in r.Configs.Where(c => c.AccountingSentences > 0))
            foreach (var (side, b) in new[] { ("encoder", c.Encoder), ("decoder", c.Decoder) })
            {
                if (b is null || !b.HasHeld) continue;
                double n = c.AccountingSentences;
                yield return [c.Name, side, "baseline (unpadded)", Bits(b.BaselineUnpadded / n), "", ""];
                var names = b.HeldParts.Select(p => p.Name).Concat(b.LimitParts.Select(p => p.Name)).Distinct();
                foreach (var name in names)
                {
                    var held = b.HeldParts.FirstOrDefault(p => p.Name == name);
                    var limit = b.LimitParts.FirstOrDefault(p => p.Name == name);
                    yield return [c.Name, side, name, held is null ? "-" : Bits(held.Bits / n), held is null ? "" : Percent(100 * held.Bits / b.Held),
                        limit is null ? "-" : Bits(limit.Bits / n)];
                }
                yield return [c.Name, side, "total", Bits(b.Held / n), Percent(100), Bits(b.HeldLimit / n)];
            }
    }

    public static bool HasMeasurements(MemoryReport r) => r.Configs.Any(c => c.Measured.Count > 0);

    public static IReadOnlyList<string> MeasuredHeader(MemoryReport r) =>
        ["config", "training", "loss shard", .. r.SeqLengths.Select(t => $"MiB T={t}"), "MiB/step", .. r.SeqLengths.Select(t => $"ms T={t}")];

    public static IEnumerable<string[]> MeasuredRows(MemoryReport r) => r.Configs.Select(c =>
    {
        string Cell(int t, Func<Measurement, string> f) => c.Measured.FirstOrDefault(m => m.SeqLen == t) is { } m ? f(m) : "-";
        return new[] { c.Name, SettingNames.MemoryModes.NameOf(c.TrainingMemory), c.TrainingMemory == TrainingMemory.Reversal ? "n/a" : c.LossShard == 0 ? "whole" : c.LossShard.ToString(C) }
            .Concat(r.SeqLengths.Select(t => Cell(t, m => Mib(m.PeakBytes))))
            .Append(Growth(c.GrowthMibPerStep))
            .Concat(r.SeqLengths.Select(t => Cell(t, m => Ms(m.StepMs))))
            .ToArray();
    });

    public static string Markdown(MemoryReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Memory savings (baseline bits / stored bits), {r.Data} data, batch {r.Batch}:").AppendLine();
        TextTables.Markdown(sb, AccountingHeader, AccountingRows(r), LeftColumns);
        sb.AppendLine().AppendLine($"- {MemoryReport.PaperConvention}").AppendLine($"- {MemoryReport.HeldConvention}");
        if (HasBreakdown(r))
        {
            sb.AppendLine().AppendLine("Held bits by part (per sentence; limit = the part's floor):").AppendLine();
            TextTables.Markdown(sb, BreakdownHeader, BreakdownRows(r), 3);
        }
        if (HasMeasurements(r))
        {
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"Measured activation memory of one training step (peak resident set above parameters, gradients and optimizer state) and forward+backward time, batch {r.Batch}:").AppendLine();
            TextTables.Markdown(sb, MeasuredHeader(r), MeasuredRows(r), LeftColumns);
        }
        return sb.ToString();
    }

    /// <summary>Renders the tables with Spectre.Console to <paramref name="console"/>, each fitted to its width
    /// (FittedTable: the table, else transposed, else one block per config).</summary>
    public static void Write(MemoryReport r, IAnsiConsole console)
    {
        FittedTable.Write(console, $"memory savings ({r.Data} data, batch {r.Batch})", AccountingHeader, AccountingRows(r), LeftColumns);
        console.WriteLine(MemoryReport.PaperConvention);
        console.WriteLine(MemoryReport.HeldConvention);
        if (HasBreakdown(r))
            FittedTable.Write(console, "held bits by part (per sentence)", BreakdownHeader, BreakdownRows(r), 3);
        if (HasMeasurements(r))
            FittedTable.Write(console, $"measured activation peak and step time (batch {r.Batch})", MeasuredHeader(r), MeasuredRows(r), LeftColumns);
    }

    /// <summary>The Spectre tables as plain text (no colours) fitted to <paramref name="width"/> columns (default 400),
    /// e.g. for tests or a redirected stdout.</summary>
    public static string Text(MemoryReport r, int width = 400) => TextTables.PlainText(console => Write(r, console), width);
}
