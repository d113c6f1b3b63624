// ResultsReport: the result of `seq2seqrev report` — the beam used on the test sets and one RunSummary per run.
// Guarantees: ToJson has exactly the shape {"beam", "signatures": {bleu, bleu_lowercase, chrf2} or null, "runs":
// [{label, name, run_dir, checkpoint, cell, attention, max_forget_bits, training_memory, epochs, best_epoch,
// best_val_ppl, best_val_bleu, training_hours, mean_tokens_per_second, enc_saving_actual, enc_saving_optimal,
// dec_saving_actual, dec_saving_optimal (the paper's convention), enc_saving_held, dec_saving_held, enc_saving_held_limit,
// dec_saving_held_limit (the held convention; null for runs logged before it existed), test: [{split, sentences, hypotheses, bleu, bleu_lowercase, chrf2,
// sentences_per_second}], validation: [{epoch, train_loss, val_loss, val_ppl, val_bleu}]}]} with unrounded numbers
// (null where unknown); the only timing in it is training_hours, mean_tokens_per_second and sentences_per_second.
using Seq2SeqRev.Runs;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seq2SeqRev.Translation.Results;

/// <summary>The sacreBLEU signatures shared by every score of a report.</summary>
public sealed record ScoreSignatures(string Bleu, string BleuLowercase, string Chrf);

public sealed record ResultsReport(int Beam, IReadOnlyList<RunSummary> Runs)
{
    /// <summary>The checkpoint file each run was tested with (best.ckpt unless `report --checkpoint`).</summary>
    public string Checkpoint { get; init; } = RunFolder.BestFile;

    /// <summary>Every test split of the report, in order of first appearance.</summary>
    public IReadOnlyList<string> TestSplits => Runs.SelectMany(r => r.Tests.Select(t => t.Split)).Distinct().ToList();

    /// <summary>The signatures of the scores (identical for every run and split: one reference, same options); null without tests.</summary>
    public ScoreSignatures? Signatures => Runs.SelectMany(r => r.Tests).FirstOrDefault() is { } t
        ? new ScoreSignatures(t.Bleu.Signature, t.BleuLowercase.Signature, t.Chrf.Signature) : null;

    /// <summary>The file name of the hypotheses of <paramref name="split"/> at beam <paramref name="beam"/>, in RUN_DIR/test/.</summary>
    public static string HypothesisFile(string split, int beam) => $"{split}.beam{beam}.hyp";

    public string ToJson()
    {
        var runs = new JsonArray();
        foreach (var r in Runs)
        {
            var best = r.Best;
            runs.Add(new JsonObject
            {
                ["label"] = r.Label,
                ["name"] = r.Name,
                ["run_dir"] = r.RunDir,
                ["checkpoint"] = Path.Combine(r.RunDir, Checkpoint),
                ["cell"] = r.Cell,
                ["attention"] = r.Attention,
                ["max_forget_bits"] = r.MaxForgetBits,
                ["training_memory"] = r.TrainingMemory,
                ["epochs"] = r.Epochs,
                ["best_epoch"] = best?.Epoch,
                ["best_val_ppl"] = Number(best?.ValPpl),
                ["best_val_bleu"] = Number(best?.ValBleu),
                ["training_hours"] = Number(r.TrainingHours),
                ["mean_tokens_per_second"] = Number(r.MeanTokensPerSecond),
                ["enc_saving_actual"] = Number(r.EncSavingActual),
                ["enc_saving_optimal"] = Number(r.EncSavingOptimal),
                ["dec_saving_actual"] = Number(r.DecSavingActual),
                ["dec_saving_optimal"] = Number(r.DecSavingOptimal),
                ["enc_saving_held"] = Number(r.EncSavingHeld),
                ["dec_saving_held"] = Number(r.DecSavingHeld),
                ["enc_saving_held_limit"] = Number(r.EncSavingHeldLimit),
                ["dec_saving_held_limit"] = Number(r.DecSavingHeldLimit),
                ["test"] = new JsonArray([.. r.Tests.Select(t => (JsonNode)new JsonObject
                {
                    ["split"] = t.Split,
                    ["sentences"] = t.Sentences,
                    ["hypotheses"] = t.HypothesisPath,
                    ["bleu"] = Number(t.Bleu.Score),
                    ["bleu_lowercase"] = Number(t.BleuLowercase.Score),
                    ["chrf2"] = Number(t.Chrf.Score),
                    ["sentences_per_second"] = Number(t.SentencesPerSecond),
                })]),
                ["validation"] = new JsonArray([.. r.Validation.Select(v => (JsonNode)new JsonObject
                {
                    ["epoch"] = v.Epoch,
                    ["train_loss"] = Number(v.TrainLoss),
                    ["val_loss"] = Number(v.ValLoss),
                    ["val_ppl"] = Number(v.ValPpl),
                    ["val_bleu"] = Number(v.ValBleu),
                })]),
            });
        }
        var s = Signatures;
        var root = new JsonObject
        {
            ["beam"] = Beam,
            ["signatures"] = s is null ? null : new JsonObject { ["bleu"] = s.Bleu, ["bleu_lowercase"] = s.BleuLowercase, ["chrf2"] = s.Chrf },
            ["runs"] = runs,
        };
        return root.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    private static JsonNode? Number(double? x) => x is double v && double.IsFinite(v) ? JsonValue.Create(v) : null;
}
