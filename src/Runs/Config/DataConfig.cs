// DataConfig: which corpus and splits to read (YAML section "data"). Plain data, no I/O:
// corpora are resolved by the data layer from Corpus (a manifest name in corpora/) and CorporaDir.
namespace Seq2SeqRev.Runs.Config;

/// <summary>Corpus, language pair and split names.</summary>
public sealed record DataConfig
{
    /// <summary>Manifest name in the corpora folder, e.g. "multi30k" or "sample".</summary>
    public string Corpus { get; init; } = "multi30k";
    /// <summary>Folder holding corpus manifests; null = the repository's corpora/ folder.</summary>
    public string? CorporaDir { get; init; }
    public string SrcLang { get; init; } = "en";
    public string TgtLang { get; init; } = "de";
    public string Train { get; init; } = "train";
    public string Valid { get; init; } = "val";
    public ValueList<string> Test { get; init; } = ["test_2016_flickr", "test_2017_flickr"];
    /// <summary>Maximum length in subword tokens; longer training pairs are skipped.</summary>
    public int MaxLength { get; init; } = 80;
    public bool Lowercase { get; init; }
}
