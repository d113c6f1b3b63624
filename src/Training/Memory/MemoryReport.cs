// MemoryReport: the result of `seq2seqrev memory` — per config the memory accounting (bits, the paper's
// metric; null where the model does not train by reversal) and the measured activation peaks and step times.
// Guarantees: ToJson has exactly the documented shape {"configs": [{name, cell, attention, max_forget_bits,
// training_memory, weights, encoder, decoder, measured: [{seq_len, batch, peak_bytes, step_ms}]}], ...}, and
// the text/markdown renderers (MemoryTables) format the same numbers.
using System.Text.Json;
using System.Text.Json.Nodes;
using Seq2SeqRev.Training.Config;
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Training.Memory;

public sealed record Measurement(int SeqLen, int Batch, long PeakBytes, double StepMs);

public sealed record ConfigReport(string Name, string Cell, string Attention, string? MaxForgetBits, string TrainingMemory,
    bool Trained, int AccountingBatches, MemoryBits? Encoder, MemoryBits? Decoder, IReadOnlyList<Measurement> Measured);

/// <param name="Data">"val" or "synthetic": what the accounting ran on.</param>
public sealed record MemoryReport(string Data, int Batch, IReadOnlyList<int> SeqLengths, IReadOnlyList<ConfigReport> Configs)
{
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
                ["cell"] = c.Cell,
                ["attention"] = c.Attention,
                ["max_forget_bits"] = c.MaxForgetBits,
                ["training_memory"] = c.TrainingMemory,
                ["weights"] = c.Trained ? "trained" : "untrained",
                ["accounting_batches"] = c.AccountingBatches,
                ["encoder"] = Bits(c.Encoder),
                ["decoder"] = Bits(c.Decoder),
                ["measured"] = measured,
            });
        }
        var root = new JsonObject
        {
            ["data"] = Data,
            ["batch"] = Batch,
            ["seq_lengths"] = new JsonArray([.. SeqLengths.Select(t => (JsonNode)t)]),
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
    };
}
