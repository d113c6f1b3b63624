// YamlScalars: YAML 1.2 core-schema typing of scalars (what a plain `3`, `true`, `~` means),
// shared by config files and key=value overrides. Quoted scalars are always strings.
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Seq2SeqRev.Runs.Config;

/// <summary>Core-schema interpretation of YAML scalar nodes, and the inverse for writing.</summary>
internal static partial class YamlScalars
{
    [GeneratedRegex(@"^(~|null|Null|NULL)?$")] private static partial Regex NullPattern();
    [GeneratedRegex(@"^(true|True|TRUE|false|False|FALSE)$")] private static partial Regex BoolPattern();
    [GeneratedRegex(@"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")] private static partial Regex IntPattern();
    [GeneratedRegex(@"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex FloatPattern();

    /// <summary>True for a plain (unquoted, untagged) scalar, whose type follows the core schema.</summary>
    public static bool IsPlain(YamlScalarNode node) =>
        node.Style is ScalarStyle.Plain or ScalarStyle.Any && node.Tag.IsEmpty;

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode s && IsPlain(s) && NullPattern().IsMatch(s.Value ?? "");

    public static bool TryBool(YamlScalarNode node, out bool value)
    {
        value = false;
        if (!IsPlain(node) || !BoolPattern().IsMatch(node.Value ?? "")) return false;
        value = node.Value![0] is 't' or 'T';
        return true;
    }

    public static bool TryInt(YamlScalarNode node, out long value)
    {
        value = 0;
        var text = node.Value ?? "";
        if (!IsPlain(node) || !IntPattern().IsMatch(text)) return false;
        if (text.StartsWith("0x", StringComparison.Ordinal))
            return long.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (text.StartsWith("0o", StringComparison.Ordinal))
        {
            try { value = Convert.ToInt64(text[2..], 8); return true; }
            catch (OverflowException) { return false; }
        }
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryDouble(YamlScalarNode node, out double value)
    {
        value = 0;
        if (TryInt(node, out var whole)) { value = whole; return true; }
        var text = node.Value ?? "";
        if (!IsPlain(node) || !FloatPattern().IsMatch(text)) return false;
        var lower = text.ToLowerInvariant();
        value = lower switch
        {
            ".inf" or "+.inf" => double.PositiveInfinity,
            "-.inf" => double.NegativeInfinity,
            ".nan" => double.NaN,
            _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return true;
    }

    /// <summary>A node that reads back as exactly this string (quoted when a plain scalar would not).</summary>
    public static YamlScalarNode String(string value)
    {
        var node = new YamlScalarNode(value);
        var probe = new YamlScalarNode(value) { Style = ScalarStyle.Plain };
        if (IsNull(probe) || BoolPattern().IsMatch(value) || IntPattern().IsMatch(value) || FloatPattern().IsMatch(value))
            node.Style = ScalarStyle.DoubleQuoted;
        return node;
    }

    public static YamlScalarNode Null() => new("~") { Style = ScalarStyle.Plain };
    public static YamlScalarNode Bool(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };
    public static YamlScalarNode Int(int value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    /// <summary>Shortest round-tripping text, always recognisable as a float (e.g. "5.0", "0.2", "1E-05").</summary>
    public static YamlScalarNode Double(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        if (double.IsPositiveInfinity(value)) text = ".inf";
        else if (double.IsNegativeInfinity(value)) text = "-.inf";
        else if (double.IsNaN(value)) text = ".nan";
        else if (!text.Contains('.') && !text.Contains('E')) text += ".0";
        return new YamlScalarNode(text) { Style = ScalarStyle.Plain };
    }

    /// <summary>The raw text as written, for error messages.</summary>
    public static string Display(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.ToString(),
    };
}
