// BackwardKernelTests: the fused backward of a reversed cell step (BackwardKernels via BackwardSites) against the
// tensor composition it replaces: ForgettingSites.Gradient for the sites, then LibTorch's mul/add/sub/neg chain of
// RevGRUCell's and RevLSTMCell's reference backward.
// Guarantees checked: bit-identical previous-part gradients and gate pre-activation gradients on random and edge values
// (gates at 0, 1, near the quantization midpoints, signed zeros, large integers) for every forgetting limit, with and
// without an addend and inactive rows, at widths that do and do not fill the vector registers (LibTorch's and .NET's).
// Whole stacks (every limit, masks, blocks 1 and 5, long sequences) are GateKernelTests' FusedGatesMatchTheReference.
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

public class BackwardKernelTests
{
    public static TheoryData<string> Limits() => new() { "1", "2", "3", "5", "none" };

    private static readonly int[] Widths = [1, 7, 8, 9, 17, 150];
    private const int Rows = 5;

    private static Tensor Uniform(Random random, int n, float low, float high, bool edges = true) => tensor(
        [.. Enumerable.Range(0, Rows * n).Select(_ => edges && random.Next(12) == 0
            ? new[] { 0f, -0f, low, high }[random.Next(4)]
            : low + (float)random.NextDouble() * (high - low))], [Rows, n]);

    /// <summary>Keep gates in [2^−k, 1] with values at the quantization midpoints.</summary>
    private static Tensor Gates(Random random, int n, float m) => tensor(
        [.. Enumerable.Range(0, Rows * n).Select(_ => random.Next(4) == 0
            ? (random.Next(1024) + 0.5f) / 1024f
            : 1f - m + m * (float)random.NextDouble())], [Rows, n]);

    private static Tensor Ints(Random random, int n) => tensor(
        [.. Enumerable.Range(0, Rows * n).Select(_ => random.Next(5) == 0 ? random.NextInt64(-(1L << 31), 1L << 31) : random.NextInt64(-(1L << 24), 1L << 24))], [Rows, n]);

    private static Tensor? Mask(bool masked) => masked ? tensor(new[] { true, false, true, true, false }) : null;

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.contiguous().data<float>().ToArray();
        var a = actual.contiguous().data<float>().ToArray();
        for (var i = 0; i < e.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(e[i]) == BitConverter.SingleToInt32Bits(a[i]), $"{what} {i}: {e[i]:R} (tensor ops) vs {a[i]:R}");
    }

    private static Tensor OneMinus(Tensor y) => y.neg().add(Scalars.Float32(1f), Scalars.UnitAlpha);
    private static Tensor SigmoidBackward(Tensor dy, Tensor y) => dy.mul(y).mul_(OneMinus(y));
    private static Tensor TanhBackward(Tensor dy, Tensor y) => dy.mul(y.mul(y).neg_().add_(Scalars.Float32(1f), Scalars.UnitAlpha));
    private static Tensor Bounded(Tensor dz, Tensor sigma, float m) => m == 1f ? SigmoidBackward(dz, sigma) : SigmoidBackward(dz, sigma).mul_(Scalars.Float32(m));

    [Theory]
    [MemberData(nameof(Limits))]
    public void RevGruHalfMatchesTheTensorOps(string bits)
    {
        using var _ = NewDisposeScope();
        using var no = no_grad();
        var limit = ForgetLimit.Parse(bits);
        var cell = new RevGRUCell(2, 4, limit);
        var random = new Random(31 + bits.GetHashCode() % 1000);
        foreach (var n in Widths)
            foreach (var (masked, withAddend) in new[] { (false, false), (true, true), (true, false), (false, true) })
            {
                var what = $"limit {bits}, n {n}, mask {masked}, addend {withAddend}";
                var active = Mask(masked);
                Tensor grad = Uniform(random, n, -3f, 3f), addend = Uniform(random, n, -1f, 1f), previous = Ints(random, n);
                Tensor z = Gates(random, n, limit.Scale), sigma = Uniform(random, n, 0f, 1f), candidate = Uniform(random, n, -1f, 1f);
                Tensor other = Uniform(random, n, -2f, 2f), reset = Uniform(random, n, 0f, 1f), dROther = Uniform(random, n, -2f, 2f);

                var g = withAddend ? grad.add(addend, Scalars.UnitAlpha) : grad;
                var (dPrev, dz, du) = ForgettingSites.Gradient(ForgettingImplementation.Fused, cell.Format, g, previous, z, active);
                var dG = TanhBackward(du.mul(OneMinus(z)), candidate);
                var dzTotal = dz.sub(du.mul(candidate));
                var dZr = cat([Bounded(dzTotal, sigma, limit.Scale), SigmoidBackward(dROther.mul(other), reset)], 1);
                var dOther = dROther.mul(reset);

                var (fPrev, fG, fZr) = BackwardSites.GruSite(cell, grad, withAddend ? addend : null, previous, z, sigma, candidate, active);
                var fOther = BackwardSites.GruReset(dROther, other, reset, fZr);
                AssertSameBits(dPrev, fPrev, $"{what}: d previous");
                AssertSameBits(dG, fG, $"{what}: d candidate");
                AssertSameBits(dZr, fZr, $"{what}: d zr");
                AssertSameBits(dOther, fOther, $"{what}: d other");
            }
    }

    [Theory]
    [MemberData(nameof(Limits))]
    public void RevLstmHalfMatchesTheTensorOps(string bits)
    {
        using var _ = NewDisposeScope();
        using var no = no_grad();
        var limit = ForgetLimit.Parse(bits);
        var cell = new RevLSTMCell(2, 4, limit);
        var random = new Random(37 + bits.GetHashCode() % 1000);
        foreach (var n in Widths)
            foreach (var (masked, withAddend) in new[] { (false, false), (true, true), (true, false), (false, true) })
            {
                var what = $"limit {bits}, n {n}, mask {masked}, addend {withAddend}";
                var active = Mask(masked);
                Tensor gh = Uniform(random, n, -3f, 3f), addend = Uniform(random, n, -1f, 1f), gc = Uniform(random, n, -3f, 3f);
                Tensor previousH = Ints(random, n), previousC = Ints(random, n), p = Gates(random, n, limit.Scale), z = Gates(random, n, limit.Scale);
                Tensor tanhC = Uniform(random, n, -1f, 1f), sigmaZ = Uniform(random, n, 0f, 1f), gate = Uniform(random, n, -1f, 1f);
                Tensor f = Uniform(random, n, 0f, 1f), o = Uniform(random, n, 0f, 1f), sigmaP = Uniform(random, n, 0f, 1f);

                var g = withAddend ? gh.add(addend, Scalars.UnitAlpha) : gh;
                var (dh, dp, du) = ForgettingSites.Gradient(ForgettingImplementation.Fused, cell.Format, g, previousH, p, active);
                var dO = du.mul(tanhC);
                var gcTotal = gc.add(du.mul(o).mul(tanhC.mul(tanhC).neg_().add_(Scalars.Int64(1), Scalars.UnitAlpha)), Scalars.UnitAlpha);
                var (dc, dz, dCell) = ForgettingSites.Gradient(ForgettingImplementation.Fused, cell.Format, gcTotal, previousC, z, active);
                var dA = cat([Bounded(dz, sigmaZ, limit.Scale), TanhBackward(dCell.mul(f), gate), SigmoidBackward(dCell.mul(gate), f),
                    SigmoidBackward(dO, o), Bounded(dp, sigmaP, limit.Scale)], 1);

                var (fh, fc, fA) = BackwardSites.LstmHalf(cell, gh, withAddend ? addend : null, gc, previousH, previousC, p, z, tanhC,
                    sigmaZ, gate, f, o, sigmaP, active);
                AssertSameBits(dh, fh, $"{what}: d h");
                AssertSameBits(dc, fc, $"{what}: d c");
                AssertSameBits(dA, fA, $"{what}: d pre-activation");
            }
    }

    [Fact]
    public void SumMatchesLibTorchAddAndStridedInputsAreCopied()
    {
        using var _ = NewDisposeScope();
        var random = new Random(5);
        var a = Uniform(random, 150, -1f, 1f);
        var b = Uniform(random, 150, -1e-3f, 1e-3f);
        AssertSameBits(a.add(b, Scalars.UnitAlpha), BackwardSites.AddInPlace(a.clone(), b), "a + b");
        var wide = Uniform(random, 300, -1f, 1f);
        var view = wide.narrow(1, 150, 150);   // strided: copied for the kernel
        AssertSameBits(a.add(view, Scalars.UnitAlpha), BackwardSites.AddInPlace(a.clone(), view), "a + strided view");
        Assert.Throws<ArgumentException>(() => BackwardSites.AddInPlace(a.clone(), Uniform(random, 7, 0f, 1f)));
    }
}
