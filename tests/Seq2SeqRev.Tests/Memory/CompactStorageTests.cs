// CompactStorageTests: what training by reversal holds compactly comes back exactly. PackedInts restores every value
// (random columns of every width, int32 extremes, constant columns) and refuses values beyond int32; PackedMask restores
// locked dropout masks bit for bit (every dropout rate, widths that are and are not multiples of 8) and refuses a tensor
// that is not one; the loss targets derived from the decoder inputs equal PreparedBatch.TgtOut and the attention mask
// derived from narrow lengths equals PreparedBatch.SrcMask, for random batches; IntegerStorage picks the narrowest type.
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Seq2SeqRev.Tests.Model.Seq2Seq;

namespace Seq2SeqRev.Tests.Memory;

[Collection(TorchRngCollection.Name)]
public sealed class CompactStorageTests
{
    [Fact]
    public void PackedIntsRestoreEveryValue()
    {
        using var scope = NewDisposeScope();
        var random = new Random(5);
        var rows = 37;
        var columns = new List<long[]>
        {
            Enumerable.Repeat(12345L, rows).ToArray(),                                             // width 0
            Enumerable.Range(0, rows).Select(i => i % 2 == 0 ? (long)int.MinValue : int.MaxValue).ToArray(), // width 32
            Enumerable.Range(0, rows).Select(_ => (long)random.Next(-(1 << 23), 1 << 23)).ToArray(),
            Enumerable.Range(0, rows).Select(_ => (long)random.Next(-3, 4)).ToArray(),
        };
        var data = new long[rows * columns.Count];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns.Count; c++) data[r * columns.Count + c] = columns[c][r];
        var values = tensor(data, [rows, columns.Count]);
        var packed = PackedInts.Pack(values.to(ScalarType.Int32));
        Assert.Equal(data, packed.Unpack().data<long>().ToArray());
        // Widths 0, 32, ≤ 24, 3: the floor is rows × Σ widths; the held bits add 38 header bits per column, in whole bytes.
        var width2 = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(columns[2].Max() - columns[2].Min()));
        var width3 = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(columns[3].Max() - columns[3].Min()));
        var floor = rows * (0 + 32 + width2 + width3);
        Assert.Equal(floor, packed.FloorBits);
        Assert.Equal((floor + 4 * 38 + 7) / 8 * 8, packed.Bits);
        Assert.Throws<ArgumentException>(() => PackedInts.Pack(tensor(new long[] { 0, 1L << 31 }).view(2, 1)));
    }

    [Theory]
    [InlineData(0.3, 300)]
    [InlineData(0.4, 20)]
    [InlineData(0.5, 7)]
    [InlineData(0.1, 16)]
    public void PackedMasksAreBitIdentical(double p, int dim)
    {
        using var scope = NewDisposeScope();
        manual_seed(17);
        var mask = DropoutMasks.Locked(64, dim, p)!;
        using var packed = PackedMask.Pack(mask)!;
        var restored = packed.Expand();
        Assert.Equal(ScalarType.Float32, restored.dtype);
        Assert.Equal(mask.shape, restored.shape);
        var a = mask.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits);
        var b = restored.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits);
        Assert.Equal(a, b);
        Assert.Equal(64L * ((dim + 7) / 8) * 8 + 32, packed.Bits);
        Assert.Null(PackedMask.Pack(null));
        Assert.Throws<ArgumentException>(() => PackedMask.Pack(rand(4, dim)));
    }

    [Fact]
    public void DerivedTargetsAndMaskEqualThePreparedOnes()
    {
        using var scope = NewDisposeScope();
        var random = new Random(11);
        for (var round = 0; round < 20; round++)
        {
            var batch = random.Next(1, 9);
            int[] Sentence() => [.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => random.Next(4, 8000))];
            var sources = Enumerable.Range(0, batch).Select(_ => Sentence()).ToList();
            var targets = Enumerable.Range(0, batch).Select(_ => Sentence()).ToList();
            var b = PreparedBatch.Create(sources, targets);
            var narrowLengths = b.TgtLengths.to(IntegerStorage.Narrowest(b.TgtSteps));
            for (var block = 1; block <= b.TgtSteps; block++)
                for (var first = 0; first < b.TgtSteps; first += block)
                {
                    var count = Math.Min(block, b.TgtSteps - first);
                    var derived = PreparedBatch.TargetsFromInputs(b.TgtIn, narrowLengths, first, count);
                    Assert.Equal(b.TgtOut.narrow(0, first, count).data<long>().ToArray(), derived.data<long>().ToArray());
                }
            var mask = PreparedBatch.SourceMask(b.SrcLengths.to(ScalarType.Int16), b.SrcSteps);
            Assert.Equal(b.SrcMask.data<bool>().ToArray(), mask.data<bool>().ToArray());
        }
    }

    [Fact]
    public void NarrowestIntegerType()
    {
        Assert.Equal(ScalarType.Int16, IntegerStorage.Narrowest(7999));
        Assert.Equal(ScalarType.Int16, IntegerStorage.Narrowest(short.MaxValue));
        Assert.Equal(ScalarType.Int32, IntegerStorage.Narrowest(short.MaxValue + 1));
        Assert.Equal(ScalarType.Int64, IntegerStorage.Narrowest(int.MaxValue + 1L));
    }
}
