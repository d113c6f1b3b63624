// ReversiblePackageTests: the reversible layers as the NuGet package Seq2SeqRev.Reversible. The READMEs' code sample is
// the example's own code (so it compiles whenever the example does) and the example asks for the repository's version;
// the slow test packs src/Reversible into a temporary folder feed (no network: a nuget.config with that feed, the
// machine's feed, and the machine's package folder as a read-only fallback, so nothing is downloaded and the user's
// cache is not written), checks what the package holds, builds a copy of examples/ReversibleLm against it, checks that
// the package's buildTransitive targets patched the consumer's copy of TorchSharp's native shim, and runs it: its loss
// falls. Category=Slow: about 3 minutes on the shared 2-core machine (pack 10 s, restore and build 45 s, 30 steps 75 s).
using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Tests.Data;
using Xunit;
using Xunit.Abstractions;

namespace Seq2SeqRev.Tests.Package;

public sealed partial class ReversiblePackageTests(ITestOutputHelper log)
{
    private const string PackageId = "Seq2SeqRev.Reversible";
    private const string SnippetMarker = "<!-- snippet: examples/ReversibleLm/Program.cs -->";
    private static string Example => Path.Combine(TestFiles.RepoRoot, "examples", "ReversibleLm");

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
    [Trait("Category", "Slow")]
    public void PacksBuildsAndTrainsTheExample()
    {
        using var dir = new TempDir();
        var version = RepositoryVersion;
        var feed = Path.Combine(dir.Path, "feed");
        Dotnet(TestFiles.RepoRoot, TimeSpan.FromMinutes(5), "pack", "src/Reversible/Seq2SeqRev.Reversible.csproj", "-c", "Release",
            "--no-build", "-o", feed);
        var package = Path.Combine(feed, $"{PackageId}.{version}.nupkg");
        CheckPackage(package);

        // A copy of the example (and of the examples folder's guard files) with a nuget.config for this feed.
        var examples = Path.Combine(dir.Path, "examples");
        var project = Path.Combine(examples, "ReversibleLm");
        Directory.CreateDirectory(project);
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(Example)!)) File.Copy(f, Path.Combine(examples, Path.GetFileName(f)));
        foreach (var f in new[] { "Program.cs", "ReversibleLm.csproj" }) File.Copy(Path.Combine(Example, f), Path.Combine(project, f));
        File.WriteAllText(Path.Combine(project, "nuget.config"), NuGetConfig(feed, Path.Combine(dir.Path, "packages")));

        Dotnet(project, TimeSpan.FromMinutes(10), "build", "-c", "Release", $"-p:Seq2SeqRevReversibleVersion={version}");
        var output = Path.Combine(project, "bin", "Release", "net10.0");
        var shim = File.ReadAllBytes(Path.Combine(output, "runtimes", "linux-x64", "native", NativeTorch.ShimName));
        Assert.Equal(0, WeakenSymbolVersions.Weaken(shim, "libstdc++.so.6", ["GLIBCXX_3.4.32"], "example shim")); // already weak

        var corpus = Path.Combine(TestFiles.RepoRoot, "corpora", "sample", "train.en");
        var stdout = Dotnet(project, TimeSpan.FromMinutes(10), Path.Combine(output, "ReversibleLm.dll"), corpus, "30");
        var losses = LossLine().Matches(stdout).Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(losses.Length >= 3, stdout);
        Assert.True(losses[^1] < 0.8 * losses[0], $"the loss did not fall:\n{stdout}");
        Assert.Contains("memory: the forward pass held", stdout);
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

    /// <summary>Only <paramref name="feed"/> for this package; everything else from the machine's package folder (read
    /// only, as a fallback) or, failing that, the machine's own feeds; packages restored here go to
    /// <paramref name="packages"/>, not to the user's cache.</summary>
    private string NuGetConfig(string feed, string packages)
    {
        var machineFolder = Regex.Match(Dotnet(TestFiles.RepoRoot, TimeSpan.FromMinutes(2), "nuget", "locals", "global-packages", "--list"),
            @"global-packages:\s*(\S.*?)\s*$", RegexOptions.Multiline).Groups[1].Value;
        var machineFeeds = Dotnet(TestFiles.RepoRoot, TimeSpan.FromMinutes(2), "nuget", "list", "source", "--format", "short")
            .Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("E ", StringComparison.Ordinal)).Select(l => l[2..].Trim()).ToArray();
        var sources = machineFeeds.Select((url, i) => new XElement("add", new XAttribute("key", $"machine-{i}"), new XAttribute("value", url)));
        var mapping = machineFeeds.Select((_, i) => new XElement("packageSource", new XAttribute("key", $"machine-{i}"),
            new XElement("package", new XAttribute("pattern", "*"))));
        return new XDocument(new XElement("configuration",
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", packages))),
            new XElement("fallbackPackageFolders", new XElement("clear"),
                new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", machineFolder))),
            new XElement("packageSources", new XElement("clear"),
                new XElement("add", new XAttribute("key", "seq2seqrev-local"), new XAttribute("value", feed)), sources),
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "seq2seqrev-local"),
                    new XElement("package", new XAttribute("pattern", "Seq2SeqRev.*"))), mapping))).ToString();
    }

    /// <summary>Runs `dotnet ARGS` in <paramref name="workingDirectory"/> (no build servers left behind, no MSBuild
    /// settings inherited from the test host); fails on a non-zero exit or after <paramref name="timeout"/>; returns stdout.</summary>
    private string Dotnet(string workingDirectory, TimeSpan timeout, params string[] args)
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
        Assert.True(p.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();

    [GeneratedRegex(@"^step \d+ loss ([0-9.]+)$", RegexOptions.Multiline)]
    private static partial Regex LossLine();
}
