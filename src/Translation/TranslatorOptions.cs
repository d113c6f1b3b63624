// TranslatorOptions: the knobs of streaming translation (search, batching, input limit, n-best output).
// Guarantees: Validate() turns every inconsistent value into a one-line UserError worded for the command line.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Search;

namespace Seq2SeqRev.Translation;

public sealed record TranslatorOptions
{
    public SearchOptions Search { get; init; } = new();
    /// <summary>Sentences per search call.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Lines read, sorted by length and translated together (memory bound of the stream); 0 = 16 × BatchSize.</summary>
    public int ChunkLines { get; init; }
    /// <summary>Longest source in subword tokens (longer lines are truncated with a warning); null = data.max_length.</summary>
    public int? MaxInputLength { get; init; }
    /// <summary>Write every hypothesis of the n-best list as "index ||| translation ||| score" (index 0-based).</summary>
    public bool NBestFormat { get; init; }

    public int EffectiveChunkLines => ChunkLines > 0 ? ChunkLines : 16 * BatchSize;

    public void Validate()
    {
        try { Search.Validate(); }
        catch (ArgumentException e) { throw new UserError(e.Message); }
        if (BatchSize < 1) throw new UserError($"--batch-size must be at least 1 (got {BatchSize})");
        if (ChunkLines < 0) throw new UserError($"chunk size must be >= 0 (got {ChunkLines})");
        if (MaxInputLength is < 1) throw new UserError($"--max-input-length must be at least 1 (got {MaxInputLength})");
    }
}
