// ForgetLimit: the maximum bits a keep gate may forget per multiply (1, 2, 3, 5 or none). Guarantees: z ≥ 2^−k for a
// limit of k bits; anything else is refused when parsed.
namespace Seq2SeqRev.Reversible;

/// <summary>
/// Maximum forgetting per multiply, in bits. The keep gate is rescaled as z = m·σ(a) + (1 − m) with
/// m = 1 − 2^−k, so z ≥ 2^−k and each multiply forgets at most k bits per unit. "No limit" uses m = 1;
/// quantization still keeps z* ≥ 1, which caps forgetting at ForgetRadix (10) bits per step.
/// </summary>
public readonly record struct ForgetLimit(int? Bits)
{
    /// <summary>The limits in bits that <see cref="Parse"/> accepts (the paper's grid: 1, 2, 3, 5).</summary>
    public static readonly int[] Allowed = [1, 2, 3, 5];
    /// <summary>No limit: z may approach 0 (quantization still caps forgetting at ForgetRadix bits per step).</summary>
    public static ForgetLimit None => new(null);

    /// <summary>"1", "2", "3", "5" or "none"; anything else throws <see cref="ArgumentException"/>.</summary>
    public static ForgetLimit Parse(string text)
    {
        if (string.Equals(text, "none", StringComparison.OrdinalIgnoreCase)) return None;
        if (int.TryParse(text, out var k) && Allowed.Contains(k)) return new ForgetLimit(k);
        throw new ArgumentException($"max forget bits '{text}' is not allowed (allowed: 1, 2, 3, 5, none)");
    }

    /// <summary>The scale m in z = m·σ + (1 − m).</summary>
    public float Scale => Bits is int k ? 1f - MathF.ScaleB(1f, -k) : 1f;

    /// <summary>The bits, or "none".</summary>
    public override string ToString() => Bits?.ToString() ?? "none";
}
