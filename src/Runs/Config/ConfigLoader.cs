// ConfigLoader: the one entry point that turns a YAML file (or the built-in default) plus
// key=value overrides into a validated, resolved RunConfig. Every problem is a one-line
// Cli.UserError naming the key, the file and line (or the override) and the allowed values.
namespace Seq2SeqRev.Runs.Config;

/// <summary>Loads run configs: file (with its base chain) → overrides → validation → resolution.</summary>
public static class ConfigLoader
{
    /// <summary>
    /// Loads <paramref name="path"/> and applies <paramref name="overrides"/> ("dotted.key=value", in order).
    /// The run name defaults to the file name without extension.
    /// </summary>
    public static RunConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        var entries = ConfigReader.ReadFile(path);
        var start = new RunConfig { Name = Path.GetFileNameWithoutExtension(path) };
        return Build(start, entries, overrides, new SourceLocation(path));
    }

    /// <summary>The built-in default (= configs/default.yaml) with <paramref name="overrides"/> applied.</summary>
    public static RunConfig LoadDefault(IEnumerable<string>? overrides = null) =>
        Build(new RunConfig(), [], overrides, new SourceLocation("default config"));

    /// <summary><paramref name="start"/> is unresolved (training.memory null) so "auto" follows the final cell.</summary>
    private static RunConfig Build(RunConfig start, Dictionary<string, ConfigEntry> entries,
        IEnumerable<string>? overrides, SourceLocation fallback)
    {
        foreach (var text in overrides ?? []) ConfigReader.ApplyOverride(text, entries);
        var config = start;
        foreach (var field in ConfigSchema.Fields)
            if (entries.TryGetValue(field.Key, out var entry))
                config = field.Apply(config, entry);
        config = config.Resolve();
        ConfigValidator.Validate(config, entries.ToDictionary(kv => kv.Key, kv => kv.Value.Location), fallback);
        return config;
    }
}
