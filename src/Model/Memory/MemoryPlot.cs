// MemoryPlot: a PNG (ScottPlot 5) of measured activation peak (MiB) against sequence length, one line per
// config, labelled "<name> (<training memory>)". Guarantees: configs without measurements are left out;
// the file is written whole at `path` (folder created).
using ScottPlot;

namespace Seq2SeqRev.Model.Memory;

public static class MemoryPlot
{
    public static void Save(MemoryReport report, string path, int width = 900, int height = 560)
    {
        var plot = new Plot();
        foreach (var c in report.Configs.Where(c => c.Measured.Count > 0))
        {
            var points = c.Measured.OrderBy(m => m.SeqLen).ToArray();
            var line = plot.Add.Scatter(points.Select(m => (double)m.SeqLen).ToArray(), points.Select(m => m.PeakBytes / 1048576.0).ToArray());
            line.LegendText = $"{c.Name} ({c.TrainingMemory})";
            line.MarkerSize = 6;
        }
        plot.Title($"Activation memory of one training step (batch {report.Batch})");
        plot.XLabel("sequence length T (source = target tokens)");
        plot.YLabel("peak activation memory (MiB)");
        plot.ShowLegend(Alignment.UpperLeft);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(path, width, height);
    }
}
