// SeedGroups: runs of the same config trained with different seeds, grouped and summarised as mean ± standard
// deviation. Guarantees: two runs are in one group exactly when their resolved configs are equal once the seed and the
// settings that do not change training (data.corpora_dir, training.keep_checkpoints) are set aside, groups and the runs
// in them keep the order the runs were given in; sd is the sample standard deviation (n − 1), absent for one value;
// a mean skips runs without the value (unknown savings, a split not scored) and is absent when none has it; the
// per-epoch curve averages, at each epoch, the runs that reached it.
using System.Globalization;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Translation.Results;

/// <summary>A mean over the runs of a group, its sample standard deviation and how many runs it counts.</summary>
public readonly record struct Spread(double Mean, double? Sd, int N)
{
    public static Spread? Of(IEnumerable<double?> values)
    {
        var v = values.OfType<double>().Where(double.IsFinite).ToList();
        if (v.Count == 0) return null;
        var mean = v.Average();
        double? sd = v.Count < 2 ? null : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        return new Spread(mean, sd, v.Count);
    }

    /// <summary>"34.50 ± 0.31" (two decimals), or "34.50" for one value.</summary>
    public string Text(string format = "F2") => Sd is { } sd
        ? $"{Mean.ToString(format, CultureInfo.InvariantCulture)} ± {sd.ToString(format, CultureInfo.InvariantCulture)}"
        : Mean.ToString(format, CultureInfo.InvariantCulture);
}

public sealed record SeedGroup(string Label, IReadOnlyList<RunSummary> Runs)
{
    public RunSummary First => Runs[0];
    public IReadOnlyList<int> Seeds => [.. Runs.Select(r => r.Config?.Seed ?? 0)];
    public int Unfinished => Runs.Count(r => r.Finished is null);

    public Spread? Of(Func<RunSummary, double?> value) => Spread.Of(Runs.Select(value));
    public Spread? Test(string split, Func<TestResult, double> value) => Of(r => r.Test(split) is { } t ? value(t) : null);

    /// <summary>Per epoch reached by any run: the spread of <paramref name="value"/> over the runs that reached it.</summary>
    public IReadOnlyList<(int Epoch, Spread Value)> Curve(Func<ValidationMetrics, double> value) =>
        [.. Runs.SelectMany(r => r.Validation.Select(v => v.Epoch)).Distinct().Order()
            .Select(e => (e, Spread.Of(Runs.Select(r => r.Validation.FirstOrDefault(v => v.Epoch == e) is { } v ? value(v) : (double?)null))))
            .Where(p => p.Item2 is not null).Select(p => (p.e, p.Item2!.Value))];
}

public static class SeedGroups
{
    /// <summary>The runs grouped by config but seed (see the file header), labelled by config name (made unique).</summary>
    public static IReadOnlyList<SeedGroup> Group(IReadOnlyList<RunSummary> runs)
    {
        var groups = new List<(RunConfig? Key, List<RunSummary> Runs)>();
        foreach (var run in runs)
        {
            var key = Key(run.Config);
            var group = groups.FirstOrDefault(g => key is not null && Equals(g.Key, key));
            if (group.Runs is null) groups.Add((key, [run]));
            else group.Runs.Add(run);
        }
        var names = groups.Select(g => g.Runs[0].Name).ToList();
        return [.. groups.Select((g, i) => new SeedGroup(
            names.Count(n => n == names[i]) == 1 ? names[i] : $"{names[i]} ({g.Runs[0].Label})", g.Runs))];
    }

    private static RunConfig? Key(RunConfig? config) => config is null ? null : config.Resolve() with
    {
        Seed = 0,
        Data = config.Data with { CorporaDir = null },
        Training = config.Resolve().Training with { KeepCheckpoints = 0 },
    };
}
