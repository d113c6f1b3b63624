namespace Seq2SeqRev.Reversible;

/// <summary>Minimal MSB-first bit writer used to pack buffer registers by their significant bits.</summary>
internal sealed class BitWriter
{
    private readonly List<byte> _bytes = [];
    private int _used = 8;

    public void Write(ulong value, int bits)
    {
        for (var i = bits - 1; i >= 0; i--)
        {
            if (_used == 8) { _bytes.Add(0); _used = 0; }
            if (((value >> i) & 1) != 0) _bytes[^1] |= (byte)(0x80 >> _used);
            _used++;
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

    public ulong Read(int bits)
    {
        ulong value = 0;
        for (var i = 0; i < bits; i++, _position++)
            value = (value << 1) | (uint)((bytes[_position >> 3] >> (7 - (int)(_position & 7))) & 1);
        return value;
    }

    public ulong ReadEliasGamma()
    {
        var n = 0;
        while (Read(1) == 0) n++;
        return n == 0 ? 1 : (1UL << n) | Read(n);
    }
}
