// BitStream: an MSB-first bit writer and its reader, for what reversal holds packed by significant bits (buffer registers,
// PackedInts). Guarantees: Read returns exactly the bit fields Write wrote, in order.
namespace Seq2SeqRev.Reversible;

/// <summary>Minimal MSB-first bit writer used to pack buffer registers, final states and saved columns by their
/// significant bits.</summary>
internal sealed class BitWriter
{
    private readonly List<byte> _bytes = [];
    private int _used = 8;

    /// <summary>Writes the low <paramref name="bits"/> (0 … 64) bits of <paramref name="value"/>, most significant first,
    /// up to a byte at a time.</summary>
    public void Write(ulong value, int bits)
    {
        for (var remaining = bits; remaining > 0;)
        {
            if (_used == 8) { _bytes.Add(0); _used = 0; }
            var room = 8 - _used;
            var take = Math.Min(room, remaining);
            var chunk = (int)((value >> (remaining - take)) & ((1UL << take) - 1));
            _bytes[^1] |= (byte)(chunk << (room - take));
            _used += take;
            remaining -= take;
        }
    }

    /// <summary>Elias gamma code of x ≥ 1: ⌊log2 x⌋ zeros, then x in ⌊log2 x⌋ + 1 bits.</summary>
    public void WriteEliasGamma(ulong x)
    {
        var n = 63 - System.Numerics.BitOperations.LeadingZeroCount(x);
        Write(0, n);
        Write(x, n + 1);
    }

    public byte[] ToArray() => [.. _bytes];
}

/// <summary>Reads what <see cref="BitWriter"/> wrote.</summary>
internal sealed class BitReader(byte[] bytes)
{
    private long _position;

    /// <summary>Reads <paramref name="bits"/> (0 … 64) bits, most significant first, up to a byte at a time.</summary>
    public ulong Read(int bits)
    {
        ulong value = 0;
        while (bits > 0)
        {
            var offset = (int)(_position & 7);
            var room = 8 - offset;
            var take = Math.Min(room, bits);
            var chunk = (bytes[_position >> 3] >> (room - take)) & ((1 << take) - 1);
            value = (value << take) | (uint)chunk;
            _position += take;
            bits -= take;
        }
        return value;
    }

    public ulong ReadEliasGamma()
    {
        var n = 0;
        while (Read(1) == 0) n++;
        return n == 0 ? 1 : (1UL << n) | Read(n);
    }
}
