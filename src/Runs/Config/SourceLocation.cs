// SourceLocation and ConfigEntry: where a setting came from (file and line, or an override),
// so every error can name it in one line: "configs/x.yaml:7: ..." or "override 'k=v': ...".
using Seq2SeqRev.Cli;
using YamlDotNet.RepresentationModel;

namespace Seq2SeqRev.Runs.Config;

/// <summary>A file and 1-based line (0 = no line), or an override / the built-in default.</summary>
internal readonly record struct SourceLocation(string Origin, int Line = 0)
{
    public static SourceLocation Override(string text) => new($"override '{text}'");
    public static SourceLocation InFile(string file, YamlNode node) => new(file, (int)node.Start.Line);

    public override string ToString() => Line > 0 ? $"{Origin}:{Line}" : Origin;

    /// <summary>A one-line user error prefixed with this location.</summary>
    public UserError Error(string message) => new($"{this}: {message}");
}

/// <summary>One setting: its YAML value and where it was written.</summary>
internal sealed record ConfigEntry(YamlNode Value, SourceLocation Location);
