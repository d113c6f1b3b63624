// ConfigReader: turns YAML files (following `base:` chains) and key=value overrides into a flat
// map "dotted.key" -> value + location. Guarantees: unknown keys, non-mapping sections, bad
// YAML, missing files and base cycles are one-line UserErrors naming file and line; a file's
// keys replace its base's key by key (deep merge per section); `name` is never inherited.
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Seq2SeqRev.Runs.Config;

/// <summary>Reads config sources into flat, merged entries.</summary>
internal static class ConfigReader
{
    /// <summary>Entries of <paramref name="path"/> merged over its base chain.</summary>
    public static Dictionary<string, ConfigEntry> ReadFile(string path) => ReadFile(path, null, []);

    /// <summary>Applies one "dotted.key=value" override (value parsed as YAML) onto <paramref name="entries"/>.</summary>
    public static void ApplyOverride(string text, Dictionary<string, ConfigEntry> entries)
    {
        var where = SourceLocation.Override(text);
        var eq = text.IndexOf('=');
        if (eq <= 0) throw where.Error("expected key=value, e.g. training.epochs=1");
        var key = text[..eq].Trim();
        YamlNode value;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text[(eq + 1)..]));
            value = stream.Documents.Count == 0 ? YamlScalars.Null() : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw where.Error($"invalid YAML value: {OneLine(e.Message)}");
        }
        // "a.b.c=v" is the YAML tree {a: {b: {c: v}}}: flatten it exactly like a file.
        var parts = key.Split('.');
        for (var i = parts.Length - 1; i >= 0; i--)
            value = new YamlMappingNode(new YamlScalarNode(parts[i]), value);
        Flatten((YamlMappingNode)value, "", _ => where, allowBase: false, entries);
    }

    private static Dictionary<string, ConfigEntry> ReadFile(string path, SourceLocation? includedFrom, List<string> chain)
    {
        var full = Path.GetFullPath(path);
        if (chain.Contains(full))
        {
            var cycle = string.Join(" -> ", chain.Append(full).SkipWhile(p => p != full).Select(Display));
            throw includedFrom!.Value.Error($"base chain has a cycle: {cycle} (allowed: a chain without repeats)");
        }
        if (!File.Exists(full))
            throw includedFrom is { } from
                ? from.Error($"base file not found: {path}")
                : new Cli.UserError($"config file not found: {path}");

        var root = Parse(path, full);
        var entries = new Dictionary<string, ConfigEntry>();
        if (root is null) return entries;

        var baseKey = root.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode { Value: ConfigSchema.BaseKey });
        if (baseKey.Key is not null)
        {
            var where = SourceLocation.InFile(path, baseKey.Key);
            if (baseKey.Value is not YamlScalarNode s || YamlScalars.IsNull(s) || string.IsNullOrEmpty(s.Value))
                throw where.Error("base must name a YAML file, relative to this file (allowed: a path such as ../default.yaml)");
            var basePath = Combine(path, s.Value);
            entries = ReadFile(basePath, where, [.. chain, full]);
            entries.Remove("name");
        }
        Flatten(root, "", node => SourceLocation.InFile(path, node), allowBase: true, entries);
        return entries;
    }

    private static YamlMappingNode? Parse(string path, string full)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(full);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new SourceLocation(path, (int)e.Start.Line).Error($"invalid YAML: {OneLine(e.Message)}");
        }
        if (stream.Documents.Count == 0 || YamlScalars.IsNull(stream.Documents[0].RootNode)) return null;
        if (stream.Documents.Count > 1)
            throw SourceLocation.InFile(path, stream.Documents[1].RootNode).Error("only one YAML document is allowed per config file");
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw SourceLocation.InFile(path, stream.Documents[0].RootNode)
                .Error($"a config file must be a mapping of keys (allowed: {string.Join(", ", TopLevelKeys(true))})");
    }

    private static void Flatten(YamlMappingNode map, string section, Func<YamlNode, SourceLocation> locate,
        bool allowBase, Dictionary<string, ConfigEntry> into)
    {
        var seen = new HashSet<string>();
        foreach (var (keyNode, value) in map.Children)
        {
            var where = locate(keyNode);
            var name = keyNode is YamlScalarNode k ? k.Value ?? "" : YamlScalars.Display(keyNode);
            var full = section.Length == 0 ? name : $"{section}.{name}";
            if (!seen.Add(name)) throw where.Error($"duplicate key '{full}'");
            if (section.Length == 0 && name == ConfigSchema.BaseKey && allowBase) continue;

            if (ConfigSchema.IsSection(full))
            {
                if (YamlScalars.IsNull(value)) continue; // "model:" with nothing under it
                if (value is not YamlMappingNode sub)
                    throw where.Error($"'{full}' must be a section of keys (allowed: {string.Join(", ", ConfigSchema.ChildrenOf(full))})");
                Flatten(sub, full, locate, allowBase, into);
            }
            else if (ConfigSchema.Field(full) is not null)
                into[full] = new ConfigEntry(value, where);
            else
            {
                var allowed = section.Length == 0 ? TopLevelKeys(allowBase) : ConfigSchema.ChildrenOf(section);
                throw where.Error($"unknown key '{full}' (allowed: {string.Join(", ", allowed)})");
            }
        }
    }

    private static IEnumerable<string> TopLevelKeys(bool withBase) =>
        withBase ? [ConfigSchema.BaseKey, .. ConfigSchema.ChildrenOf("")] : ConfigSchema.ChildrenOf("");

    /// <summary>The base path as the user would write it: relative paths stay relative (normalised).</summary>
    private static string Combine(string includingPath, string basePath)
    {
        var combined = Path.Combine(Path.GetDirectoryName(includingPath) ?? "", basePath);
        return Path.IsPathRooted(combined) ? Path.GetFullPath(combined) : Display(Path.GetFullPath(combined));
    }

    private static string Display(string fullPath)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, fullPath);
        return relative.StartsWith("..", StringComparison.Ordinal) ? fullPath : relative;
    }

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
