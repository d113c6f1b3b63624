// MetricsReader: reads back the metrics.jsonl that MetricsWriter appends, one validation a line. Guarantees: every
// non-blank line becomes one ValidationMetrics, in file order; "epoch" must be a whole number, the other fields are
// numbers or null (a null or missing required number reads as NaN, a null or missing memory saving as null); a
// missing or unreadable file, or a line that breaks these rules, is a one-line UserError naming the file and line.
using System.Text.Json;
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Runs;

public static class MetricsReader
{
    public static IReadOnlyList<ValidationMetrics> Read(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UserError($"{path}: missing (the trainer writes it at the first validation)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot read ({e.Message})");
        }
        var result = new List<ValidationMetrics>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            result.Add(Parse(lines[i], $"{path}:{i + 1}"));
        }
        return result;
    }

    private static ValidationMetrics Parse(string line, string where)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new UserError($"{where}: not valid JSON ({e.Message.Split('\n')[0]})"); }
        using (doc)
        {
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new UserError($"{where}: expected a JSON object");
            if (!o.TryGetProperty("epoch", out var e) || e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int epoch))
                throw new UserError($"{where}: \"epoch\" must be a whole number");
            double? Optional(string name)
            {
                if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind != JsonValueKind.Number) throw new UserError($"{where}: \"{name}\" must be a number or null");
                return v.GetDouble();
            }
            double Required(string name) => Optional(name) ?? double.NaN;
            return new ValidationMetrics(epoch, (long)(Optional("step") ?? 0), Required("train_loss"), Required("val_loss"),
                Required("val_ppl"), Required("val_bleu"), Required("lr"), Required("seconds"), Required("tokens_per_second"),
                Optional("enc_saving_actual"), Optional("enc_saving_optimal"), Optional("dec_saving_actual"), Optional("dec_saving_optimal"),
                Optional("enc_saving_held"), Optional("dec_saving_held"), Optional("enc_saving_held_limit"), Optional("dec_saving_held_limit"));
        }
    }
}
