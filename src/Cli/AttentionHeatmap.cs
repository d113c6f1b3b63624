// AttentionHeatmap: the PNG heatmap of one translation's attention weights (ScottPlot 5), as Joey NMT draws them:
// source tokens as column labels along the top, target tokens as row labels down the left, the first target token at
// the top, weights on a fixed 0..1 viridis scale with a colour bar. Guarantees: the pixel size depends only on the
// token counts and label lengths (Size), so callers and tests can predict it; cells are square, 28 px, shrunk only
// when a side would pass 3000 px; the file is complete or absent (AtomicFile: a write failure is a one-line UserError).
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Seq2SeqRev.Cli;

public static class AttentionHeatmap
{
    private const int Cell = 28, MaxSide = 3000, MinPlotHeight = 140, CharPixels = 8, ColorBarPixels = 90;

    /// <summary>Width and height in pixels of the heatmap of <paramref name="columns"/> × <paramref name="rows"/> labels.</summary>
    public static (int Width, int Height) Size(IReadOnlyList<string> columns, IReadOnlyList<string> rows)
    {
        var (left, right, bottom, top, cell) = Layout(columns, rows);
        return (left + right + cell * columns.Count, top + bottom + Math.Max(MinPlotHeight, cell * rows.Count));
    }

    /// <summary>Writes the heatmap of <paramref name="weights"/>[row][column] (values in 0..1) to <paramref name="path"/>.</summary>
    public static void SavePng(string path, IReadOnlyList<float[]> weights, IReadOnlyList<string> columns, IReadOnlyList<string> rows)
    {
        if (weights.Count != rows.Count || weights.Any(r => r.Length != columns.Count))
            throw new ArgumentException($"weights must be {rows.Count} rows of {columns.Count} values");
        var data = new double[rows.Count, columns.Count];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < columns.Count; j++) data[i, j] = weights[i][j];

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(data);   // row 0 of the data is drawn at the top (y = rows − 1)
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.Axes.XAxis = plot.Axes.Top;
        plot.Add.ColorBar(heatmap);
        plot.Axes.Top.TickGenerator = new NumericManual([.. Enumerable.Range(0, columns.Count).Select(j => (double)j)], [.. columns]);
        plot.Axes.Left.TickGenerator = new NumericManual([.. Enumerable.Range(0, rows.Count).Select(i => (double)(rows.Count - 1 - i))], [.. rows]);
        plot.Axes.Top.TickLabelStyle.Rotation = -90;
        plot.Axes.Top.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.IsVisible = false;
        plot.Axes.Right.IsVisible = false;
        plot.Axes.Margins(0, 0);
        var (left, right, bottom, top, _) = Layout(columns, rows);
        plot.Layout.Fixed(new PixelPadding(left, right, bottom, top));
        var (width, height) = Size(columns, rows);
        LinePlots.SavePng(plot, path, width, height);
    }

    /// <summary>Margins (room for the labels and the colour bar) and the cell size, in pixels.</summary>
    private static (int Left, int Right, int Bottom, int Top, int Cell) Layout(IReadOnlyList<string> columns, IReadOnlyList<string> rows)
    {
        int longest = Math.Max(Math.Max(columns.Count, rows.Count), 1);
        int cell = Math.Max(4, Math.Min(Cell, MaxSide / longest));
        int LabelPixels(IReadOnlyList<string> labels) => Math.Max(40, 16 + CharPixels * labels.Select(l => l.Length).DefaultIfEmpty(1).Max());
        return (LabelPixels(rows), ColorBarPixels, 12, LabelPixels(columns), cell);
    }
}
