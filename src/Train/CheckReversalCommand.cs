// CheckReversalCommand: `check-reversal` — runs ReversalCheck with the given settings. Guarantees: exit 0 when every
// state was rebuilt bit for bit, 1 when not, 2 on bad arguments; --json prints the accounting as JSON.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Train;

/// <summary>
/// <c>check-reversal</c>: forward then reverse random sequences through a reversible stack and report
/// whether every state was rebuilt bit for bit, with the memory accounting. Exit 0 exact, 1 not exact,
/// 2 bad arguments.
/// </summary>
internal static class CheckReversalCommand
{
    public static Command Create()
    {
        var cell = new Option<string>("--cell") { Description = "revgru or revlstm", DefaultValueFactory = _ => "revgru" };
        var hidden = new Option<int>("--hidden") { Description = "hidden size (even)", DefaultValueFactory = _ => 300 };
        var input = new Option<int>("--input") { Description = "input size", DefaultValueFactory = _ => 300 };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 100 };
        var bits = new Option<string>("--max-forget-bits") { Description = "1, 2, 3, 5 or none", DefaultValueFactory = _ => "3" };
        var slice = new Option<int>("--slice") { Description = "top-layer h1 units kept for attention (0..H/2, or H)", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var fused = new Option<bool>("--compare-fused") { Description = "also time TorchSharp's fused nn.GRU/nn.LSTM forward+backward on the same sizes" };
        var passes = new Option<int?>("--passes") { Description = "timed passes after one warm-up, the stack's and the fused baseline's alternating; times are medians (default 5 with --compare-fused, else 1)" };
        var command = new Command("check-reversal", "check bit-exact reversal of a random RevGRU/RevLSTM stack");
        foreach (var o in new Option[] { cell, hidden, input, layers, batch, steps, bits, slice, seed, json, fused, passes }) command.Options.Add(o);
        command.SetAction(p =>
        {
            var cellWord = p.GetValue(cell)?.ToLowerInvariant() ?? "";
            if (!SettingNames.Cells.TryParse(cellWord, out var cellKind) || !cellKind.IsReversible())
                throw new UserError($"--cell '{p.GetValue(cell)}' is not allowed (allowed: {string.Join(", ", SettingNames.Cells.Names.Where(n => SettingNames.Cells.Parse(n).IsReversible()))})");
            var kind = cellKind.ToReversible();
            if (!SettingNames.ForgetLimits.TryParse(p.GetValue(bits)?.ToLowerInvariant() ?? "", out var limit))
                throw new UserError($"--max-forget-bits '{p.GetValue(bits)}' is not allowed (allowed: {string.Join(", ", SettingNames.ForgetLimits.Names)})");
            int h = p.GetValue(hidden), k = p.GetValue(slice);
            Require(h > 0 && h % 2 == 0, $"--hidden {h} must be a positive even number");
            Require(p.GetValue(input) > 0, "--input must be positive");
            Require(p.GetValue(layers) > 0, "--layers must be positive");
            Require(p.GetValue(batch) > 0, "--batch must be positive");
            Require(p.GetValue(steps) > 0, "--steps must be positive");
            Require(k >= 0 && (k <= h / 2 || k == h), $"--slice {k} must be in 0..{h / 2} or exactly {h}");
            var options = new ReversalCheckOptions(kind, h, p.GetValue(input), p.GetValue(layers),
                p.GetValue(batch), p.GetValue(steps), limit, k, p.GetValue(seed));
            bool compare = p.GetValue(fused);
            int n = p.GetValue(passes) ?? (compare ? 5 : 1);
            Require(n > 0, $"--passes {n} must be at least 1");
            var timing = CheckTiming.Measure(options, n, compare);
            var result = timing.Result;
            Console.WriteLine(p.GetValue(json) ? ToJson(result, timing) : ToText(result, timing));
            return result.Exact ? 0 : 1;
        });
        return command;
    }

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new UserError(message);
    }

    public static string ToJson(ReversalCheckResult r, CheckTiming timing) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["cell"] = SettingNames.Cells.NameOf(CellKinds.FromReversible(r.Options.Cell)),
        ["hidden"] = r.Options.Hidden,
        ["layers"] = r.Options.Layers,
        ["batch"] = r.Options.Batch,
        ["steps"] = r.Options.Steps,
        ["max_forget_bits"] = SettingNames.ForgetLimits.NameOf(r.Options.Limit),
        ["slice"] = r.Options.Slice,
        ["exact"] = r.Exact,
        ["mismatched_values"] = r.MismatchedValues,
        ["baseline_bits"] = r.BaselineBits,
        ["actual_bits"] = r.ActualBits,
        ["optimal_bits"] = Math.Round(r.OptimalBits, 1),
        ["reference_scheme_bits"] = r.ReferenceSchemeBits,
        ["passes"] = timing.Forward.Count,
        ["seconds_forward"] = Math.Round(CheckTiming.Median(timing.Forward), 4),
        ["seconds_reverse"] = Math.Round(CheckTiming.Median(timing.Reverse), 4),
        ["seconds_fused_forward_backward"] = timing.Fused is { } f ? Math.Round(CheckTiming.Median(f), 4) : null,
        ["ratio_to_fused"] = timing.RatioToFused is double q ? Math.Round(q, 4) : null,
        ["seconds_forward_passes"] = Rounded(timing.Forward),
        ["seconds_reverse_passes"] = Rounded(timing.Reverse),
        ["seconds_fused_passes"] = timing.Fused is { } fp ? Rounded(fp) : null,
    });

    private static double[] Rounded(IReadOnlyList<double> seconds) => [.. seconds.Select(s => Math.Round(s, 4))];

    private static string ToText(ReversalCheckResult r, CheckTiming timing)
    {
        double? fusedSeconds = timing.Fused is { } f ? CheckTiming.Median(f) : null;
        var passesNote = timing.Forward.Count > 1 ? $" (medians of {timing.Forward.Count} passes)" : "";
        var ratio = timing.RatioToFused is double q ? $"; (forward + reverse) / fused {q:F2}x" : "";
        var c = CultureInfo.InvariantCulture;
        return string.Create(c, $"""
            {(r.Exact ? "exact" : "NOT EXACT")}: {r.MismatchedValues} mismatched values
            baseline {r.BaselineBits} bits, actual {r.ActualBits} bits ({(double)r.BaselineBits / r.ActualBits:F1}x), optimal {r.OptimalBits:F0} bits ({r.BaselineBits / r.OptimalBits:F1}x), actual/optimal {r.ActualBits / r.OptimalBits:F3}
            reference-code scheme would hold {r.ReferenceSchemeBits} bits ({(double)(r.ReferenceSchemeBits ?? 0) / r.OptimalBits:F2}x optimal)
            forward {CheckTiming.Median(timing.Forward):F3} s, reverse {CheckTiming.Median(timing.Reverse):F3} s{(fusedSeconds is double fs ? $"; fused nn.{(r.Options.Cell == ReversibleCellKind.RevGRU ? "GRU" : "LSTM")} forward+backward {fs:F3} s" : "")}{ratio}{passesNote}
            """);
    }
}
