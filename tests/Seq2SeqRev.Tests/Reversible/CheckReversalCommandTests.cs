// CheckReversalCommandTests: `check-reversal --compare-fused` as a child process reports every timed pass of the stack and
// of the fused baseline and their medians, and the ratio median(forward + reverse) / median(fused); the check stays
// exact. No timing assertions: the numbers depend on the machine.
using System.Text.Json;
using Xunit;

namespace Seq2SeqRev.Tests.Reversible;

public sealed class CheckReversalCommandTests
{
    private static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    [Theory]
    [InlineData("revgru", 3)]
    [InlineData("revlstm", 4)]
    public void CompareFusedReportsMediansOfThePasses(string cell, int passes)
    {
        var (exit, stdout, stderr) = CliProcess.Run(CliProcess.TrainDll, "check-reversal", "--cell", cell, "--hidden", "16",
            "--input", "8", "--batch", "4", "--steps", "12", "--slice", "4", "--json", "--compare-fused", "--passes", passes.ToString());
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("exact").GetBoolean());
        Assert.Equal(passes, root.GetProperty("passes").GetInt32());
        double[] Passes(string key) => [.. root.GetProperty(key).EnumerateArray().Select(e => e.GetDouble())];
        var forward = Passes("seconds_forward_passes");
        var reverse = Passes("seconds_reverse_passes");
        var fused = Passes("seconds_fused_passes");
        Assert.All(new[] { forward, reverse, fused }, a => Assert.Equal(passes, a.Length));
        // Medians of the unrounded passes, rounded to 0.1 ms; the reported passes are rounded too (an even count
        // averages two of them): they agree within 0.1 ms.
        Assert.InRange(Math.Abs(Median(forward) - root.GetProperty("seconds_forward").GetDouble()), 0, 1.0001e-4);
        Assert.InRange(Math.Abs(Median(reverse) - root.GetProperty("seconds_reverse").GetDouble()), 0, 1.0001e-4);
        Assert.InRange(Math.Abs(Median(fused) - root.GetProperty("seconds_fused_forward_backward").GetDouble()), 0, 1.0001e-4);
        // The ratio comes from the unrounded passes; the reported passes are rounded to 0.1 ms.
        double ratio = root.GetProperty("ratio_to_fused").GetDouble();
        double expected = Median([.. forward.Zip(reverse, (a, b) => a + b)]) / Median(fused);
        Assert.True(Math.Abs(ratio - expected) <= 0.0002 / Median(fused) * (1 + expected) + 0.0001, $"{ratio} vs {expected}");
    }

    [Fact]
    public void WithoutCompareFusedOnePassAndNoRatio()
    {
        var (exit, stdout, stderr) = CliProcess.Run(CliProcess.TrainDll, "check-reversal", "--hidden", "8", "--input", "4",
            "--batch", "2", "--steps", "5", "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("passes").GetInt32());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("ratio_to_fused").ValueKind);
    }

    [Fact]
    public void ZeroPassesIsOneLineError()
    {
        var (exit, _, stderr) = CliProcess.Run(CliProcess.TrainDll, "check-reversal", "--passes", "0");
        CliProcess.AssertOneLineError(exit, stderr, "--passes 0 must be at least 1");
    }
}
