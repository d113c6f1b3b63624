// ReversiblePackageTests: the reversible layers as the NuGet package Seq2SeqRev.Reversible. The READMEs' code sample is
// the example's own code (so it compiles whenever the example does) and the example asks for the repository's version.
// The end-to-end test packs the assembly this run was built with into a temporary copy of the repository's layout,
// checks what the package holds (assembly, XML docs, readme, buildTransitive targets; TorchSharp and LibTorch its only
// dependencies), builds a copy of examples/ReversibleLm with the example's own nuget.config against it — the package is
// extracted into the copy's artifacts/examples/packages, the user's NuGet cache is only read (TorchSharp and LibTorch
// as a fallback folder: no network) and gains no entry —, checks that the package's buildTransitive targets patched the
// consumer's copy of TorchSharp's native shim, that a missing corpus is a one-line error, and that 30 training steps
// make the loss fall. About a minute on the shared 2-core machine (pack 7 s, restore and build 25 s, run 5 s).
using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Seq2SeqRev.Cli;
using Xunit.Abstractions;
using Xunit;

namespace Seq2SeqRev.Tests.Package;

public sealed partial class ReversiblePackageTests(ITestOutputHelper log)
{
    private const string PackageId = "Seq2SeqRev.Reversible";
    private const string SnippetMarker = "<!-- snippet: examples/ReversibleLm/Program.cs -->";
    private static string Example => Path.Combine(TestFiles.RepoRoot, "examples", "ReversibleLm");
#if DEBUG
    private const string Configuration = "Debug";   // pack the assembly this test run was built with (--no-build)
#else
    private const string Configuration = "Release";
#endif

    private static string RepositoryVersion =>
        VersionElement().Match(File.ReadAllText(Path.Combine(TestFiles.RepoRoot, "Directory.Build.props"))).Groups[1].Value;

    /// <summary>The lines between "// &lt;snippet&gt;" and "// &lt;/snippet&gt;" of the example, without their indentation.</summary>
    private static string[] ExampleSnippet()
    {
        var lines = File.ReadAllLines(Path.Combine(Example, "Program.cs"));
        int start = Array.FindIndex(lines, l => l.Trim() == "// <snippet>"), end = Array.FindIndex(lines, l => l.Trim() == "// </snippet>");
        Assert.True(start >= 0 && end > start, "Program.cs has no // <snippet> ... // </snippet> region");
        var body = lines[(start + 1)..end];
        int indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return [.. body.Select(l => l.Length >= indent ? l[indent..] : l.Trim())];
    }

    [Theory]
    [InlineData("src/Reversible/README.md")]
    [InlineData("README.md")]
    public void ReadmeSampleIsTheExamplesCode(string readme)
    {
        var lines = File.ReadAllLines(Path.Combine(TestFiles.RepoRoot, readme));
        int marker = Array.IndexOf(lines, SnippetMarker);
        Assert.True(marker >= 0 && lines[marker + 1] == "```csharp", $"{readme}: no '{SnippetMarker}' followed by a csharp block");
        int end = Array.IndexOf(lines, "```", marker + 2);
        Assert.Equal(ExampleSnippet(), lines[(marker + 2)..end]);
    }

    [Fact]
    public void ExampleAsksForTheRepositoryVersion()
    {
        var project = XDocument.Load(Path.Combine(Example, "ReversibleLm.csproj"));
        var version = project.Descendants("Seq2SeqRevReversibleVersion").Single().Value;
        Assert.Equal(RepositoryVersion, version);
    }

    [Fact]
    public void PacksBuildsAndTrainsTheExample()
    {
        // A copy of the repository's layout in a temporary folder: the examples folder (its guard files, the example with
        // its own nuget.config) and the pack output where that nuget.config looks for it (artifacts/package/release).
        using var dir = new TempDir();
        var version = RepositoryVersion;
        var feed = Path.Combine(dir.Path, "artifacts", "package", "release");
        Dotnet(TestFiles.RepoRoot, TimeSpan.FromMinutes(5), "pack", "src/Reversible/Seq2SeqRev.Reversible.csproj", "-c", Configuration,
            "--no-build", "-o", feed);
        CheckPackage(Path.Combine(feed, $"{PackageId}.{version}.nupkg"));

        var examples = Path.Combine(dir.Path, "examples");
        var project = Path.Combine(examples, "ReversibleLm");
        Directory.CreateDirectory(project);
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(Example)!)) File.Copy(f, Path.Combine(examples, Path.GetFileName(f)));
        foreach (var f in new[] { "Program.cs", "ReversibleLm.csproj", "nuget.config" }) File.Copy(Path.Combine(Example, f), Path.Combine(project, f));

        // TorchSharp and LibTorch from the machine's package folder (read only: a fallback folder, so no download); the
        // package itself is extracted next to the example, not into the user's cache.
        var machineFolder = Regex.Match(Dotnet(TestFiles.RepoRoot, TimeSpan.FromMinutes(2), "nuget", "locals", "global-packages", "--list"),
            @"global-packages:\s*(\S.*?)\s*$", RegexOptions.Multiline).Groups[1].Value;
        var cachedInMachineFolder = Path.Combine(machineFolder, PackageId.ToLowerInvariant(), version);
        var wasInMachineFolder = Directory.Exists(cachedInMachineFolder);
        Dotnet(project, TimeSpan.FromMinutes(10), "build", "-c", "Release", $"-p:Seq2SeqRevReversibleVersion={version}",
            $"-p:RestoreFallbackFolders={machineFolder}");
        // Only the package was extracted next to the example: TorchSharp and LibTorch came from the fallback folder.
        var extracted = Path.Combine(dir.Path, "artifacts", "examples", "packages");
        Assert.Equal([PackageId.ToLowerInvariant()], Directory.GetDirectories(extracted).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(extracted, PackageId.ToLowerInvariant(), version, $"{PackageId.ToLowerInvariant()}.{version}.nupkg")),
            "the package was not restored into the examples' own folder");
        Assert.Equal(wasInMachineFolder, Directory.Exists(cachedInMachineFolder));

        var output = Path.Combine(project, "bin", "Release", "net10.0");
        var shim = File.ReadAllBytes(Path.Combine(output, "runtimes", "linux-x64", "native", NativeTorch.ShimName));
        Assert.Equal(0, WeakenSymbolVersions.Weaken(shim, "libstdc++.so.6", ["GLIBCXX_3.4.32"], "example shim")); // already weak

        var program = Path.Combine(output, "ReversibleLm.dll");
        var missing = Path.Combine(dir.Path, "missing.en");
        var (exit, _, stderr) = Run(project, TimeSpan.FromMinutes(2), program, missing);
        Assert.Equal(2, exit);
        Assert.Equal($"error: corpus {missing}: no such file (one sentence per line, words separated by spaces)", stderr.Trim());

        var corpus = Path.Combine(TestFiles.RepoRoot, "corpora", "sample", "train.en");
        var stdout = Dotnet(project, TimeSpan.FromMinutes(10), program, corpus, "30");
        var losses = LossLine().Matches(stdout).Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(losses.Length >= 3, stdout);
        Assert.True(losses[^1] < 0.8 * losses[0], $"the loss did not fall:\n{stdout}");
        Assert.Matches(@"memory: the forward pass kept [0-9,]+ bits \(information buffer and final state\) instead of the [0-9,]+ bits", stdout);
    }

    /// <summary>The package: the assembly with its XML docs, the readme, the buildTransitive targets, and TorchSharp and
    /// LibTorch as its only dependencies.</summary>
    private static void CheckPackage(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[] { "lib/net10.0/Seq2SeqRev.Reversible.dll", "lib/net10.0/Seq2SeqRev.Reversible.xml", "README.md",
                     "buildTransitive/Seq2SeqRev.Reversible.targets", "buildTransitive/NativeShim.targets", "buildTransitive/WeakenSymbolVersions.cs" })
            Assert.Contains(expected, entries);
        using var nuspecStream = zip.GetEntry($"{PackageId}.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        Assert.Equal("README.md", nuspec.Descendants(ns + "readme").Single().Value);
        Assert.Equal(["TorchSharp", "libtorch-cpu-linux-x64"],
            nuspec.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!).Order(StringComparer.Ordinal));
    }

    /// <summary>Runs `dotnet ARGS` in <paramref name="workingDirectory"/>; fails on a non-zero exit; returns stdout.</summary>
    private string Dotnet(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var (exit, stdout, stderr) = Run(workingDirectory, timeout, args);
        Assert.True(exit == 0, $"dotnet {string.Join(' ', args)} failed:\n{stdout}\n{stderr}");
        return stdout;
    }

    /// <summary>Runs `dotnet ARGS` in <paramref name="workingDirectory"/> (no build servers left behind, no MSBuild
    /// settings inherited from the test host); fails after <paramref name="timeout"/>; returns the exit code and output.</summary>
    private (int Exit, string Stdout, string Stderr) Run(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (args[0] is "build" or "pack") foreach (var a in new[] { "--disable-build-servers", "-nologo", "-v", "q" }) info.ArgumentList.Add(a);
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToArray())
            info.Environment.Remove(name);
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', args)}: no exit after {timeout}");
        }
        p.WaitForExit();
        log.WriteLine($"dotnet {string.Join(' ', args)}: exit {p.ExitCode} after {clock.Elapsed.TotalSeconds:F0} s\n{stdout.Result}{stderr.Result}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();

    [GeneratedRegex(@"^step \d+ loss ([0-9.]+)$", RegexOptions.Multiline)]
    private static partial Regex LossLine();
}
