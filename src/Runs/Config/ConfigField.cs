// ConfigField: one YAML key of the schema — how its value is type-checked and range-checked
// (errors name key, location and allowed values), applied to a RunConfig, and written back.
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Seq2SeqRev.Runs.Config;

/// <summary>A leaf key such as "model.hidden" with its allowed values.</summary>
internal abstract class ConfigField(string key, string allowed)
{
    /// <summary>Full dotted snake_case key.</summary>
    public string Key { get; } = key;
    /// <summary>Human-readable allowed values, shown in every error about this key.</summary>
    public string Allowed { get; } = allowed;

    public abstract RunConfig Apply(RunConfig config, ConfigEntry entry);
    public abstract YamlNode Write(RunConfig config);

    protected Exception Fail(ConfigEntry entry, string problem) =>
        entry.Location.Error($"{Key}{problem} (allowed: {Allowed})");
}

/// <summary>A typed field: <c>read</c> converts the node (or throws via the fail callback).</summary>
internal sealed class ConfigField<T>(
    string key, string allowed,
    Func<YamlNode, Func<string, Exception>, T> read,
    Func<RunConfig, T> get, Func<RunConfig, T, RunConfig> set, Func<T, YamlNode> write)
    : ConfigField(key, allowed)
{
    public override RunConfig Apply(RunConfig config, ConfigEntry entry) =>
        set(config, read(entry.Value, problem => Fail(entry, problem)));

    public override YamlNode Write(RunConfig config) => write(get(config));
}

/// <summary>Factories for the field kinds used by <see cref="ConfigSchema"/>.</summary>
internal static class FieldKinds
{
    public static ConfigField Int(string key, int min, int max, Func<RunConfig, int> get, Func<RunConfig, int, RunConfig> set)
    {
        var allowed = max == int.MaxValue ? $"integer >= {min}" : $"integer {min}..{max}";
        return new ConfigField<int>(key, allowed, (node, fail) =>
        {
            var s = Scalar(node, fail);
            if (!YamlScalars.TryInt(s, out var v)) throw fail($" = {s.Value} is not an integer");
            if (v < min || v > max) throw fail($" = {s.Value} is out of range");
            return (int)v;
        }, get, set, YamlScalars.Int);
    }

    /// <summary>A number in a range; <paramref name="minOpen"/>/<paramref name="maxOpen"/> exclude the bound.</summary>
    public static ConfigField Double(string key, double min, bool minOpen, double max, bool maxOpen,
        Func<RunConfig, double> get, Func<RunConfig, double, RunConfig> set)
    {
        static string F(double d) => d.ToString("R", CultureInfo.InvariantCulture);
        var lower = $"{F(min)} {(minOpen ? "<" : "<=")} x";
        var allowed = double.IsPositiveInfinity(max) ? $"number {(minOpen ? ">" : ">=")} {F(min)}"
            : $"{lower} {(maxOpen ? "<" : "<=")} {F(max)}";
        return new ConfigField<double>(key, allowed, (node, fail) =>
        {
            var s = Scalar(node, fail);
            if (!YamlScalars.TryDouble(s, out var v)) throw fail($" = {s.Value} is not a number");
            var ok = !double.IsNaN(v) && (minOpen ? v > min : v >= min) && (maxOpen ? v < max : v <= max) && !double.IsInfinity(v);
            if (!ok) throw fail($" = {s.Value} is out of range");
            return v;
        }, get, set, YamlScalars.Double);
    }

    public static ConfigField Bool(string key, Func<RunConfig, bool> get, Func<RunConfig, bool, RunConfig> set) =>
        new ConfigField<bool>(key, "true, false", (node, fail) =>
        {
            var s = Scalar(node, fail);
            return YamlScalars.TryBool(s, out var v) ? v : throw fail($" = {s.Value} is not a boolean");
        }, get, set, YamlScalars.Bool);

    /// <summary>A non-empty string; when <paramref name="nullable"/>, ~/null/empty means null.</summary>
    public static ConfigField Text(string key, bool nullable, Func<RunConfig, string?> get, Func<RunConfig, string?, RunConfig> set) =>
        new ConfigField<string?>(key, nullable ? "a non-empty string, or ~ for none" : "a non-empty string", (node, fail) =>
        {
            if (nullable && YamlScalars.IsNull(node)) return null;
            return NonEmptyText(node, fail);
        }, get, set, v => v is null ? YamlScalars.Null() : YamlScalars.String(v));

    /// <summary>One of the words of <paramref name="names"/> (compared as written, case-sensitive), parsed to its value.</summary>
    public static ConfigField Choice<T>(string key, NameMap<T> names, Func<RunConfig, T> get, Func<RunConfig, T, RunConfig> set)
        where T : struct =>
        new ConfigField<T>(key, string.Join(", ", names.Names), (node, fail) =>
        {
            var s = Scalar(node, fail);
            return names.TryParse(s.Value ?? "", out var v) ? v : throw fail($" = {s.Value} is not allowed");
        }, get, set, v => Word(names.NameOf(v)));

    /// <summary>Like <see cref="Choice{T}"/>, also accepting ~/auto as null (automatic), written back as "auto".</summary>
    public static ConfigField AutoChoice<T>(string key, NameMap<T> names, Func<RunConfig, T?> get, Func<RunConfig, T?, RunConfig> set)
        where T : struct =>
        new ConfigField<T?>(key, string.Join(", ", [.. names.Names, "auto"]), (node, fail) =>
        {
            if (YamlScalars.IsNull(node)) return null;
            var s = Scalar(node, fail);
            if (s.Value == "auto") return null;
            return names.TryParse(s.Value ?? "", out var v) ? v : throw fail($" = {s.Value} is not allowed");
        }, get, set, v => v is T value ? Word(names.NameOf(value)) : new YamlScalarNode("auto"));

    private static YamlScalarNode Word(string word) => new(word) { Style = ScalarStyle.Plain };

    /// <summary>A list of non-empty strings, written in flow style: [a, b].</summary>
    public static ConfigField TextList(string key, Func<RunConfig, ValueList<string>> get, Func<RunConfig, ValueList<string>, RunConfig> set) =>
        new ConfigField<ValueList<string>>(key, "a list of non-empty strings, e.g. [a, b]", (node, fail) =>
        {
            if (node is not YamlSequenceNode seq) throw fail($" = {YamlScalars.Display(node)} is not a list");
            return new ValueList<string>(seq.Children.Select(item => NonEmptyText(item, fail)));
        }, get, set, v => new YamlSequenceNode(v.Select(YamlScalars.String)) { Style = YamlDotNet.Core.Events.SequenceStyle.Flow });

    private static YamlScalarNode Scalar(YamlNode node, Func<string, Exception> fail)
    {
        if (node is not YamlScalarNode s) throw fail($" = {YamlScalars.Display(node)} is not a single value");
        if (YamlScalars.IsNull(s)) throw fail(" is empty");
        return s;
    }

    private static string NonEmptyText(YamlNode node, Func<string, Exception> fail)
    {
        var s = Scalar(node, fail);
        return string.IsNullOrEmpty(s.Value) ? throw fail(" is empty") : s.Value;
    }
}
