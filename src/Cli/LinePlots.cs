// LinePlots: the one home of the PNG line charts that `memory` and `report` draw (ScottPlot 5): one labelled line
// with markers per series, written atomically. Guarantees: non-finite points are left out (a series without any draws
// no line); the file is complete or absent (AtomicFile); a write failure is a one-line UserError naming it.
using ScottPlot;

namespace Seq2SeqRev.Cli;

public static class LinePlots
{
    /// <summary>Adds one line with markers, labelled in the legend.</summary>
    public static void AddLine(Plot plot, string label, IEnumerable<(double X, double Y)> points)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        if (finite.Length == 0) return;
        var line = plot.Add.Scatter(finite.Select(p => p.X).ToArray(), finite.Select(p => p.Y).ToArray());
        line.LegendText = label;
        line.MarkerSize = 6;
    }

    /// <summary>Title, axis labels and legend position of a panel.</summary>
    public static void Label(Plot plot, string title, string xLabel, string yLabel, Alignment legend)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(legend);
    }

    public static void SavePng(Plot plot, string path, int width, int height) =>
        Write(path, plot.GetImageBytes(width, height, ImageFormat.Png));

    public static void SavePng(Multiplot plot, string path, int width, int height)
    {
        using var image = plot.Render(width, height);
        Write(path, image.GetImageBytes(ImageFormat.Png));
    }

    private static void Write(string path, byte[] png) => AtomicFile.WriteOutput(path, stream => stream.Write(png));
}
