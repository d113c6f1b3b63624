// IntegerStorage: the narrowest signed integer tensor type for non-negative values up to a bound, for what training by
// reversal holds between its passes (token ids, lengths). Guarantees: every value in [0, max] converts to the type and
// back to int64 unchanged (int16 up to 32,767, int32 up to 2^31 − 1, else int64).
using TorchSharp;

namespace Seq2SeqRev.Reversible;

/// <summary>The narrowest integer tensor type for non-negative values up to a bound.</summary>
public static class IntegerStorage
{
    /// <summary>The narrowest of int16, int32 and int64 that holds every value in [0, <paramref name="max"/>].</summary>
    public static torch.ScalarType Narrowest(long max) => max switch
    {
        <= short.MaxValue => torch.ScalarType.Int16,
        <= int.MaxValue => torch.ScalarType.Int32,
        _ => torch.ScalarType.Int64,
    };
}
