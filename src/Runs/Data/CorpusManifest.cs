// CorpusManifest: a corpus description loaded from YAML (corpora/<name>.yaml).
// Guarantees: a loaded manifest is valid — a safe name, non-empty languages and splits, a file_pattern using
// {split} and {lang}, and either a local_dir (resolved to an absolute path next to the manifest) or a
// url_pattern using {file} together with a 64-hex sha256 for every file. Problems raise a one-line UserError
// naming the manifest file (and the YAML line when the parser knows it).
using System.Text.RegularExpressions;
using Seq2SeqRev.Cli;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Seq2SeqRev.Runs.Data;

public sealed partial class CorpusManifest
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Languages { get; init; }
    public required IReadOnlyList<string> Splits { get; init; }
    public required string FilePattern { get; init; }
    public string? UrlPattern { get; init; }
    /// <summary>Absolute directory of a corpus shipped with the project (no download), or null.</summary>
    public string? LocalDir { get; init; }
    /// <summary>Expected sha256 (lowercase hex) per file name; may be empty for local corpora.</summary>
    public IReadOnlyDictionary<string, string> Sha256 { get; init; } = new Dictionary<string, string>();
    public string Source { get; init; } = "<manifest>";

    public string FileName(string split, string language) =>
        FilePattern.Replace("{split}", split).Replace("{lang}", language);

    public string? Url(string fileName) => UrlPattern?.Replace("{file}", fileName);

    public IEnumerable<string> FileNames(IEnumerable<string>? languages = null) =>
        from split in Splits from lang in languages ?? Languages select FileName(split, lang);

    public static CorpusManifest Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot read corpus manifest ({e.Message})");
        }
        return Parse(text, path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <param name="baseDir">Directory that a relative local_dir is resolved against.</param>
    public static CorpusManifest Parse(string yaml, string source, string baseDir)
    {
        ManifestYaml raw;
        try
        {
            raw = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<ManifestYaml?>(yaml) ?? throw new UserError($"{source}: empty corpus manifest");
        }
        catch (YamlException e)
        {
            string why = (e.InnerException ?? e).Message.Split('\n')[0];
            throw new UserError($"{source}:{e.Start.Line}: invalid corpus manifest ({why})");
        }

        string Fail(string message) => throw new UserError($"{source}: {message}");
        if (string.IsNullOrEmpty(raw.Name) || !SafeName().IsMatch(raw.Name))
            Fail("'name' must be a non-empty word of letters, digits, '_', '-' or '.'");
        if (raw.Languages is not { Count: > 0 }) Fail("'languages' must list at least one language");
        if (raw.Splits is not { Count: > 0 }) Fail("'splits' must list at least one split");
        if (raw.FilePattern is null || !raw.FilePattern.Contains("{split}") || !raw.FilePattern.Contains("{lang}"))
            Fail("'file_pattern' must contain {split} and {lang}");
        if (raw.UrlPattern is null == raw.LocalDir is null) Fail("give exactly one of 'url_pattern' and 'local_dir'");
        if (raw.UrlPattern is not null && !raw.UrlPattern.Contains("{file}")) Fail("'url_pattern' must contain {file}");

        var sha = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, hash) in raw.Sha256 ?? [])
        {
            if (hash is null || !Sha256Hex().IsMatch(hash)) Fail($"sha256 of '{file}' must be 64 hex digits");
            sha[file] = hash!.ToLowerInvariant();
        }
        var manifest = new CorpusManifest
        {
            Name = raw.Name!,
            Languages = raw.Languages!,
            Splits = raw.Splits!,
            FilePattern = raw.FilePattern!,
            UrlPattern = raw.UrlPattern,
            LocalDir = raw.LocalDir is null ? null : Path.GetFullPath(Path.Combine(baseDir, raw.LocalDir)),
            Sha256 = sha,
            Source = source,
        };
        if (manifest.UrlPattern is not null)
            foreach (var file in manifest.FileNames())
                if (!sha.ContainsKey(file)) Fail($"'sha256' has no entry for '{file}' (downloads must be verified)");
        return manifest;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")] private static partial Regex SafeName();
    [GeneratedRegex("^[0-9A-Fa-f]{64}$")] private static partial Regex Sha256Hex();

    private sealed class ManifestYaml
    {
        public string? Name { get; set; }
        public List<string>? Languages { get; set; }
        public List<string>? Splits { get; set; }
        public string? FilePattern { get; set; }
        public string? UrlPattern { get; set; }
        public string? LocalDir { get; set; }
        [YamlMember(Alias = "sha256")] public Dictionary<string, string>? Sha256 { get; set; }
    }
}
