// MetricsWriter: the machine-readable outputs of a run. metrics.jsonl gets one JSON object per validation with
// the fields epoch, step, train_loss, val_loss, val_ppl, val_bleu, lr, seconds, tokens_per_second,
// enc_saving_actual, enc_saving_optimal, dec_saving_actual, dec_saving_optimal (the paper's convention: padded baseline,
// buffer + slices), enc_saving_held, dec_saving_held, enc_saving_held_limit, dec_saving_held_limit (the held convention:
// everything kept between forward and backward over the unpadded baseline, and its limit, each part at its floor; see MemoryBits),
// each saving the mean over the epoch's training batches (null when unknown or not finite); every line is flushed. MetricsReader reads the file back. TensorBoard scalars go to tensorboard/ (TorchSharp's SummaryWriter).
using System.Text.Json;
using TorchSharp;

namespace Seq2SeqRev.Runs;

public sealed record ValidationMetrics(
    int Epoch, long Step, double TrainLoss, double ValLoss, double ValPpl, double ValBleu, double LearningRate,
    double Seconds, double TokensPerSecond,
    double? EncSavingActual, double? EncSavingOptimal, double? DecSavingActual, double? DecSavingOptimal,
    double? EncSavingHeld = null, double? DecSavingHeld = null, double? EncSavingHeldLimit = null, double? DecSavingHeldLimit = null);

public sealed class MetricsWriter(string runDir)
{
    public const string FileName = "metrics.jsonl";

    public static readonly IReadOnlyList<string> Fields =
    [
        "epoch", "step", "train_loss", "val_loss", "val_ppl", "val_bleu", "lr", "seconds", "tokens_per_second",
        "enc_saving_actual", "enc_saving_optimal", "dec_saving_actual", "dec_saving_optimal",
        "enc_saving_held", "dec_saving_held", "enc_saving_held_limit", "dec_saving_held_limit",
    ];

    private readonly string _jsonl = Path.Combine(runDir, FileName);
    private readonly TorchSharp.Modules.SummaryWriter _tb = torch.utils.tensorboard.SummaryWriter(Path.Combine(runDir, "tensorboard"));

    public void TrainLoss(long step, double loss, double learningRate)
    {
        Scalar("train/loss", loss, step);
        Scalar("train/lr", learningRate, step);
    }

    public void Validation(ValidationMetrics m)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", m.Epoch);
            w.WriteNumber("step", m.Step);
            Number(w, "train_loss", m.TrainLoss);
            Number(w, "val_loss", m.ValLoss);
            Number(w, "val_ppl", m.ValPpl);
            Number(w, "val_bleu", m.ValBleu);
            Number(w, "lr", m.LearningRate);
            Number(w, "seconds", m.Seconds);
            Number(w, "tokens_per_second", m.TokensPerSecond);
            Number(w, "enc_saving_actual", m.EncSavingActual);
            Number(w, "enc_saving_optimal", m.EncSavingOptimal);
            Number(w, "dec_saving_actual", m.DecSavingActual);
            Number(w, "dec_saving_optimal", m.DecSavingOptimal);
            Number(w, "enc_saving_held", m.EncSavingHeld);
            Number(w, "dec_saving_held", m.DecSavingHeld);
            Number(w, "enc_saving_held_limit", m.EncSavingHeldLimit);
            Number(w, "dec_saving_held_limit", m.DecSavingHeldLimit);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        using (var f = new FileStream(_jsonl, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            buffer.Position = 0;
            buffer.CopyTo(f);
        }
        Scalar("valid/loss", m.ValLoss, m.Step);
        Scalar("valid/ppl", m.ValPpl, m.Step);
        Scalar("valid/bleu", m.ValBleu, m.Step);
        Scalar("train/epoch_loss", m.TrainLoss, m.Step);
        Scalar("train/tokens_per_second", m.TokensPerSecond, m.Step);
        if (m.EncSavingActual is { } ea) Scalar("memory/enc_saving_actual", ea, m.Step);
        if (m.EncSavingOptimal is { } eo) Scalar("memory/enc_saving_optimal", eo, m.Step);
        if (m.DecSavingActual is { } da) Scalar("memory/dec_saving_actual", da, m.Step);
        if (m.DecSavingOptimal is { } dopt) Scalar("memory/dec_saving_optimal", dopt, m.Step);
        if (m.EncSavingHeld is { } eh) Scalar("memory/enc_saving_held", eh, m.Step);
        if (m.DecSavingHeld is { } dh) Scalar("memory/dec_saving_held", dh, m.Step);
    }

    /// <summary>Deletes the lines of validations at or after <paramref name="epoch"/> from a run's metrics.jsonl (atomic
    /// rewrite; nothing when there are none): a run killed between a validation and its checkpoint repeats that epoch
    /// when resumed, which would otherwise log it twice. A line that is not a JSON object with an epoch is kept.</summary>
    public static void DropFrom(string runDir, int epoch)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path);
        var keep = lines.Where(l => EpochOf(l) is not { } e || e < epoch).ToList();
        if (keep.Count == lines.Length) return;
        var bytes = System.Text.Encoding.UTF8.GetBytes(string.Concat(keep.Select(l => l + "\n")));
        Seq2SeqRev.Cli.AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    private static int? EpochOf(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("epoch", out var e)
                && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var epoch) ? epoch : null;
        }
        catch (JsonException) { return null; }
    }

    private void Scalar(string tag, double value, long step)
    {
        if (double.IsFinite(value)) _tb.add_scalar(tag, (float)value, (int)Math.Min(step, int.MaxValue));
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
