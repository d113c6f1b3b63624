// InformationBuffer: the bits forgetting multiplies destroy, per unit. Guarantees: every multiply h ← h·z is undone
// bit for bit in reverse order; only units that overflow spill a chunk; ActualBits and OptimalBits count what is held
// and its information-theoretic minimum.
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>
/// The information buffer: stores exactly the bits that forgetting multiplies destroy, so that every
/// multiply h ← h·z (z = z*/2^s, s = ForgetRadix) can be undone bit for bit.
///
/// <para><b>Algorithm.</b> Each unit (batch row × column) owns an integer register R. A multiply
/// takes the s low bits of h into R and gives R mod z* back to h (Maclaurin et al. 2015):
/// <c>R₁ = R·2^s + (h mod 2^s); h ← ⌊h/2^s⌋·z* + (R₁ mod z*); R ← ⌊R₁/z*⌋</c>, so R grows by
/// log2(2^s/z*) = −log2 z bits. Unlike the reference code (whole-batch 64-bit words, a new word for every
/// unit when any unit nears overflow), registers are renormalized per unit as in range-ANS coding: before
/// a multiply, a unit whose register is ≥ z*·2^W spills its W low bits as one chunk, so only the units
/// that overflow pay, and R stays below 2^(W+s). On reversal, a unit whose register falls below 2^s while
/// it still has chunks reads its last chunk back; this identifies exactly the units that spilled
/// (proof sketch: after its first spill a unit's resting register is always ≥ 2^s, and a spilled register
/// is always &lt; 2^s because W ≥ s). No per-step flags are needed.</para>
///
/// <para><b>Storage.</b> Chunks are W = 32-bit words kept per multiply in int32 tensors (only the units
/// that spilled). <see cref="Seal"/> packs the final registers and chunk counts into a bit stream
/// (Elias-gamma chunk count, 6-bit length, register bits below the leading one) and frees the register
/// tensors; <see cref="Unseal"/> restores them before reversal. <see cref="ActualBits"/> counts exactly
/// what is held between forward and reverse: packed bytes, chunk words, and one bit per multiply (whether it
/// stored chunks; a chunk list's length is implied by the units that refill, which the check in
/// <see cref="Divide"/> verifies).
/// <see cref="OptimalBits"/> is Σ −log2 z over the buffered multiplies of active units, with z the float
/// gate clamped at the quantization floor 2^−s. Optionally it also simulates the reference code's
/// whole-batch 64-bit scheme on the same run (<see cref="ReferenceSchemeBits"/>).</para>
///
/// <para>Calls must be reversed in exactly the opposite order (LIFO). Masked (inactive) rows are frozen:
/// no bits move.</para>
///
/// <para><b>Implementations.</b> <see cref="Multiply"/> and <see cref="Divide"/> are the tensor-op reference.
/// <see cref="MultiplyAdd"/> and <see cref="SubtractDivide"/> (InformationBuffer.Fused.cs) compute whole
/// forgetting sites with the fused kernels of <see cref="ForgettingKernels"/>, bit-identically (optimal bits up to
/// float64 rounding), on the same data structures; <see cref="Implementation"/> tells the cells which to call.</para>
/// </summary>
public sealed partial class InformationBuffer : IDisposable
{
    /// <summary>Width W in bits of a chunk a full register spills.</summary>
    public const int ChunkBits = 32;
    private const long ChunkMask = (1L << ChunkBits) - 1;
    private const int LengthFieldBits = 6;
    private const long ReferenceOverflow = 1L << 53;

    // Operands of the integer ops as cached Scalars / 0-dim int64 tensors, never plain numbers (see Scalars).
    private static readonly Tensor ChunkBitsOperand = Scalars.Int64Tensor(ChunkBits);
    private static readonly Tensor ChunkMaskOperand = Scalars.Int64Tensor(ChunkMask);
    private static readonly Scalar ReferenceOverflowScalar = Scalars.Int64(ReferenceOverflow);

    private readonly FixedPointFormat _format;
    private readonly Tensor _shift;       // s = ForgetRadix
    private readonly Tensor _lowMask;     // 2^s − 1
    private readonly Scalar _radixOne;    // 2^s
    private readonly Scalar _gateFloor;   // 2^−s as float64
    private readonly List<Tensor?> _chunks = [];
    private readonly bool[] _columnUsed;
    private Tensor? _register;  // int64 [rows, columns]
    private Tensor? _depth;     // int64 [rows, columns]: chunks held per unit
    private Tensor? _optimal;   // float64 scalar
    private Tensor? _refRegister;
    private byte[]? _sealed;
    private long _chunkWords;
    private long _referenceLevels;
    private long _multiplies;

    /// <summary>An empty buffer of <paramref name="rows"/> × <paramref name="columns"/> units (batch rows × half the
    /// hidden size). <paramref name="trackReferenceScheme"/> also simulates the reference code's 64-bit scheme for
    /// <see cref="ReferenceSchemeBits"/>.</summary>
    internal InformationBuffer(int rows, int columns, FixedPointFormat format, bool trackReferenceScheme = false)
    {
        if (format.ForgetRadix is < 1 or > 15)
            throw new ArgumentException("forget radix must be in 1..15 for the 32-bit chunked buffer");
        Rows = rows;
        Columns = columns;
        _format = format;
        var s = format.ForgetRadix;
        _shift = Scalars.Int64Tensor(s);
        _lowMask = Scalars.Int64Tensor((1L << s) - 1);
        _radixOne = Scalars.Int64(1L << s);
        _gateFloor = Scalars.Float64(Math.ScaleB(1, -s));
        _columnUsed = new bool[columns];
        // The buffer owns its tensors: none of them belongs to a caller's dispose scope.
        _register = zeros(rows, columns, ScalarType.Int64).DetachFromDisposeScope();
        _depth = zeros(rows, columns, ScalarType.Int64).DetachFromDisposeScope();
        _optimal = zeros(1, ScalarType.Float64).DetachFromDisposeScope();
        if (trackReferenceScheme) _refRegister = zeros(rows, columns, ScalarType.Int64).DetachFromDisposeScope();
    }

    /// <summary>Batch rows.</summary>
    public int Rows { get; }
    /// <summary>Units per row (half the hidden size: every layer and half of a stack shares them).</summary>
    public int Columns { get; }

    /// <summary>Which implementation the cells use for this buffer's sites (default: the fused kernels).</summary>
    public ForgettingImplementation Implementation { get; set; } = ForgettingImplementation.Fused;

    /// <summary>Bits held between forward and reverse (valid after <see cref="Seal"/>): the sum of
    /// <see cref="PackedRegisterBits"/>, <see cref="ChunkBitsHeld"/> and <see cref="MultiplyFlagBits"/>.</summary>
    public long ActualBits => PackedRegisterBits + ChunkBitsHeld + MultiplyFlagBits;

    /// <summary>The sealed bit stream of final registers and chunk counts: 8 bits per byte held (0 before <see cref="Seal"/>).</summary>
    public long PackedRegisterBits => (long)(_sealed?.Length ?? 0) * 8;

    /// <summary>The spilled chunks held: <see cref="ChunkBits"/> bits per stored word (int32 tensors).</summary>
    public long ChunkBitsHeld => _chunkWords * ChunkBits;

    /// <summary>One bit per buffered multiply (whether it spilled chunks). The information held; its in-memory form is one
    /// list entry per multiply, bookkeeping like tensor headers, which no count here includes.</summary>
    public long MultiplyFlagBits => _chunks.Count;

    /// <summary>Σ −log2 z over the buffered multiplies of active units: the information-theoretic minimum of what
    /// forgetting destroyed (the gate floored at 2^−ForgetRadix).</summary>
    public double OptimalBits => _optimal is null ? 0 : _optimal.item<double>();

    /// <summary>Bits the reference code's scheme would hold on this run (64-bit words for every unit,
    /// one more level for all units whenever any unit nears overflow, plus one flag bit per multiply).</summary>
    public long? ReferenceSchemeBits => _refRegister is null ? null
        : 64L * Rows * Columns * (1 + _referenceLevels) + 8L * ((_multiplies + 7) / 8);

    /// <summary>
    /// Exactly reversible h·z for columns [exempt, n) of <paramref name="h"/> ([rows, n], n ≤ Columns);
    /// columns [0, exempt) are multiplied without the buffer (their low bits are lost and must be restored
    /// by the caller on reversal). Rows where <paramref name="active"/> is false are returned unchanged.
    /// </summary>
    internal Tensor Multiply(Tensor h, Tensor zq, Tensor zFloat, Tensor? active, int exempt)
    {
        ThrowIfSealed();
        using var scope = NewDisposeScope();
        var n = (int)h.shape[1];
        var act = active?.unsqueeze(1);
        var exemptPart = exempt > 0 ? LossyMultiply(h.narrow(1, 0, exempt), zq.narrow(1, 0, exempt), act) : null;
        if (exempt >= n) return exemptPart!.MoveToOuterDisposeScope();
        for (var c = exempt; c < n; c++) _columnUsed[c] = true;

        var hb = h.narrow(1, exempt, n - exempt);
        var zb = zq.narrow(1, exempt, n - exempt);
        var regView = _register!.narrow(1, exempt, n - exempt);
        var depthView = _depth!.narrow(1, exempt, n - exempt);
        var low = hb.bitwise_and(_lowMask);
        if (_refRegister is not null) SimulateReference(_refRegister.narrow(1, exempt, n - exempt), low, zb, act);

        // 1. renormalize: units whose register would outgrow 2^(W+s) spill their W low bits.
        var spill = regView.ge(zb.bitwise_left_shift(ChunkBitsOperand));
        if (act is not null) spill = spill.logical_and(act);
        var spilled = spill.any().item<bool>();
        var reg = regView;
        if (spilled)
        {
            var chunk = regView.masked_select(spill).bitwise_and(ChunkMaskOperand).to(ScalarType.Int32);
            _chunkWords += chunk.shape[0];
            _chunks.Add(chunk.DetachFromDisposeScope());
            reg = where(spill, regView.bitwise_right_shift(ChunkBitsOperand), regView);
            depthView.add_(spill.to(ScalarType.Int64), Scalars.UnitAlpha);
        }
        else _chunks.Add(null);

        // 2. the multiply: low bits into the register, register mod z* back into h.
        var r1 = reg.bitwise_left_shift(_shift).bitwise_or(low);
        var hNew = hb.bitwise_right_shift(_shift).mul(zb).add(r1.remainder(zb), Scalars.UnitAlpha);
        var regNew = r1.floor_divide(zb);
        if (act is not null)
        {
            hNew = where(act, hNew, hb);
            regNew = where(act, regNew, reg);
        }
        regView.copy_(regNew);

        var bits = zFloat.narrow(1, exempt, n - exempt).to(ScalarType.Float64).clamp(min: _gateFloor).log2().neg();
        if (act is not null) bits = bits.mul(act.to(ScalarType.Float64));
        _optimal!.add_(bits.sum(), Scalars.UnitAlpha);
        _multiplies++;

        var result = exemptPart is null ? hNew : cat([exemptPart, hNew], 1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Inverse of <see cref="Multiply"/> (call in reverse order). Exempt columns come back with
    /// their low bits zeroed; the caller overwrites them with the saved values.</summary>
    internal Tensor Divide(Tensor hz, Tensor zq, Tensor? active, int exempt)
    {
        ThrowIfSealed();
        using var scope = NewDisposeScope();
        var n = (int)hz.shape[1];
        var act = active?.unsqueeze(1);
        Tensor? exemptPart = null;
        if (exempt > 0)
        {
            var he = hz.narrow(1, 0, exempt);
            exemptPart = he.floor_divide(zq.narrow(1, 0, exempt)).bitwise_left_shift(_shift);
            if (act is not null) exemptPart = where(act, exemptPart, he);
        }
        // A fully exempt multiply never touched the buffer (see Multiply), so its inverse pops nothing.
        if (exempt >= n) return exemptPart!.MoveToOuterDisposeScope();
        if (_chunks.Count == 0) throw new InvalidOperationException("information buffer: more divides than multiplies");

        var hb = hz.narrow(1, exempt, n - exempt);
        var zb = zq.narrow(1, exempt, n - exempt);
        var regView = _register!.narrow(1, exempt, n - exempt);
        var depthView = _depth!.narrow(1, exempt, n - exempt);

        var rem = hb.remainder(zb);
        var r1 = regView.mul(zb).add(rem, Scalars.UnitAlpha);
        var hPrev = hb.sub(rem).floor_divide(zb).bitwise_left_shift(_shift).bitwise_or(r1.bitwise_and(_lowMask));
        var reg = r1.bitwise_right_shift(_shift);
        if (act is not null)
        {
            hPrev = where(act, hPrev, hb);
            reg = where(act, reg, regView);
        }

        var last = _chunks.Count - 1;
        var chunk = _chunks[last];
        _chunks.RemoveAt(last);
        var refill = reg.lt(_radixOne).logical_and(depthView.gt(Scalars.Int64(0)));
        if (act is not null) refill = refill.logical_and(act);
        var count = refill.sum().item<long>();
        if (count != (chunk?.shape[0] ?? 0))
            throw new InvalidOperationException(
                $"information buffer out of step: {count} units want a chunk, {chunk?.shape[0] ?? 0} were stored " +
                "(the reverse pass did not mirror the forward pass exactly)");
        if (chunk is not null)
        {
            var words = chunk.to(ScalarType.Int64).bitwise_and(ChunkMaskOperand);
            reg = reg.masked_scatter(refill, reg.masked_select(refill).bitwise_left_shift(ChunkBitsOperand).bitwise_or(words));
            depthView.sub_(refill.to(ScalarType.Int64));
            _chunkWords -= chunk.shape[0];
            chunk.Dispose();
        }
        regView.copy_(reg);
        _multiplies--;

        var result = exemptPart is null ? hPrev : cat([exemptPart, hPrev], 1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>True when every register is back at its initial empty state (after a full reversal).</summary>
    public bool IsEmpty
    {
        get
        {
            ThrowIfSealed();
            return _chunks.Count == 0 && _register!.count_nonzero().item<long>() == 0;
        }
    }

    /// <summary>Packs final registers and chunk counts into a bit stream and frees their tensors.</summary>
    internal void Seal()
    {
        ThrowIfSealed();
        long[] reg, depth;
        // The accessors are disposed at once: an accessor left to the finalizer kept the register tensors' memory alive
        // until the end of the step (AliveBytesTests).
        using (var access = _register!.data<long>()) reg = access.ToArray();
        using (var access = _depth!.data<long>()) depth = access.ToArray();
        var writer = new BitWriter();
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Columns; c++)
            {
                if (!_columnUsed[c]) continue;
                var i = r * Columns + c;
                writer.WriteEliasGamma((ulong)depth[i] + 1);
                var len = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)reg[i]);
                writer.Write((ulong)len, LengthFieldBits);
                if (len > 1) writer.Write((ulong)reg[i], len - 1);
            }
        _sealed = writer.ToArray();
        _register!.Dispose(); _register = null;
        _depth!.Dispose(); _depth = null;
        _wordScratch = null;   // the forward calls' spill scratch: nothing of it need live until the reversal
    }

    /// <summary>Restores the registers from the sealed bit stream.</summary>
    internal void Unseal()
    {
        if (_sealed is null) throw new InvalidOperationException("information buffer is not sealed");
        var reg = new long[Rows * Columns];
        var depth = new long[Rows * Columns];
        var reader = new BitReader(_sealed);
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Columns; c++)
            {
                if (!_columnUsed[c]) continue;
                var i = r * Columns + c;
                depth[i] = (long)reader.ReadEliasGamma() - 1;
                var len = (int)reader.Read(LengthFieldBits);
                reg[i] = len == 0 ? 0 : (long)((1UL << (len - 1)) | (len > 1 ? reader.Read(len - 1) : 0));
            }
        _register = tensor(reg, [Rows, Columns]).DetachFromDisposeScope();
        _depth = tensor(depth, [Rows, Columns]).DetachFromDisposeScope();
        _sealed = null;
    }

    private Tensor LossyMultiply(Tensor h, Tensor zq, Tensor? act)
    {
        var result = h.bitwise_right_shift(_shift).mul(zq);
        return act is null ? result : where(act, result, h);
    }

    private void SimulateReference(Tensor refView, Tensor low, Tensor zb, Tensor? act)
    {
        var big = refView.ge(ReferenceOverflowScalar);
        if (act is not null) big = big.logical_and(act);
        if (big.any().item<bool>())
        {
            _referenceLevels++;
            _refRegister!.zero_();
        }
        var next = refView.bitwise_left_shift(_shift).bitwise_or(low).floor_divide(zb);
        refView.copy_(act is null ? next : where(act, next, refView));
    }

    private void ThrowIfSealed()
    {
        if (_sealed is not null) throw new InvalidOperationException("information buffer is sealed; call Unseal first");
    }

    /// <summary>Frees the registers and every stored chunk.</summary>
    public void Dispose()
    {
        _register?.Dispose(); _depth?.Dispose(); _optimal?.Dispose(); _refRegister?.Dispose();
        foreach (var c in _chunks) c?.Dispose();
        _chunks.Clear();
        _register = _depth = _optimal = _refRegister = null;
    }
}
