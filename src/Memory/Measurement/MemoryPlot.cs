// MemoryPlot: a PNG of measured activation peak (MiB) against sequence length, one line per config, labelled
// "<name> (<training memory>)". Guarantees: configs without measurements are left out; written atomically (LinePlots).
using ScottPlot;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Memory;

public static class MemoryPlot
{
    public static void Save(MemoryReport report, string path, int width = 900, int height = 560)
    {
        var plot = new Plot();
        foreach (var c in report.Configs.Where(c => c.Measured.Count > 0))
            LinePlots.AddLine(plot, $"{c.Name} ({SettingNames.MemoryModes.NameOf(c.TrainingMemory)})", c.Measured.OrderBy(m => m.SeqLen).Select(m => ((double)m.SeqLen, m.PeakBytes / 1048576.0)));
        LinePlots.Label(plot, $"Activation memory of one training step (batch {report.Batch})",
            "sequence length T (source = target tokens)", "peak activation memory (MiB)", Alignment.UpperLeft);
        LinePlots.SavePng(plot, path, width, height);
    }
}
