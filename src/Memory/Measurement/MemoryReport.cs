// MemoryReport: the result of `seq2seqrev memory` — per config the memory accounting (bits, in two conventions; null
// where the model does not train by reversal) and the measured activation peaks and step times.
// Guarantees: ToJson has exactly the documented shape {"data", "batch", "seq_lengths", "conventions": {paper, held},
// "configs": [{name, cell, attention, max_forget_bits, training_memory, loss_shard, weights, accounting_batches,
// accounting_sentences, encoder, decoder, measured: [{seq_len, batch, peak_bytes, step_ms}], growth_mib_per_step}]};
// encoder/decoder = {baseline_bits, actual_bits, optimal_bits, saving_actual, saving_optimal (the paper's convention),
// baseline_bits_unpadded, held_bits, saving_held, held_breakdown {part: bits}, held_limit_bits, saving_held_limit,
// held_limit_breakdown {part: bits} (the held convention)}; the text/markdown renderers (MemoryTables) format the same numbers.
using System.Text.Json;
using System.Text.Json.Nodes;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Memory;

public sealed record Measurement(int SeqLen, int Batch, long PeakBytes, double StepMs);

/// <param name="Attention">The memory bank as the paper names it (ModelConfig.MemoryBankLabel).</param>
/// <param name="MaxForgetBits">The forgetting limit; null for a model that does not forget (baseline cells).</param>
public sealed record ConfigReport(string Name, CellKind Cell, string Attention, ForgetLimit? MaxForgetBits, TrainingMemory TrainingMemory,
    bool Trained, int AccountingBatches, MemoryBits? Encoder, MemoryBits? Decoder, IReadOnlyList<Measurement> Measured)
{
    /// <summary>Sentences the accounting ran on (over all its batches).</summary>
    public long AccountingSentences { get; init; }
    /// <summary>training.loss_shard of the config (0 = whole sequence).</summary>
    public int LossShard { get; init; }

    /// <summary>The forgetting limit as the config writes it ("3", "none"); null for a model that does not forget.</summary>
    public string? MaxForgetBitsWord => MaxForgetBits is ForgetLimit f ? SettingNames.ForgetLimits.NameOf(f) : null;

    /// <summary>How fast the measured peak grows with T: the least-squares slope of MiB over T across the measured
    /// lengths (MiB per time step); null with fewer than two lengths.</summary>
    public double? GrowthMibPerStep => Slope(Measured.Select(m => ((double)m.SeqLen, m.PeakBytes / 1048576.0)).ToList());

    public static double? Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Select(p => p.X).Distinct().Count() < 2) return null;
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        return points.Sum(p => (p.X - mx) * (p.Y - my)) / points.Sum(p => (p.X - mx) * (p.X - mx));
    }
}

/// <param name="Data">"val" or "synthetic": what the accounting ran on.</param>
public sealed record MemoryReport(string Data, int Batch, IReadOnlyList<int> SeqLengths, IReadOnlyList<ConfigReport> Configs)
{
    /// <summary>What the two conventions count (printed with the tables and written to the JSON).</summary>
    public const string PaperConvention =
        "paper (MacKay et al. 2018): baseline = 32 bits per hidden value (h and c for LSTM) per step over the padded batch (B x T_max); " +
        "actual = information buffer + saved attention columns (+ 32-bit source ids for banks with embeddings); optimal = sum of -log2 z + the same; final state, other ids, lengths and dropout masks not counted";
    public const string HeldConvention =
        "held: everything training by reversal keeps between forward and backward, as stored (decoder final state and saved slices of real steps " +
        "packed by significant bits; encoder final state not held: the decoder's reversal rebuilds it; buffer registers, spilled chunks, one bit " +
        "per multiply; ids and lengths at the narrowest integer type; dropout masks 1 bit per element + a 32-bit scale; attention mask and loss " +
        "targets derived, 0) over a baseline of 32 bits per hidden value (h and c for LSTM) per layer at every real (unpadded) token; limit = the " +
        "same parts at their floor (final state and slices at each unit's range width without headers, buffer sum of -log2 z, ids ceil(log2 V) " +
        "bits per real token, lengths ceil(log2(T+1)) bits, masks 1 bit per element, derived parts 0)";

    public string ToJson()
    {
        var configs = new JsonArray();
        foreach (var c in Configs)
        {
            var measured = new JsonArray();
            foreach (var m in c.Measured)
                measured.Add(new JsonObject
                {
                    ["seq_len"] = m.SeqLen, ["batch"] = m.Batch, ["peak_bytes"] = m.PeakBytes, ["step_ms"] = Math.Round(m.StepMs, 1),
                });
            configs.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["cell"] = SettingNames.Cells.NameOf(c.Cell),
                ["attention"] = c.Attention,
                ["max_forget_bits"] = c.MaxForgetBitsWord,
                ["training_memory"] = SettingNames.MemoryModes.NameOf(c.TrainingMemory),
                ["loss_shard"] = c.LossShard,
                ["weights"] = c.Trained ? "trained" : "untrained",
                ["accounting_batches"] = c.AccountingBatches,
                ["accounting_sentences"] = c.AccountingSentences,
                ["encoder"] = Bits(c.Encoder),
                ["decoder"] = Bits(c.Decoder),
                ["measured"] = measured,
                ["growth_mib_per_step"] = c.GrowthMibPerStep is double g ? Math.Round(g, 4) : null,
            });
        }
        var root = new JsonObject
        {
            ["data"] = Data,
            ["batch"] = Batch,
            ["seq_lengths"] = new JsonArray([.. SeqLengths.Select(t => (JsonNode)t)]),
            ["conventions"] = new JsonObject { ["paper"] = PaperConvention, ["held"] = HeldConvention },
            ["configs"] = configs,
        };
        return root.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    private static JsonObject? Bits(MemoryBits? b) => b is null ? null : new JsonObject
    {
        ["baseline_bits"] = b.Baseline,
        ["actual_bits"] = b.Actual,
        ["optimal_bits"] = Math.Round(b.Optimal, 1),
        ["saving_actual"] = Math.Round(b.SavingActual, 2),
        ["saving_optimal"] = Math.Round(b.SavingOptimal, 2),
        ["baseline_bits_unpadded"] = b.BaselineUnpadded,
        ["held_bits"] = (long)Math.Round(b.Held),
        ["saving_held"] = Math.Round(b.SavingHeld, 2),
        ["held_breakdown"] = Parts(b.HeldParts, 0),
        ["held_limit_bits"] = Math.Round(b.HeldLimit, 1),
        ["saving_held_limit"] = Math.Round(b.SavingHeldLimit, 2),
        ["held_limit_breakdown"] = Parts(b.LimitParts, 1),
    };

    private static JsonObject Parts(IReadOnlyList<BitPart> parts, int decimals)
    {
        var o = new JsonObject();
        foreach (var p in parts) o[p.Name] = decimals == 0 ? JsonValue.Create((long)Math.Round(p.Bits)) : JsonValue.Create(Math.Round(p.Bits, decimals));
        return o;
    }
}
