// BLEU smoothing methods and their sacreBLEU names/defaults. Guarantees: names round-trip
// ("exp", "floor", "add-k", "none"); defaults are sacreBLEU's (floor 0.1, add-k 1, others none);
// the signature text is "exp"/"none", or "floor[0.10]"/"add-k[1.00]" with the effective value.
namespace Seq2SeqRev.Scoring;

/// <summary>How BLEU treats n-gram orders with zero matches.</summary>
public enum SmoothMethod
{
    /// <summary>mteval-v13a exponential decay (sacreBLEU's default).</summary>
    Exp,
    /// <summary>Replace a zero count by a small floor value.</summary>
    Floor,
    /// <summary>Add k to counts and totals of orders 2 and above.</summary>
    AddK,
    /// <summary>No smoothing: any zero-match order gives BLEU 0.</summary>
    None,
}

/// <summary>Name parsing and defaults for <see cref="SmoothMethod"/>.</summary>
public static class SmoothMethods
{
    public static IReadOnlyList<string> Names { get; } = ["exp", "floor", "add-k", "none"];

    public static string Name(this SmoothMethod method) => method switch
    {
        SmoothMethod.Exp => "exp",
        SmoothMethod.Floor => "floor",
        SmoothMethod.AddK => "add-k",
        SmoothMethod.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    public static SmoothMethod Parse(string name) => name switch
    {
        "exp" => SmoothMethod.Exp,
        "floor" => SmoothMethod.Floor,
        "add-k" => SmoothMethod.AddK,
        "none" => SmoothMethod.None,
        _ => throw new ArgumentException(
            $"unknown smoothing method '{name}' (expected one of: {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>sacreBLEU's default smoothing value, or null when the method takes none.</summary>
    public static double? DefaultValue(this SmoothMethod method) => method switch
    {
        SmoothMethod.Floor => 0.1,
        SmoothMethod.AddK => 1.0,
        _ => null,
    };

    /// <summary>The value actually used: the given one, else the method's default.</summary>
    public static double? EffectiveValue(this SmoothMethod method, double? value) => value ?? method.DefaultValue();

    /// <summary>The <c>smooth:</c> signature value.</summary>
    public static string SignatureText(this SmoothMethod method, double? value)
    {
        if (method.DefaultValue() is null) return method.Name();
        return $"{method.Name()}[{ScoreFormatting.Fixed(method.EffectiveValue(value)!.Value, 2)}]";
    }
}
