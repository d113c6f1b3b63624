// The native shim (issue 13): every build output's copy of libLibTorchSharp.so has its GLIBCXX_3.4.32 requirement weak
// (so it loads with Debian 12's libstdc++), the NuGet cache's copy is untouched, a shim that cannot load is one line
// naming what is missing, and `score` runs where TorchSharp's natives cannot load at all.
using Seq2SeqRev.Cli;
using Xunit;

namespace Seq2SeqRev.Tests.Native;

public class NativeShimTests
{
    private static readonly string[] Weakened = ["GLIBCXX_3.4.32"];

    private static string Shim(string program) =>
        Path.Combine(TestFiles.RepoRoot, "artifacts", "bin", program, "release", "runtimes", "linux-x64", "native", NativeTorch.ShimName);

    [Theory]
    [InlineData("Seq2SeqRev.Train")]
    [InlineData("Seq2SeqRev.Translate")]
    [InlineData("Seq2SeqRev.Tests")]
    public void EveryOutputCopyHasTheVersionWeak(string program)
    {
        var bytes = File.ReadAllBytes(Shim(program));
        Assert.Equal(0, WeakenSymbolVersions.Weaken(bytes, "libstdc++.so.6", Weakened, program));   // nothing left to weaken
    }

    [Fact]
    public void TheNuGetCacheCopyIsUntouched()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cached = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", NativeTorch.ShimName);
        Assert.True(File.Exists(cached), $"no cached shim at {cached}");
        var bytes = File.ReadAllBytes(cached);
        Assert.Equal(1, WeakenSymbolVersions.Weaken(bytes, "libstdc++.so.6", Weakened, cached));   // still strong there
        Assert.Equal(0, WeakenSymbolVersions.Weaken(bytes, "libstdc++.so.6", Weakened, cached));   // and the patch is idempotent
    }

    [Fact]
    public void NonElfInputIsRefused() =>
        Assert.Throws<InvalidDataException>(() => WeakenSymbolVersions.Weaken(new byte[128], "libstdc++.so.6", Weakened, "x"));

    [Theory]
    [InlineData("/p/libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /p/libLibTorchSharp.so)",
        "/lib/x86_64-linux-gnu/libstdc++.so.6 lacks GLIBCXX_3.4.32", "rebuild with ./seq2seqrev setup")]
    [InlineData("/p/libLibTorchSharp.so: /lib/libstdc++.so.6: version `GLIBCXX_3.4.30' not found (required by /p/libtorch_cpu.so)",
        "/lib/libstdc++.so.6 lacks GLIBCXX_3.4.30", "install a libstdc++ that provides GLIBCXX_3.4.30")]
    [InlineData("libtorch_cpu.so: cannot open shared object file: No such file or directory",
        "libtorch_cpu.so is not found", "rebuild with ./seq2seqrev setup")]
    public void LoaderMessagesBecomeOneLineWithAFix(string loader, string what, string fix)
    {
        var line = NativeTorch.Diagnose("/p/libLibTorchSharp.so", loader + "\n");
        Assert.DoesNotContain('\n', line);
        Assert.Contains(what, line);
        Assert.Contains(fix, line);
    }

    /// <summary>A copy of a program's output folder whose natives are links to the real ones, minus <paramref name="omit"/>.</summary>
    private static TempDir BrokenCopy(string program, string omit)
    {
        var dir = new TempDir();
        var source = Path.Combine(TestFiles.RepoRoot, "artifacts", "bin", program, "release");
        foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        var native = Path.Combine(dir.Path, "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        foreach (var f in Directory.GetFiles(Path.Combine(source, "runtimes", "linux-x64", "native")))
            if (Path.GetFileName(f) != omit) File.CreateSymbolicLink(Path.Combine(native, Path.GetFileName(f)), f);
        return dir;
    }

    [Fact]
    public void ACommandThatNeedsTorchFailsInOneLineWhenTheNativesCannotLoad()
    {
        using var broken = BrokenCopy("Seq2SeqRev.Train", omit: "libtorch_cpu.so");
        var (exit, _, stderr) = CliProcess.Run(Path.Combine(broken.Path, "Seq2SeqRev.Train.dll"), "check-reversal", "--steps", "2");
        CliProcess.AssertOneLineError(exit, stderr, "libtorch_cpu.so is not found");
        Assert.False(Directory.Exists(Path.Combine(broken.Path, "cpu")), "TorchSharp's fallback copy of the natives ran");
    }

    [Fact]
    public void ScoreRunsWhereTheNativesCannotLoad()
    {
        using var broken = BrokenCopy("Seq2SeqRev.Translate", omit: "libtorch_cpu.so");
        var hyp = broken.File("hyp.txt", "the cat sat on the mat\n");
        var reference = broken.File("ref.txt", "the cat sat on the mat\n");
        var (exit, stdout, stderr) = CliProcess.Run(Path.Combine(broken.Path, "Seq2SeqRev.Translate.dll"), "score",
            "--hyp", hyp, "--ref", reference);
        Assert.True(exit == 0, stderr);
        Assert.Contains("100.0", stdout);
    }
}
