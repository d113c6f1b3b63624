// HeldAccountingTests: the memory accounting recounted by hand. (1) An information buffer over a few units with a known
// sequence of gates: its registers, packed bits, spilled chunks, flag bits, held and optimal bits worked out below, and
// the reversal that gives the bits back. (2) The held parts of a tiny seq2seq model trained by reversal equal the
// storage of what its tapes keep (shapes of the batch below, packed parts recounted from their values), and the batch's
// own tensors and float masks are freed between the passes. (The buffer's parts themselves are recounted by hand in (1);
// that what is counted is what is alive, AliveBytesTests measures.) (3) The forward pass keeps O(1) memory in T apart from the
// buffer and the saved slices: what is alive after it at T = 10 and T = 400 differs by no more than those.
using Seq2SeqRev.Memory;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Training;
using Seq2SeqRev.Training.Gradients;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Seq2SeqRev.Tests.Model.Seq2Seq;
using Seq2SeqRev.Tests.Reversible;

namespace Seq2SeqRev.Tests.Memory;

[Collection(TorchRngCollection.Name)]
public sealed class HeldAccountingTests
{
    /// <summary>
    /// One row, two units, forget radix 10; three multiplies of h = 1023 (low 10 bits all ones) by z* = 512 (z = 1/2) in
    /// unit 0 and z* = 256 (z = 1/4) in unit 1. With R₁ = R·2^10 + low, h ← ⌊h/2^10⌋·z* + R₁ mod z*, R ← ⌊R₁/z*⌋:
    /// unit 0: R = 1023 div 512 = 1, then 2047 div 512 = 3, then 4095 div 512 = 7 (3 bits); h ← 511 each time.
    /// unit 1: R = 1023 div 256 = 3, then 4095 div 256 = 15, then 16383 div 256 = 63 (6 bits); h ← 255 each time.
    /// No spills (R &lt; z*·2^32). Sealed: per unit Elias-gamma(depth 0 + 1) = 1 bit, a 6-bit length, the register's bits
    /// below its leading one: 1 + 6 + 2 = 9 and 1 + 6 + 5 = 12, 21 bits in 3 bytes = 24 bits. Held: 24 + 0 chunk bits +
    /// 3 flag bits (one per multiply) = 27. Optimal: 3 × 1 + 3 × 2 = 9 bits.
    /// </summary>
    [Fact]
    public void BufferBitsRecountedByHand()
    {
        using var scope = NewDisposeScope();
        using var buffer = new InformationBuffer(1, 2, FixedPointFormat.Default);
        var zq = tensor(new long[] { 512, 256 }).view(1, 2);
        var zf = tensor(new float[] { 0.5f, 0.25f }).view(1, 2);
        for (var i = 0; i < 3; i++)
        {
            var h = buffer.Multiply(tensor(new long[] { 1023, 1023 }).view(1, 2), zq, zf, null, 0);
            Assert.Equal(new long[] { 511, 255 }, h.data<long>().ToArray());
        }
        Assert.Equal(9.0, buffer.OptimalBits, 9);
        buffer.Seal();
        Assert.Equal(24, buffer.PackedRegisterBits);
        Assert.Equal(0, buffer.ChunkBitsHeld);
        Assert.Equal(3, buffer.MultiplyFlagBits);
        Assert.Equal(27, buffer.ActualBits);

        buffer.Unseal();
        for (var i = 0; i < 3; i++)
        {
            var h = buffer.Divide(tensor(new long[] { 511, 255 }).view(1, 2), zq, null, 0);
            Assert.Equal(new long[] { 1023, 1023 }, h.data<long>().ToArray());
        }
        Assert.True(buffer.IsEmpty);
    }

    /// <summary>
    /// One unit, z* = 1 (the float gate 0 is clamped to 2^−10: 10 bits per multiply), h = 1023, five multiplies.
    /// R = 1023, 2^20 − 1, 2^30 − 1, 2^40 − 1; before the fifth, R ≥ z*·2^32 spills its 32 low bits (one chunk word, depth
    /// 1) and keeps 2^8 − 1, then R = 255·1024 + 1023 = 2^18 − 1. Sealed: Elias-gamma(2) = 3 bits + 6 + 17 = 26 bits in
    /// 4 bytes = 32. Held: 32 + 32 (the chunk) + 5 flag bits = 69. Optimal: 5 × 10 = 50.
    /// </summary>
    [Fact]
    public void BufferSpillRecountedByHand()
    {
        using var scope = NewDisposeScope();
        using var buffer = new InformationBuffer(1, 1, FixedPointFormat.Default);
        var zq = tensor(new long[] { 1 }).view(1, 1);
        var zf = tensor(new float[] { 0f }).view(1, 1);
        for (var i = 0; i < 5; i++)
        {
            var h = buffer.Multiply(tensor(new long[] { 1023 }).view(1, 1), zq, zf, null, 0);
            Assert.Equal(0L, h.item<long>());
        }
        Assert.Equal(50.0, buffer.OptimalBits, 9);
        buffer.Seal();
        Assert.Equal(32, buffer.PackedRegisterBits);
        Assert.Equal(32, buffer.ChunkBitsHeld);
        Assert.Equal(5, buffer.MultiplyFlagBits);
        Assert.Equal(69, buffer.ActualBits);

        buffer.Unseal();
        for (var i = 0; i < 5; i++)
            Assert.Equal(1023L, buffer.Divide(tensor(new long[] { 0 }).view(1, 1), zq, null, 0).item<long>());
        Assert.True(buffer.IsEmpty);
    }

    /// <summary>
    /// RevGRU, embedding 8, hidden 8 (H/2 = 4), Emb+2H bank, dropout 0.3, vocabulary 20, one layer; sources of lengths
    /// 3, 1, 4 (S = 4) and targets of lengths 2, 5, 1 (decoder steps = length + 1: 3, 6, 2; T = 6); B = 3.
    /// Every held part is the storage of what the tapes keep, worked out here: ids and lengths as int16 (vocabulary 20,
    /// at most 6 steps), masks as one byte per 8 elements of a row plus a 32-bit scale, the decoder's final state and the
    /// encoder's saved columns (real steps only) recounted from their values (per unit: a 32-bit minimum, a 6-bit width,
    /// then every value in that width, bytes rounded up), the encoder's final state not held (the decoder's reversal
    /// rebuilds it), the attention mask and the loss targets derived. Between the passes the batch's tensors and the
    /// float masks are freed, so nothing else of the batch is held.
    /// </summary>
    [Fact]
    public void HeldPartsAreTheStorageOfWhatTheTapesKeep()
    {
        using var scope = NewDisposeScope();
        var config = Seq2SeqTestKit.Config("revgru", "emb+slice", hidden: 8, slice: 2, dropout: 0.3);
        using var model = Seq2SeqTestKit.Create(config, "reversal", seed: 3);
        model.Module.train();
        long decFinalBits = -1, savedBits = -1, savedFloor = -1, decFinalFloor = -1;
        var freed = false;
        ((Reversal)((TrainableModel)model).Gradients).BetweenPasses = (enc, dec, b, m) =>
        {
            freed = new[] { b.Src, b.SrcLengths, b.SrcMask, b.TgtIn, b.TgtOut, b.TgtLengths, m.Encoder.Embedding!, m.Encoder.Top!,
                m.Decoder.Embedding!, m.Decoder.Top! }.All(t => t.IsInvalid);
            using var s = NewDisposeScope();
            var final = dec.Rnn.Final;
            (decFinalBits, decFinalFloor) = Recount(final.Layers.SelectMany(c => c.Parts.Select(p => p.Int)));
            // The saved columns of real steps: rows t = 0 … length of each source, as one [N, 2] matrix.
            var saved = enc.Rnn.Saved!;
            var lengths = new long[] { 3, 1, 4 };
            var rows = new List<Tensor>();
            for (var t = 0; t <= 4; t++)
                for (var row = 0; row < 3; row++)
                    if (t <= lengths[row]) rows.Add(saved[t, row].unsqueeze(0));
            (savedBits, savedFloor) = Recount([cat(rows, 0)]);
        };
        var batch = new TrainingBatch([[4, 5, 6], [7], [8, 9, 10, 11]], [[12, 13], [14, 15, 16, 17, 18], [19]]);
        var r = model.TrainStep(batch);
        Assert.True(freed, "the batch's tensors and the float masks must be freed between the passes");
        var enc = r.Encoder!;
        var dec = r.Decoder!;
        double Held(MemoryBits b, string part) => b.HeldParts.Single(p => p.Name == part).Bits;
        double Limit(MemoryBits b, string part) => b.LimitParts.Single(p => p.Name == part).Bits;

        // Encoder: no final state; saved columns as recounted; ids [4, 3] int16; lengths [3] int16; no attention mask;
        // masks: embedding [3, 8] (1 byte a row) + bank [3, 2] (1 byte a row), each with a 32-bit scale.
        Assert.Equal(0, Held(enc, HeldAccounting.FinalState));
        Assert.Equal(savedBits, Held(enc, HeldAccounting.SavedSlices));
        Assert.Equal(16 * 4 * 3, Held(enc, HeldAccounting.SourceIds));
        Assert.Equal(16 * 3, Held(enc, HeldAccounting.SourceLengths));
        Assert.Equal(0, Held(enc, HeldAccounting.AttentionMask));
        Assert.Equal(8 * 3 + 32 + 8 * 3 + 32, Held(enc, HeldAccounting.DropoutMasks));
        Assert.Equal(4 * 2, Held(enc, HeldAccounting.BufferFlags));   // one flag per buffered multiply: 4 steps × (h1, h2)
        Assert.Equal(32L * (3 + 1 + 4) * 8, enc.BaselineUnpadded);
        Assert.Equal(32L * 4 * 3 * 8, enc.Baseline);
        // Limit: no final state; slices at their units' widths; ids ⌈log2 20⌉ = 5 bits per real token; lengths ⌈log2 5⌉ = 3
        // bits per row; the mask is derived; dropout masks 1 bit per element.
        Assert.Equal(0, Limit(enc, HeldAccounting.FinalState));
        Assert.Equal(savedFloor, Limit(enc, HeldAccounting.SavedSlices));
        Assert.Equal(5 * 8, Limit(enc, HeldAccounting.SourceIds));
        Assert.Equal(3 * 3, Limit(enc, HeldAccounting.SourceLengths));
        Assert.Equal(0, Limit(enc, HeldAccounting.AttentionMask));
        Assert.Equal(24 + 6, Limit(enc, HeldAccounting.DropoutMasks));

        // Decoder: final state as recounted; input ids [6, 3] int16, output ids derived; lengths [3] int16; masks:
        // embedding + output [3, 8], one byte a row each, plus the scales.
        Assert.Equal(decFinalBits, Held(dec, HeldAccounting.FinalState));
        Assert.Equal(decFinalFloor, Limit(dec, HeldAccounting.FinalState));
        Assert.Equal(16 * 6 * 3, Held(dec, HeldAccounting.TargetInputIds));
        Assert.Equal(0, Held(dec, HeldAccounting.TargetOutputIds));
        Assert.Equal(16 * 3, Held(dec, HeldAccounting.TargetLengths));
        Assert.Equal(2 * (8 * 3 + 32), Held(dec, HeldAccounting.DropoutMasks));
        Assert.Equal(6 * 2, Held(dec, HeldAccounting.BufferFlags));
        Assert.Equal(32L * (3 + 6 + 2) * 8, dec.BaselineUnpadded);
        Assert.Equal(5 * 11, Limit(dec, HeldAccounting.TargetInputIds));
        Assert.Equal(0, Limit(dec, HeldAccounting.TargetOutputIds));
        Assert.Equal(3 * 3, Limit(dec, HeldAccounting.TargetLengths));
        Assert.Equal(2 * 24, Limit(dec, HeldAccounting.DropoutMasks));

        Assert.True(enc.SavingHeldLimit > enc.SavingHeld && dec.SavingHeldLimit > dec.SavingHeld);
    }

    /// <summary>Bits of integer matrices [rows, units] packed per unit (a 32-bit minimum, a 6-bit width = bit length of
    /// max − min, every value in that width; each matrix rounded up to whole bytes), and the values alone.</summary>
    private static (long Bits, long Floor) Recount(IEnumerable<Tensor> matrices)
    {
        long bits = 0, floor = 0;
        foreach (var m in matrices)
        {
            long rows = m.shape[0], units = m.shape[1], stream = 0;
            for (var u = 0; u < units; u++)
            {
                var column = m.narrow(1, u, 1).to(ScalarType.Int64);
                var range = column.max().item<long>() - column.min().item<long>();
                var width = range == 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)range);
                stream += 32 + 6 + rows * width;
                floor += rows * width;
            }
            bits += (stream + 7) / 8 * 8;
        }
        return (bits, floor);
    }

    /// <summary>The forward pass for reversal keeps no per-step state: after it, the tensors alive in its dispose scope
    /// (temporaries it failed to free, the zero and final states) are the same at T = 10 and T = 400, and the tensors alive
    /// anywhere differ by no more than the buffer's spilled chunks (at most one tensor per multiply) and the saved slices
    /// (one tensor, [T+1, B, k]).</summary>
    [Fact]
    public void ForwardMemoryIsConstantInTApartFromBufferAndSlices()
    {
        var rnn = ReversalTestKit.MakeRnn(ReversibleCellKind.RevGRU, 16, 32, 2, ForgetLimit.Parse("3"), 4, 5);
        (long ScopeBytes, long ScopeTensors, long LiveTensors, long Flags, long SavedBytes) Run(int steps)
        {
            using var outer = NewDisposeScope();
            var (x, lengths) = ReversalTestKit.RandomBatch(steps, 8, 16, 9);
            var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            using var scope = NewDisposeScope();
            using var tape = rnn.Forward(t => x[t], steps, lengths, rnn.ZeroState(8));
            var alive = scope.DisposablesView.OfType<Tensor>().Where(t => !t.IsInvalid).ToList();
            var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
            return (alive.Sum(t => t.numel() * t.element_size()), alive.Count, live, tape.Bits.BufferFlagBits, tape.Bits.SavedBits / 8);
        }
        var shortRun = Run(10);
        var longRun = Run(400);
        Assert.Equal(shortRun.ScopeTensors, longRun.ScopeTensors);
        Assert.Equal(shortRun.ScopeBytes, longRun.ScopeBytes);
        Assert.True(longRun.LiveTensors - shortRun.LiveTensors <= longRun.Flags - shortRun.Flags,
            $"live tensors {shortRun.LiveTensors} -> {longRun.LiveTensors}, multiplies {shortRun.Flags} -> {longRun.Flags}");
        Assert.Equal(4L * 401 * 8 * 4, longRun.SavedBytes);
    }
}
