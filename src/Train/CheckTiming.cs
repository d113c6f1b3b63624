// CheckTiming: the timed passes of `check-reversal`: one untimed warm-up, then N passes of the reversible check (each a
// full forward + reverse with its bit-exact comparison), alternating with N forward + backward passes of the fused
// nn.GRU/nn.LSTM when compared, so machine noise falls on both alike. Guarantees: the result is exact only if every
// pass was; times are reported per pass and as medians; the ratio is median(forward + reverse) / median(fused).
using Seq2SeqRev.Reversible;

namespace Seq2SeqRev.Train;

internal sealed record CheckTiming(ReversalCheckResult Result, IReadOnlyList<double> Forward, IReadOnlyList<double> Reverse,
    IReadOnlyList<double>? Fused)
{
    public static CheckTiming Measure(ReversalCheckOptions options, int passes, bool compareFused)
    {
        using var fused = compareFused ? new ReversalCheck.FusedBaseline(options) : null;
        var first = ReversalCheck.Run(options);   // warm-up when timing several passes; the only pass otherwise
        fused?.Pass();
        if (passes == 1 && !compareFused) return new CheckTiming(first, [first.SecondsForward], [first.SecondsReverse], null);
        var forward = new List<double>();
        var reverse = new List<double>();
        var fusedSeconds = compareFused ? new List<double>() : null;
        var result = first;
        for (int i = 0; i < passes; i++)
        {
            var r = ReversalCheck.Run(options);
            if (!r.Exact && result.Exact) result = r;   // report a failing pass's mismatch count
            forward.Add(r.SecondsForward);
            reverse.Add(r.SecondsReverse);
            if (fused is not null) fusedSeconds!.Add(fused.Pass());
        }
        return new CheckTiming(result, forward, reverse, fusedSeconds);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>median(forward + reverse) / median(fused), or null without the fused comparison.</summary>
    public double? RatioToFused => Fused is { Count: > 0 } f && Median(f) > 0
        ? Median([.. Forward.Zip(Reverse, (a, b) => a + b)]) / Median(f) : null;
}
