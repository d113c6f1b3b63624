// ConfigWriter: writes a RunConfig as YAML with every key (resolved, no `base:`), so a run
// directory records the config actually used. The write is atomic (temp file + rename), and
// ConfigLoader.Load(path) of the result equals the resolved input (tested).
using Seq2SeqRev.Cli;
using YamlDotNet.RepresentationModel;

namespace Seq2SeqRev.Runs.Config;

/// <summary>Serialises run configs to YAML.</summary>
public static class ConfigWriter
{
    /// <summary>Atomically writes <paramref name="config"/> (resolved) to <paramref name="path"/>, creating its folder.</summary>
    public static void Save(RunConfig config, string path)
    {
        var yaml = System.Text.Encoding.UTF8.GetBytes(ToYaml(config));
        AtomicFile.Write(path, stream => stream.Write(yaml));
    }

    /// <summary>The YAML text Save writes: all keys in schema order, sections as nested mappings.</summary>
    public static string ToYaml(RunConfig config)
    {
        var resolved = config.Resolve();
        var root = new YamlMappingNode();
        foreach (var field in ConfigSchema.Fields)
        {
            var parts = field.Key.Split('.');
            var map = root;
            foreach (var part in parts[..^1])
            {
                var key = new YamlScalarNode(part);
                if (!map.Children.TryGetValue(key, out var child))
                    map.Add(key, child = new YamlMappingNode());
                map = (YamlMappingNode)child;
            }
            map.Add(parts[^1], field.Write(resolved));
        }
        using var writer = new StringWriter { NewLine = "\n" };
        writer.WriteLine("# Seq2SeqRev run config, fully resolved (written by ConfigWriter).");
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text; // drop the document-end marker
    }
}
