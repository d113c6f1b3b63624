// RunCorpus: the corpus files a run config names, found as training finds them (its manifest in data.corpora_dir
// or the repository's corpora/, then CorpusResolver: data.corpora_dir, SEQ2SEQREV_CORPORA, the cache or a download).
// Guarantees: every configured split (data.train, data.valid, data.test) is checked against the manifest before any
// file is looked for; a missing manifest or split is one UserError line naming the key and the allowed values.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Runs.Data;

public static class RunCorpus
{
    /// <summary>Finds (or downloads) the configured corpus files: every corpus error surfaces here, before a
    /// run writes anything.</summary>
    /// <param name="manifestDir">Folder of corpus manifests; null = data.corpora_dir if it has the manifest, else the repository's corpora/.</param>
    /// <param name="splits">Splits whose files must be there (default: every split of the corpus).</param>
    public static ResolvedCorpus Corpus(RunConfig config, string? manifestDir, IEnumerable<string>? splits = null) =>
        new CorpusResolver(new CorpusResolverOptions { CorporaDir = config.Data.CorporaDir })
            .Resolve(Manifest(config, manifestDir), [config.Data.SrcLang, config.Data.TgtLang], splits);

    /// <summary>The corpus manifest of <paramref name="config"/>, after checking that every configured split exists in it.</summary>
    public static CorpusManifest Manifest(RunConfig config, string? manifestDir)
    {
        var d = config.Data;
        var manifest = CorpusManifest.Load(FindManifest(d, manifestDir));
        CheckSplit(manifest, "data.train", d.Train);
        CheckSplit(manifest, "data.valid", d.Valid);
        foreach (var split in d.Test) CheckSplit(manifest, "data.test", split);
        return manifest;
    }

    private static string FindManifest(DataConfig d, string? manifestDir)
    {
        var file = d.Corpus + ".yaml";
        if (manifestDir is null && d.CorporaDir is not null && File.Exists(Path.Combine(d.CorporaDir, file)))
            return Path.Combine(d.CorporaDir, file);
        var dir = manifestDir ?? RepoPaths.ManifestDir();
        var path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            IEnumerable<string?> known = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order() : [];
            throw new UserError($"data.corpus = {d.Corpus}: no manifest {path} (allowed: {string.Join(", ", known)})");
        }
        return path;
    }

    private static void CheckSplit(CorpusManifest manifest, string key, string split)
    {
        if (!manifest.Splits.Contains(split))
            throw new UserError($"{key}: split '{split}' is not in corpus '{manifest.Name}' ({manifest.Source}) (allowed: {string.Join(", ", manifest.Splits)})");
    }
}
