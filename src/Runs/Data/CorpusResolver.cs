// CorpusResolver: finds the files of a CorpusManifest on this machine, downloading into the user cache if needed.
// Order: the corpora_dir setting (a folder the user named); else the manifest's local_dir (project-shipped
// corpora); else the directory in $SEQ2SEQREV_CORPORA; else <cache>/<name>/ with <cache> =
// $XDG_CACHE_HOME/seq2seqrev/corpora or ~/.cache/seq2seqrev/corpora; else download into that cache. A corpora_dir /
// SEQ2SEQREV_CORPORA directory may contain <name>/ or be the corpus folder itself. Guarantees: every returned file
// exists and, when the manifest has a sha256 for it, matched it (verified once and stamped in <cache>/verified.tsv);
// a named directory (setting or variable) that does not hold the corpus is a one-line error naming the folder and
// the first missing file (never a silent fallback to other data); only the splits asked for are needed; a bad file
// in the cache is deleted and fetched again; a failed download leaves no folder it created behind; offline with no
// local copy gives one line saying where to put the files and which env var to set.
using Seq2SeqRev.Cli;
using Spectre.Console;

namespace Seq2SeqRev.Runs.Data;

public sealed record CorpusResolverOptions
{
    /// <summary>The corpora_dir setting (highest priority after a manifest's local_dir); null = not set.</summary>
    public string? CorporaDir { get; init; }
    /// <summary>Overrides the user cache directory (tests); null = XDG_CACHE_HOME / ~/.cache based default.</summary>
    public string? CacheDir { get; init; }
    public bool AllowDownload { get; init; } = true;
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;
    public HttpMessageHandler? HttpHandler { get; init; }
    public IAnsiConsole? ProgressConsole { get; init; }
    public bool ShowProgress { get; init; } = true;
}

public sealed class ResolvedCorpus(CorpusManifest manifest, string directory, string origin)
{
    public CorpusManifest Manifest { get; } = manifest;
    public string Directory { get; } = directory;
    /// <summary>Where it was found, e.g. "corpora_dir setting", "SEQ2SEQREV_CORPORA", "cache", "download".</summary>
    public string Origin { get; } = origin;
    public string PathOf(string split, string language) => Path.Combine(Directory, Manifest.FileName(split, language));
}

public sealed class CorpusResolver(CorpusResolverOptions? options = null)
{
    public const string EnvVar = "SEQ2SEQREV_CORPORA";
    private readonly CorpusResolverOptions _options = options ?? new CorpusResolverOptions();

    public string CacheDir => _options.CacheDir ?? DefaultCacheDir(_options.GetEnvironmentVariable);

    public static string DefaultCacheDir(Func<string, string?> env)
    {
        string? xdg = env("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "seq2seqrev", "corpora");
    }

    public ResolvedCorpus Resolve(CorpusManifest manifest, IEnumerable<string>? languages = null, IEnumerable<string>? splits = null) =>
        ResolveAsync(manifest, languages, splits).GetAwaiter().GetResult();

    /// <param name="languages">Languages needed (default: all of the manifest's).</param>
    /// <param name="splits">Splits needed (default: all of the manifest's).</param>
    public async Task<ResolvedCorpus> ResolveAsync(CorpusManifest manifest, IEnumerable<string>? languages = null,
        IEnumerable<string>? splits = null, CancellationToken ct = default)
    {
        var langs = (languages ?? manifest.Languages).ToList();
        foreach (var lang in langs)
            if (!manifest.Languages.Contains(lang))
                throw new UserError($"{manifest.Source}: corpus '{manifest.Name}' has no language '{lang}' (has {string.Join(", ", manifest.Languages)})");
        var wanted = (splits ?? manifest.Splits).ToList();
        foreach (var split in wanted)
            if (!manifest.Splits.Contains(split))
                throw new UserError($"{manifest.Source}: corpus '{manifest.Name}' has no split '{split}' (has {string.Join(", ", manifest.Splits)})");
        var files = (from split in wanted from lang in langs select manifest.FileName(split, lang)).ToList();
        var stamps = new ChecksumCache(Path.Combine(CacheDir, "verified.tsv"));

        if (!string.IsNullOrEmpty(_options.CorporaDir))
            return Configured(manifest, files, stamps, _options.CorporaDir, "data.corpora_dir", "corpora_dir setting");
        if (manifest.LocalDir is not null)
            return Configured(manifest, files, stamps, manifest.LocalDir, $"{manifest.Source} local_dir", "local_dir");
        string? env = _options.GetEnvironmentVariable(EnvVar);
        if (!string.IsNullOrEmpty(env))
            return Configured(manifest, files, stamps, env, $"{EnvVar}={env}", EnvVar);

        string cached = Path.Combine(CacheDir, manifest.Name);
        var missing = new List<string>();
        foreach (var file in files)
        {
            string path = Path.Combine(cached, file);
            if (!File.Exists(path)) { missing.Add(file); continue; }
            if (manifest.Sha256.TryGetValue(file, out var expected) && !stamps.Matches(path, expected, out _))
            {
                File.Delete(path); // corrupt or partial cache entry: fetch it again
                missing.Add(file);
            }
        }
        if (missing.Count == 0) return new ResolvedCorpus(manifest, cached, "cache");

        string whereToPut = $"put {string.Join(", ", missing)} into {cached}/ or set {EnvVar} to a directory containing {manifest.Name}/";
        if (manifest.UrlPattern is null || !_options.AllowDownload)
            throw new UserError($"corpus '{manifest.Name}' not found locally and downloading is off: {whereToPut}");
        var items = missing.Select(f => new DownloadItem(manifest.Url(f)!, Path.Combine(cached, f), manifest.Sha256[f])).ToList();
        var created = NewFolders(cached);
        try
        {
            await new CorpusDownloader(_options.HttpHandler, _options.ProgressConsole, _options.ShowProgress)
                .DownloadAllAsync(items, ct);
        }
        catch (Exception e)
        {
            RemoveIfEmpty(created);
            if (e is CorpusDownloader.DownloadFailed failed)
                throw new UserError($"corpus '{manifest.Name}' not found locally and {failed.Message}: {whereToPut}");
            throw;
        }
        return new ResolvedCorpus(manifest, cached, "download");
    }

    /// <summary>The folders from <paramref name="dir"/> up that do not exist yet, deepest first.</summary>
    private static List<string> NewFolders(string dir)
    {
        var result = new List<string>();
        for (var d = Path.GetFullPath(dir); !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = Path.GetDirectoryName(d))
            result.Add(d);
        return result;
    }

    /// <summary>Deletes the folders a failed download created, deepest first, as long as they are empty.</summary>
    private static void RemoveIfEmpty(List<string> created)
    {
        foreach (var d in created)
        {
            if (!Directory.Exists(d) || Directory.EnumerateFileSystemEntries(d).Any()) return;
            try { Directory.Delete(d); } catch (IOException) { return; }
        }
    }

    private static ResolvedCorpus Configured(CorpusManifest manifest, List<string> files, ChecksumCache stamps,
        string root, string setting, string origin)
    {
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new UserError($"{setting}: folder {full} does not exist (expected a folder holding {manifest.Name}/ or the corpus files themselves)");
        string nested = Path.Combine(full, manifest.Name);
        string? dir = files.All(f => File.Exists(Path.Combine(nested, f))) ? nested
            : files.All(f => File.Exists(Path.Combine(full, f))) ? full : null;
        if (dir is null)
        {
            // Name the folder the user most likely meant: <name>/ unless the given folder itself holds corpus files.
            string probe = Directory.Exists(nested) || !files.Any(f => File.Exists(Path.Combine(full, f))) ? nested : full;
            string first = files.First(f => !File.Exists(Path.Combine(probe, f)));
            throw new UserError($"{setting}: corpus '{manifest.Name}' not found in {full}: {Path.Combine(probe, first)} is missing");
        }
        foreach (var file in files)
        {
            string path = Path.Combine(dir, file);
            if (manifest.Sha256.TryGetValue(file, out var expected) && !stamps.Matches(path, expected, out var actual))
                throw new UserError($"{path}: sha256 mismatch (expected {expected}, got {actual}); replace the file ({setting})");
        }
        return new ResolvedCorpus(manifest, dir, origin);
    }
}
