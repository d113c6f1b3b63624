// ResultsPlot: one PNG (ScottPlot 5) with two panels side by side — validation BLEU per epoch (left) and validation
// loss per epoch (right) — one line per run, legend = run label. Guarantees: non-finite values are left out (a run
// without any draws no line); the file is written atomically (AtomicFile), folder created; a write failure is a one-line UserError naming it.
using ScottPlot;
using Seq2SeqRev.Model.Training;

namespace Seq2SeqRev.Model.Results;

public static class ResultsPlot
{
    public static void Save(ResultsReport report, string path, int width = 1400, int height = 560)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(multiplot.GetPlot(0), report, v => v.ValBleu, "Validation BLEU", "BLEU", Alignment.LowerRight);
        Panel(multiplot.GetPlot(1), report, v => v.ValLoss, "Validation loss", "loss (cross-entropy per token)", Alignment.UpperRight);
        using var image = multiplot.Render(width, height);
        var png = image.GetImageBytes(ImageFormat.Png);
        AtomicFile.WriteOutput(path, stream => stream.Write(png));
    }

    private static void Panel(Plot plot, ResultsReport report, Func<ValidationMetrics, double> value, string title, string yLabel,
        Alignment legend)
    {
        foreach (var run in report.Runs)
        {
            var points = run.Validation.Where(v => double.IsFinite(value(v))).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(v => (double)v.Epoch).ToArray(), points.Select(value).ToArray());
            line.LegendText = run.Label;
            line.MarkerSize = 6;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(legend);
    }
}
