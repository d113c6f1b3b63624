// TrainerState: everything besides model, optimizer and RNG that a resumed run needs to continue exactly where
// the saved run was: position (epoch, next batch, global step), schedule (lr, best perplexity, counters) and the
// running sums of the current epoch (so mid-epoch resumes report the same epoch metrics). Round-trips through
// JSON bit-exactly (doubles are written round-trippable; infinities as named literals).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seq2SeqRev.Runs;

public sealed record TrainerState
{
    /// <summary>1-based epoch the next batch belongs to.</summary>
    public int Epoch { get; init; } = 1;
    /// <summary>Index (within <see cref="Epoch"/>) of the next batch to train on.</summary>
    public int NextBatch { get; init; }
    /// <summary>Optimizer updates done so far.</summary>
    public long Step { get; init; }
    public double LearningRate { get; init; }
    public double BestPerplexity { get; init; } = double.PositiveInfinity;
    public int BestEpoch { get; init; }
    /// <summary>Validations without improvement since the last improvement or lr decay (drives lr decay).</summary>
    public int BadSinceDecay { get; init; }
    /// <summary>Validations without improvement since the last improvement (drives early stopping).</summary>
    public int BadValidations { get; init; }
    /// <summary>Null while training; else why the run ended (then resuming does nothing).</summary>
    public string? FinishedReason { get; init; }
    public EpochTotals Totals { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static TrainerState FromJson(string json) =>
        JsonSerializer.Deserialize<TrainerState>(json, Json) ?? throw new JsonException("null trainer state");
}

/// <summary>Running sums over the batches of the current epoch.</summary>
public sealed record EpochTotals
{
    public double LossSum { get; init; }
    public long Tokens { get; init; }
    public int Batches { get; init; }
    public double Seconds { get; init; }
    public int EncoderBatches { get; init; }
    public double EncoderActual { get; init; }
    public double EncoderOptimal { get; init; }
    public int DecoderBatches { get; init; }
    public double DecoderActual { get; init; }
    public double DecoderOptimal { get; init; }
    /// <summary>Sums of the batches' held-convention savings (see <see cref="MemoryBits"/>); batches counted as above.</summary>
    public double EncoderHeld { get; init; }
    public double EncoderHeldLimit { get; init; }
    public double DecoderHeld { get; init; }
    public double DecoderHeldLimit { get; init; }

    /// <summary>Mean training loss per target token.</summary>
    public double Loss => Tokens == 0 ? double.NaN : LossSum / Tokens;
    public double TokensPerSecond => Seconds <= 0 ? 0 : Tokens / Seconds;
    public double? EncoderSavingActual => EncoderBatches == 0 ? null : EncoderActual / EncoderBatches;
    public double? EncoderSavingOptimal => EncoderBatches == 0 ? null : EncoderOptimal / EncoderBatches;
    public double? DecoderSavingActual => DecoderBatches == 0 ? null : DecoderActual / DecoderBatches;
    public double? DecoderSavingOptimal => DecoderBatches == 0 ? null : DecoderOptimal / DecoderBatches;
    public double? EncoderSavingHeld => EncoderBatches == 0 ? null : EncoderHeld / EncoderBatches;
    public double? EncoderSavingHeldLimit => EncoderBatches == 0 ? null : EncoderHeldLimit / EncoderBatches;
    public double? DecoderSavingHeld => DecoderBatches == 0 ? null : DecoderHeld / DecoderBatches;
    public double? DecoderSavingHeldLimit => DecoderBatches == 0 ? null : DecoderHeldLimit / DecoderBatches;
}
