// PackedInts: an integer matrix [rows, columns] held as a bit stream between the forward and the backward pass, each
// column at the width of its range over the rows (its minimum as a 32-bit header, a 6-bit width, then every value minus
// the minimum in that many bits), packed "by significant bits" as the information buffer packs its registers.
// Guarantees: Unpack gives back exactly the values packed (as int64); values must fit int32 (the fixed-point range check
// guarantees it for states and saved columns; anything else is an ArgumentException); Bits counts the bytes held, headers
// included; FloorBits counts the values alone at their columns' widths (no headers), the floor of this storage.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>An integer matrix held as a bit stream, each column at the width of its range (see the file header).</summary>
public sealed class PackedInts
{
    private const int MinimumBits = 32, WidthBits = 6;
    private readonly byte[] _bytes;

    private PackedInts(byte[] bytes, long rows, long columns, long floorBits)
    {
        _bytes = bytes;
        Rows = rows;
        Columns = columns;
        FloorBits = floorBits;
    }

    /// <summary>Rows of the matrix.</summary>
    public long Rows { get; }
    /// <summary>Columns of the matrix.</summary>
    public long Columns { get; }
    /// <summary>Values held (rows × columns).</summary>
    public long Values => Rows * Columns;
    /// <summary>Bits held: the packed bytes, 8 bits each.</summary>
    public long Bits => _bytes.LongLength * 8;
    /// <summary>The values at their columns' widths without the per-column headers.</summary>
    public long FloorBits { get; }

    /// <summary>Packs a 2-D integer tensor (any integer type, values within int32).</summary>
    public static PackedInts Pack(Tensor values)
    {
        if (values.dim() != 2) throw new ArgumentException($"PackedInts packs 2-D tensors, got {values.dim()} dimensions");
        long rows = values.shape[0], columns = values.shape[1];
        long[] data;
        using (var wide = values.to(ScalarType.Int64).contiguous()) data = wide.data<long>().ToArray();
        var writer = new BitWriter();
        long floor = 0;
        for (long c = 0; c < columns; c++)
        {
            long min = long.MaxValue, max = long.MinValue;
            for (long r = 0; r < rows; r++)
            {
                var v = data[r * columns + c];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            if (rows == 0) min = max = 0;
            if (min < int.MinValue || max > int.MaxValue)
                throw new ArgumentException($"PackedInts holds values within int32; column {c} spans {min}..{max}");
            var width = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(max - min));
            writer.Write((uint)(int)min, MinimumBits);
            writer.Write((ulong)width, WidthBits);
            for (long r = 0; r < rows; r++) writer.Write((ulong)(data[r * columns + c] - min), width);
            floor += rows * width;
        }
        return new PackedInts(writer.ToArray(), rows, columns, floor);
    }

    /// <summary>The values as a new int64 tensor [rows, columns] (in the caller's dispose scope).</summary>
    public Tensor Unpack()
    {
        var data = new long[Rows * Columns];
        var reader = new BitReader(_bytes);
        for (long c = 0; c < Columns; c++)
        {
            long min = (int)(uint)reader.Read(MinimumBits);
            var width = (int)reader.Read(WidthBits);
            for (long r = 0; r < Rows; r++) data[r * Columns + c] = min + (long)reader.Read(width);
        }
        return tensor(data, [Rows, Columns]);
    }
}
