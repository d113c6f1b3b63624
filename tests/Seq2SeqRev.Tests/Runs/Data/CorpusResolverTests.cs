// Tests for CorpusManifest loading and CorpusResolver: resolution order, checksums, fake-HTTP downloads, offline.
using System.Net;
using System.Security.Cryptography;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Tests.Training.Data;
using Xunit;

namespace Seq2SeqRev.Tests.Runs.Data;

public class CorpusResolverTests
{
    private sealed class FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Requests.Add(request.RequestUri!.ToString());
            return Task.FromResult(respond(request));
        }
    }

    private static readonly Dictionary<string, byte[]> Files = new()
    {
        ["train.en"] = "a cat\n"u8.ToArray(), ["train.de"] = "eine Katze\n"u8.ToArray(),
        ["val.en"] = "a dog\n"u8.ToArray(), ["val.de"] = "ein Hund\n"u8.ToArray(),
    };

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    private static CorpusManifest Manifest(Func<string, string>? shaOf = null) => CorpusManifest.Parse($"""
        name: tiny
        languages: [en, de]
        splits: [train, val]
        file_pattern: "{"{split}.{lang}"}"
        url_pattern: "https://example.test/data/{"{file}"}"
        sha256:
        {string.Join("\n", Files.Select(kv => $"  {kv.Key}: {(shaOf ?? (f => Sha(Files[f])))(kv.Key)}"))}
        """, "tiny.yaml", "/");

    private static CorpusResolverOptions Options(TempDir cache, HttpMessageHandler? handler = null,
        Dictionary<string, string>? env = null) => new()
        {
            CacheDir = cache.Path,
            HttpHandler = handler,
            ShowProgress = false,
            GetEnvironmentVariable = name => env?.GetValueOrDefault(name),
        };

    private static FakeHandler Serving(Dictionary<string, byte[]> files) => new(req =>
    {
        string name = req.RequestUri!.Segments[^1];
        return files.TryGetValue(name, out var body)
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) }
            : new HttpResponseMessage(HttpStatusCode.NotFound);
    });

    [Fact]
    public void Multi30kManifestLoadsWithAllChecksums()
    {
        var m = CorpusManifest.Load(Path.Combine(TestFiles.RepoRoot, "corpora", "multi30k.yaml"));
        Assert.Equal("multi30k", m.Name);
        Assert.Equal(["train", "val", "test_2016_flickr", "test_2017_flickr"], m.Splits);
        Assert.Equal(["en", "de", "fr"], m.Languages);
        Assert.Equal(12, m.Sha256.Count);
        Assert.Equal("https://github.com/multi30k/dataset/raw/master/data/task1/raw/train.en.gz", m.Url(m.FileName("train", "en")));
        Assert.All(m.Sha256.Values, sha => Assert.Matches("^[0-9a-f]{64}$", sha));
    }

    [Fact]
    public void SampleManifestPointsAtCommittedFiles()
    {
        var m = CorpusManifest.Load(Path.Combine(TestFiles.RepoRoot, "corpora", "sample.yaml"));
        using var cache = new TempDir();
        var resolved = new CorpusResolver(Options(cache)).Resolve(m);
        Assert.Equal(Path.Combine(TestFiles.RepoRoot, "corpora", "sample"), resolved.Directory);
        Assert.True(File.Exists(resolved.PathOf("train", "de")));
    }

    [Theory]
    [InlineData("name: x\nlanguages: [en]\nsplits: [train]\nfile_pattern: \"{split}.{lang}\"\n", "exactly one of")]
    [InlineData("name: x\nlanguages: [en]\nsplits: [train]\nfile_pattern: \"{split}\"\nlocal_dir: d\n", "{split} and {lang}")]
    [InlineData("name: x\nlanguages: [en]\nsplits: [train]\nfile_pattern: \"{split}.{lang}\"\nurl_pattern: \"u/{file}\"\n", "no entry for 'train.en'")]
    [InlineData("name: x\nlanguges: [en]\n", "bad.yaml:2")]
    [InlineData("name: x\nlanguages: [en]\nsplits: [t]\nfile_pattern: \"{split}.{lang}\"\nlocal_dir: d\nsha256:\n  a: 12\n", "64 hex")]
    public void InvalidManifestsGiveOneLineErrors(string yaml, string expected)
    {
        var e = Assert.Throws<UserError>(() => CorpusManifest.Parse(yaml, "bad.yaml", "/"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("bad.yaml", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void ExplicitSettingWinsOverEnvVarAndCache()
    {
        using var cache = new TempDir();
        using var setting = new TempDir();
        using var env = new TempDir();
        foreach (var (name, bytes) in Files)
        {
            setting.File(name, bytes);           // the corpus folder itself
            env.File($"tiny/{name}", bytes);     // a folder containing tiny/
        }
        var options = Options(cache, env: new() { [CorpusResolver.EnvVar] = env.Path });
        var viaSetting = new CorpusResolver(options with { CorporaDir = setting.Path }).Resolve(Manifest());
        Assert.Equal(setting.Path, viaSetting.Directory);
        var viaEnv = new CorpusResolver(options).Resolve(Manifest());
        Assert.Equal(Path.Combine(env.Path, "tiny"), viaEnv.Directory);
        Assert.Equal(CorpusResolver.EnvVar, viaEnv.Origin);
        Assert.True(File.Exists(Path.Combine(cache.Path, "verified.tsv")));
    }

    [Fact]
    public void ExplicitSettingWithMissingFileIsAnError()
    {
        using var cache = new TempDir();
        using var setting = new TempDir();
        setting.File("train.en", Files["train.en"]);
        var e = Assert.Throws<UserError>(() =>
            new CorpusResolver(Options(cache) with { CorporaDir = setting.Path }).Resolve(Manifest()));
        Assert.StartsWith("data.corpora_dir: corpus 'tiny' not found in " + setting.Path, e.Message);
        Assert.EndsWith(Path.Combine(setting.Path, "train.de") + " is missing", e.Message);
    }

    [Fact]
    public void NamedFolderThatDoesNotExistIsAnErrorNamingIt()
    {
        using var cache = new TempDir();
        string absent = Path.Combine(cache.Path, "nonexistent");
        var e = Assert.Throws<UserError>(() =>
            new CorpusResolver(Options(cache) with { CorporaDir = absent }).Resolve(Manifest()));
        Assert.StartsWith($"data.corpora_dir: folder {absent} does not exist", e.Message);
        var viaEnv = Assert.Throws<UserError>(() =>
            new CorpusResolver(Options(cache, env: new() { [CorpusResolver.EnvVar] = absent })).Resolve(Manifest()));
        Assert.StartsWith($"{CorpusResolver.EnvVar}={absent}: folder {absent} does not exist", viaEnv.Message);
    }

    [Fact]
    public void NamedFolderWithoutTheCorpusNamesTheCorpusSubfolder()
    {
        using var cache = new TempDir();
        using var empty = new TempDir();
        var e = Assert.Throws<UserError>(() =>
            new CorpusResolver(Options(cache, env: new() { [CorpusResolver.EnvVar] = empty.Path })).Resolve(Manifest()));
        Assert.EndsWith(Path.Combine(empty.Path, "tiny", "train.en") + " is missing", e.Message);
    }

    [Fact]
    public void NamedFolderWinsOverAManifestsLocalDir()
    {
        using var cache = new TempDir();
        using var setting = new TempDir();
        var local = CorpusManifest.Parse("name: sample\nlanguages: [en, de]\nsplits: [train]\nfile_pattern: \"{split}.{lang}\"\nlocal_dir: sample\n",
            "sample.yaml", TestFiles.RepoRoot);
        var e = Assert.Throws<UserError>(() => new CorpusResolver(Options(cache) with { CorporaDir = setting.Path }).Resolve(local));
        Assert.Contains("data.corpora_dir: corpus 'sample' not found", e.Message);
    }

    [Fact]
    public void OnlyTheSplitsAskedForAreNeeded()
    {
        using var cache = new TempDir();
        using var setting = new TempDir();
        setting.File("val.en", Files["val.en"]);
        setting.File("val.de", Files["val.de"]);
        var resolved = new CorpusResolver(Options(cache) with { CorporaDir = setting.Path }).Resolve(Manifest(), splits: ["val"]);
        Assert.Equal(setting.Path, resolved.Directory);
        Assert.Throws<UserError>(() => new CorpusResolver(Options(cache) with { CorporaDir = setting.Path }).Resolve(Manifest()));
    }

    [Fact]
    public void LocalChecksumMismatchIsAnError()
    {
        using var cache = new TempDir();
        using var setting = new TempDir();
        foreach (var (name, bytes) in Files) setting.File(name, bytes);
        setting.File("val.de", "tampered\n");
        var e = Assert.Throws<UserError>(() =>
            new CorpusResolver(Options(cache) with { CorporaDir = setting.Path }).Resolve(Manifest()));
        Assert.Contains("val.de: sha256 mismatch", e.Message);
    }

    [Fact]
    public void DownloadsIntoCacheThenReusesIt()
    {
        using var cache = new TempDir();
        var handler = Serving(Files);
        var resolved = new CorpusResolver(Options(cache, handler)).Resolve(Manifest(), ["en", "de"]);
        Assert.Equal("download", resolved.Origin);
        Assert.Equal(4, handler.Requests.Count);
        Assert.Contains("https://example.test/data/train.en", handler.Requests);
        Assert.Equal(Files["val.de"], File.ReadAllBytes(resolved.PathOf("val", "de")));
        Assert.Empty(Directory.GetFiles(resolved.Directory, "*.part"));

        var again = new CorpusResolver(Options(cache, handler)).Resolve(Manifest());
        Assert.Equal("cache", again.Origin);
        Assert.Equal(4, handler.Requests.Count);
    }

    [Fact]
    public void DownloadWithProgressBarRendersToGivenConsole()
    {
        using var cache = new TempDir();
        var text = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(text),
        });
        var options = Options(cache, Serving(Files)) with { ShowProgress = true, ProgressConsole = console };
        Assert.Equal("download", new CorpusResolver(options).Resolve(Manifest()).Origin);
        Assert.Contains("train.en", text.ToString());

        using var cache2 = new TempDir();
        var live = new StringWriter();
        var interactive = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(live),
            Interactive = Spectre.Console.InteractionSupport.Yes,
        });
        var liveOptions = Options(cache2, Serving(Files)) with { ShowProgress = true, ProgressConsole = interactive };
        Assert.Equal("download", new CorpusResolver(liveOptions).Resolve(Manifest()).Origin);
        Assert.Contains("val.de", live.ToString());
    }

    [Fact]
    public void DownloadsOnlyRequestedLanguages()
    {
        using var cache = new TempDir();
        var handler = Serving(Files);
        new CorpusResolver(Options(cache, handler)).Resolve(Manifest(), ["de"]);
        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.EndsWith(".de", r));
    }

    [Fact]
    public void DownloadChecksumMismatchIsAnErrorAndLeavesNoFile()
    {
        using var cache = new TempDir();
        var served = new Dictionary<string, byte[]>(Files) { ["val.en"] = "corrupted\n"u8.ToArray() };
        var e = Assert.Throws<UserError>(() => new CorpusResolver(Options(cache, Serving(served))).Resolve(Manifest()));
        Assert.Contains("https://example.test/data/val.en: sha256 mismatch", e.Message);
        string dir = Path.Combine(cache.Path, "tiny");
        Assert.False(File.Exists(Path.Combine(dir, "val.en")));
        Assert.Empty(Directory.GetFiles(dir, "*.part"));
    }

    [Fact]
    public void CorruptCacheFileIsReplaced()
    {
        using var cache = new TempDir();
        foreach (var (name, bytes) in Files) cache.File($"tiny/{name}", bytes);
        cache.File("tiny/train.de", "stale\n");
        var handler = Serving(Files);
        var resolved = new CorpusResolver(Options(cache, handler)).Resolve(Manifest());
        Assert.Equal(["https://example.test/data/train.de"], handler.Requests);
        Assert.Equal(Files["train.de"], File.ReadAllBytes(resolved.PathOf("train", "de")));
    }

    [Fact]
    public void OfflineWithoutLocalCopySaysWhereToPutFilesAndWhichEnvVar()
    {
        using var cache = new TempDir();
        var offline = new FakeHandler(_ => throw new HttpRequestException("Name or service not known"));
        var e = Assert.Throws<UserError>(() => new CorpusResolver(Options(cache, offline)).Resolve(Manifest()));
        Assert.Contains("cannot download https://example.test/data/", e.Message);
        Assert.Contains(Path.Combine(cache.Path, "tiny"), e.Message);
        Assert.Contains(CorpusResolver.EnvVar, e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Path)); // the failed download left no folder behind

        var noDownload = Assert.Throws<UserError>(() =>
            new CorpusResolver(Options(cache) with { AllowDownload = false }).Resolve(Manifest()));
        Assert.Contains(CorpusResolver.EnvVar, noDownload.Message);
    }

    [Fact]
    public void CacheDirFollowsXdgCacheHome()
    {
        Assert.Equal(Path.Combine("/x/cache", "seq2seqrev", "corpora"),
            CorpusResolver.DefaultCacheDir(n => n == "XDG_CACHE_HOME" ? "/x/cache" : null));
        Assert.EndsWith(Path.Combine(".cache", "seq2seqrev", "corpora"), CorpusResolver.DefaultCacheDir(_ => null));
    }

    /// <summary>The local Multi30K (SEQ2SEQREV_CORPORA or the cache) matches every en/de checksum of the manifest.</summary>
    [Multi30kFact]
    public void LocalMulti30kResolvesThroughEnvVarAndMatchesTheManifest()
    {
        using var cache = new TempDir();
        var resolver = new CorpusResolver(Options(cache, env: new() { [CorpusResolver.EnvVar] = TestFiles.Multi30kDir }));
        var m = CorpusManifest.Load(Path.Combine(TestFiles.RepoRoot, "corpora", "multi30k.yaml"));
        var resolved = resolver.Resolve(m, ["en", "de"]);
        Assert.Equal(TestFiles.Multi30kDir, resolved.Directory);
        Assert.Equal(8, File.ReadAllLines(Path.Combine(cache.Path, "verified.tsv")).Length);
    }
}
