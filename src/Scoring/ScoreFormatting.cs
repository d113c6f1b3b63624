// Python-compatible number and JSON formatting for sacreBLEU output. Guarantees: Fixed() equals
// Python's f"{x:.{w}f}" (exact binary value, invariant culture); PythonFloatRepr() equals Python's
// repr(float) (shortest round-trip digits, scientific below 1e-4 and from 1e16); Json() equals
// json.dumps(obj, indent=1, ensure_ascii=False) for string and number values.
using System.Globalization;
using System.Text;

namespace Seq2SeqRev.Scoring;

/// <summary>Formatting helpers shared by BLEU and chrF results.</summary>
public static class ScoreFormatting
{
    /// <summary>The sacreBLEU release whose output this code reproduces, as shown in signatures.</summary>
    public const string SacreBleuVersion = "2.6.0";

    /// <summary>Python <c>f"{value:.{width}f}"</c>.</summary>
    public static string Fixed(double value, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        return value.ToString("F" + width.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>Python <c>repr(value)</c> for a finite double, e.g. 48.5 → "48.5", 49 → "49.0", 1e-05 → "1e-05".</summary>
    public static string PythonFloatRepr(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), "not a finite number");
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        if (negative) text = text[1..];
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var digits = dot >= 0 ? text.Remove(dot, 1) : text;
        var point = (dot >= 0 ? dot : text.Length) + exponent; // decimal point position within digits
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..];
        point -= lead;
        digits = digits.TrimEnd('0');
        var sign = negative ? "-" : "";
        if (digits.Length == 0) return sign + "0.0";

        var sciExponent = point - 1;
        if (sciExponent is >= -4 and < 16)
        {
            if (point <= 0) return sign + "0." + new string('0', -point) + digits;
            if (point >= digits.Length) return sign + digits + new string('0', point - digits.Length) + ".0";
            return sign + digits[..point] + "." + digits[point..];
        }
        var mantissa = digits.Length > 1 ? digits[..1] + "." + digits[1..] : digits;
        var expSign = sciExponent < 0 ? "-" : "+";
        return sign + mantissa + "e" + expSign + Math.Abs(sciExponent).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>Python <c>json.dumps(s, ensure_ascii=False)</c> for one string.</summary>
    public static string JsonString(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Python <c>json.dumps(d, indent=1, ensure_ascii=False)</c> for a flat object whose values are
    /// strings or doubles, keys in the given order.
    /// </summary>
    public static string Json(IEnumerable<KeyValuePair<string, object>> fields)
    {
        var lines = fields.Select(kv => " " + JsonString(kv.Key) + ": " + kv.Value switch
        {
            string s => JsonString(s),
            double d => PythonFloatRepr(d),
            _ => throw new ArgumentException($"unsupported JSON value type for '{kv.Key}'", nameof(fields)),
        }).ToList();
        return lines.Count == 0 ? "{}" : "{\n" + string.Join(",\n", lines) + "\n}";
    }

    /// <summary>Joins signature fields as sacreBLEU does: <c>key:value|key:value</c>.</summary>
    public static string JoinSignature(IEnumerable<KeyValuePair<string, string>> fields) =>
        string.Join('|', fields.Select(kv => kv.Key + ":" + kv.Value));

    /// <summary>"yes"/"no" as sacreBLEU prints booleans in signatures.</summary>
    internal static string YesNo(bool value) => value ? "yes" : "no";
}
