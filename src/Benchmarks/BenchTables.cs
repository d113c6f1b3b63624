// BenchTables: the `bench` report for the terminal — a header (what was measured, on which batches and tokenizer, and
// what the machine was doing), the throughput table (target tokens/s median/min/max over rounds, ratio of medians to
// the first config), the phase profile (seconds per step and share; reversal configs only) and the translation table
// (sentences/s and ratios per search). Guarantees: the numbers are those of BenchReport.ToJson, rounded for reading.
using System.Globalization;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using Spectre.Console;

namespace Seq2SeqRev.Benchmarks;

public static class BenchTables
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static IReadOnlyList<string> Header(BenchReport r) =>
    [
        string.Create(C, $"bench: training throughput, {r.Data} data; per config {r.Warmup} untimed warm-up step(s), then {r.Rounds} round(s) of {r.Batches} timed step(s), configs interleaved within each round"),
        r.SameBatches
            ? $"batches: the same for every config: {r.DataDescriptions[0]}"
            : "batches differ between configs (tokenizer or batch settings differ): " + string.Join("; ", r.DataDescriptions.Select((d, i) => $"[{i}] {d}")),
        r.SharedTokenizer
            ? $"tokenizer: one for every config: {r.Configs[0].Tokenizer}"
            : "tokenizer: per config: " + string.Join("; ", r.Configs.Select(c => $"{c.Name}: {c.Tokenizer}")),
        Machine(r),
    ];

    public static string Machine(BenchReport r)
    {
        string Load(LoadAverage? l) => l?.ToString() ?? "unavailable";
        var line = string.Create(C,
            $"machine: {r.LogicalCpus} logical CPUs, torch threads {r.TorchThreads} ({r.OpenMp}); load average (1/5/15 min, this process included) {Load(r.LoadStart)} at start, {Load(r.LoadEnd)} at end");
        var peak = Math.Max(r.LoadStart?.One ?? 0, r.LoadEnd?.One ?? 0);
        if (peak >= r.LogicalCpus) line += " -- busy: absolute numbers are noisy, the ratios less so";
        return line;
    }

    public static IReadOnlyList<string> ThroughputHeader { get; } =
        ["config", "cell", "training", "tok/s median", "min", "max", "ratio", "vs fastest baseline", "paired", "loss"];

    public static IEnumerable<string[]> ThroughputRows(BenchReport r)
    {
        var ratios = r.Ratios;
        var fastest = r.FastestBaselines;
        var toFastest = r.RatiosToFastestBaseline;
        var paired = r.PairedRatiosToFastestBaseline;
        return r.Configs.Select((c, i) =>
        {
            var s = c.TokensPerSecond;
            return new[]
            {
                c.Name, SettingNames.Cells.NameOf(c.Cell), SettingNames.MemoryModes.NameOf(c.TrainingMemory), Rate(s.Median), Rate(s.Min), Rate(s.Max),
                ratios[i].ToString("F3", C),
                toFastest[i] is double x ? string.Create(C, $"{x:F3} ({r.Configs[fastest[i]!.Value].Name})") : "-",
                paired[i] is double y ? y.ToString("F3", C) : "-",
                double.IsFinite(c.MeanLoss) ? c.MeanLoss.ToString("F3", C) : "n/a",
            };
        });
    }

    private static string Rate(double x) => x.ToString(x < 100 ? "F1" : "F0", C);

    public static IReadOnlyList<string> ProfileHeader(BenchReport r) => ["phase", .. r.Configs.Select(c => c.Name)];

    public static IEnumerable<string[]> ProfileRows(BenchReport r)
    {
        string Cell(BenchConfigResult c, Func<PhaseProfile, double> seconds)
        {
            if (c.Profile is not { } p) return "-";
            if (!c.TrainsByReversal) return "n/a";
            double s = seconds(p);
            return string.Create(C, $"{s:F4} s {(p.StepSeconds > 0 ? 100 * s / p.StepSeconds : 0),5:F1}%");
        }
        yield return ["step (measured)", .. r.Configs.Select(c => c.Profile is { } p ? string.Create(C, $"{p.StepSeconds:F4} s  100.0%") : "-")];
        for (int k = 0; k < PhaseProfile.Layout.Count; k++)
        {
            int index = k;
            yield return [PhaseProfile.Layout[k].Label, .. r.Configs.Select(c => Cell(c, p => p.Phases[index].Seconds))];
        }
        yield return [PhaseProfile.OtherLabel, .. r.Configs.Select(c => Cell(c, p => p.OtherSeconds))];
    }

    public static IReadOnlyList<string> TranslationHeader(BenchReport r) =>
        ["config", "run", "sentences", .. r.Searches.SelectMany(s => new[] { $"{s} sent/s", "ratio" })];

    public static IEnumerable<string[]> TranslationRows(BenchReport r)
    {
        var ratios = r.Searches.ToDictionary(s => s, r.TranslationRatios);
        return r.Configs.Select((c, i) => new[] { c.Name, c.Translation!.Run, c.Translation.Sentences.ToString(C) }
            .Concat(r.Searches.SelectMany(s => new[]
            {
                Rate(c.Translation.Timings.First(t => t.Search == s).Rate.Median), ratios[s][i].ToString("F3", C),
            })).ToArray());
    }

    public static void Write(BenchReport r, IAnsiConsole console)
    {
        foreach (var line in Header(r)) console.WriteLine(line);
        console.Write(TextTables.Spectre("training target tokens/s (ratio: median / first median; vs fastest baseline: median / the fastest median of the baseline cell; paired: median over the rounds of the two in one round)",
            ThroughputHeader, ThroughputRows(r), 3));
        if (r.Configs.Any(c => c.Profile is not null))
            console.Write(TextTables.Spectre("seconds per training step by phase",
                ProfileHeader(r), ProfileRows(r), 1));
        if (r.Configs.All(c => c.Translation is not null))
            console.Write(TextTables.Spectre("translating the validation split (sentences/s median)",
                TranslationHeader(r), TranslationRows(r), 2));
    }

    /// <summary>The report as plain text (no colours, no wrapping), e.g. for a redirected stdout or tests.</summary>
    public static string Text(BenchReport r) => TextTables.PlainText(console => Write(r, console));
}
