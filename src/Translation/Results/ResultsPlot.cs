// ResultsPlot: one PNG (ScottPlot 5) with two panels side by side — validation BLEU per epoch (left) and validation
// loss per epoch (right) — one line per run, legend = run label; runs of one config with several seeds (SeedGroups) draw
// one line, their mean, in a band of ± one standard deviation. Guarantees: non-finite values are left out (a run
// without any draws no line); the file is written atomically (AtomicFile), folder created; a write failure is a one-line UserError naming it.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using ScottPlot;

namespace Seq2SeqRev.Translation.Results;

public static class ResultsPlot
{
    public static void Save(ResultsReport report, string path, int width = 1400, int height = 560)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(multiplot.GetPlot(0), report, v => v.ValBleu, "Validation BLEU", "BLEU", Alignment.LowerRight);
        Panel(multiplot.GetPlot(1), report, v => v.ValLoss, "Validation loss", "loss (cross-entropy per token)", Alignment.UpperRight);
        LinePlots.SavePng(multiplot, path, width, height);
    }

    private static void Panel(Plot plot, ResultsReport report, Func<ValidationMetrics, double> value, string title, string yLabel,
        Alignment legend)
    {
        foreach (var group in SeedGroups.Group(report.Runs))
        {
            if (group.Runs.Count == 1)
            {
                LinePlots.AddLine(plot, group.First.Label, group.First.Validation.Select(v => ((double)v.Epoch, value(v))));
                continue;
            }
            var curve = group.Curve(value);
            LinePlots.AddLine(plot, $"{group.Label} (mean ± sd of {group.Runs.Count} seeds)", curve.Select(p => ((double)p.Epoch, p.Value.Mean)));
            var band = curve.Where(p => p.Value.Sd is not null && double.IsFinite(p.Value.Sd.Value)).ToList();
            if (band.Count == 0 || plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().LastOrDefault() is not { } line) continue;
            var fill = plot.Add.FillY([.. band.Select(p => (double)p.Epoch)], [.. band.Select(p => p.Value.Mean - p.Value.Sd!.Value)],
                [.. band.Select(p => p.Value.Mean + p.Value.Sd!.Value)]);
            fill.FillColor = line.Color.WithAlpha(0.2);
        }
        LinePlots.Label(plot, title, "epoch", yLabel, legend);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
    }
}
