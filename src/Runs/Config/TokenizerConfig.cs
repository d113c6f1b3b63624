// TokenizerConfig: subword tokenizer settings (YAML section "tokenizer").
namespace Seq2SeqRev.Runs.Config;

/// <summary>Subword vocabulary: one joint vocabulary for both languages, or one per language.</summary>
public sealed record TokenizerConfig
{
    public bool Joint { get; init; } = true;
    public int VocabSize { get; init; } = 8000;
}
