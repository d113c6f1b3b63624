// SettingSuggestions: what a command-line word that looks like an option (`--epochs 1`) most likely meant as a config
// override (`training.epochs=1`). Guarantees: only keys of the schema are suggested; the result is one line.
namespace Seq2SeqRev.Runs.Config;

public static class SettingSuggestions
{
    /// <summary>The schema keys whose last part is <paramref name="option"/> without dashes (`--max-length` matches
    /// `data.max_length`), in schema order.</summary>
    public static IReadOnlyList<string> KeysFor(string option)
    {
        string name = option.TrimStart('-').Replace('-', '_');
        return ConfigSchema.Fields.Select(f => f.Key)
            .Where(k => k == name || k.EndsWith("." + name, StringComparison.Ordinal)).ToList();
    }

    /// <summary>The error for an option-like word among overrides: `unknown option '--epochs' (settings are key=value
    /// overrides: training.epochs=1)`; <paramref name="value"/> is the word after it, if any.</summary>
    public static string UnknownOption(string option, string? value)
    {
        string v = string.IsNullOrEmpty(value) ? "VALUE" : value;
        var keys = KeysFor(option.Split('=')[0]);
        string hint = keys.Count == 0
            ? "settings are key=value overrides, e.g. training.epochs=1; see configs/default.yaml"
            : "settings are key=value overrides: " + string.Join(" or ", keys.Select(k => $"{k}={v}"));
        return $"unknown option '{option}' ({hint})";
    }
}
