// PhaseProfiler: where a training step by reversal spends its wall-clock time, per phase (used by `bench --profile`).
// Guarantees: off unless Enabled is set on the calling thread; when off, Measure is one thread-static bool check and
// returns a no-op struct (nothing is allocated or recorded). When on, `using var _ = PhaseProfiler.Measure(Phase.X)`
// adds the *exclusive* time of the block to X: time spent in a phase measured inside it (nested) counts only for the
// inner phase, so the phases never overlap and their sum is at most the wall-clock time of the outermost blocks.
// Rebuild is relative: inside DecoderReverse it counts as DecoderRebuild, inside EncoderReverse as EncoderRebuild (a
// stack reversed outside both keeps it as it is). Totals are
// per thread (TorchSharp on CPU is synchronous, so the time of a native call is spent inside the block that made it).
using System.Diagnostics;

namespace Seq2SeqRev.Reversible;

/// <summary>Phases of a training step by reversal (see Training/Gradients/Reversal.cs, the reversible encoder and decoder, and ReversibleRnn).</summary>
public enum Phase
{
    /// <summary>Forward passes of the encoder and decoder stacks, without graph (ReversibleRnn.Forward).</summary>
    Forward,
    /// <summary>Memory-bank rebuild (embeddings recomputed, saved slices converted).</summary>
    Bank,
    /// <summary>Rebuilding previous decoder states, keeping the steps' gates or not (Rebuild inside DecoderReverse).</summary>
    DecoderRebuild,
    /// <summary>Per decoder step: output dropout, attention, generator and loss.</summary>
    Attention,
    /// <summary>Backpropagation: the attention's autograd backward and the cells' written-out backward.</summary>
    Backward,
    /// <summary>The decoder's reversal outside its rebuild/attention/backward parts (bookkeeping, step inputs).</summary>
    DecoderReverse,
    /// <summary>Sending the bank's gradient into the embeddings and the encoder slices (its backward calls excepted).</summary>
    BankGradient,
    /// <summary>Rebuilding previous encoder states, keeping the steps' gates or not (Rebuild inside EncoderReverse).</summary>
    EncoderRebuild,
    /// <summary>The encoder's reversal outside its rebuild/backward parts.</summary>
    EncoderReverse,
    /// <summary>Relative: rebuilding previous states in whichever stack is being reversed.</summary>
    Rebuild,
}

/// <summary>Exclusive seconds and block count per phase.</summary>
public sealed class PhaseTotals
{
    internal PhaseTotals(long[] ticks, long[] calls)
    {
        Ticks = ticks;
        Calls = calls;
    }

    /// <summary>Nothing recorded.</summary>
    public PhaseTotals() : this(new long[PhaseProfiler.PhaseCount], new long[PhaseProfiler.PhaseCount]) { }

    private long[] Ticks { get; }
    private long[] Calls { get; }

    /// <summary>Exclusive seconds spent in <paramref name="phase"/>.</summary>
    public double Seconds(Phase phase) => (double)Ticks[(int)phase] / Stopwatch.Frequency;
    /// <summary>Blocks of <paramref name="phase"/> closed.</summary>
    public long Count(Phase phase) => Calls[(int)phase];
    /// <summary>Seconds of all phases together.</summary>
    public double TotalSeconds => (double)Ticks.Sum() / Stopwatch.Frequency;
    /// <summary>True when no block was recorded.</summary>
    public bool IsEmpty => Calls.All(c => c == 0);

    /// <summary>The sum of these totals and <paramref name="other"/>.</summary>
    public PhaseTotals Add(PhaseTotals other)
    {
        var ticks = new long[PhaseProfiler.PhaseCount];
        var calls = new long[PhaseProfiler.PhaseCount];
        for (var i = 0; i < ticks.Length; i++)
        {
            ticks[i] = Ticks[i] + other.Ticks[i];
            calls[i] = Calls[i] + other.Calls[i];
        }
        return new PhaseTotals(ticks, calls);
    }
}

/// <summary>An open phase; Dispose closes it (a default instance, as returned when profiling is off, does nothing).</summary>
public readonly struct PhaseTimer : IDisposable
{
    private readonly PhaseProfiler.Recorder? _recorder;
    private readonly int _depth;
    private readonly long _id;

    internal PhaseTimer(PhaseProfiler.Recorder recorder, int depth, long id)
    {
        _recorder = recorder;
        _depth = depth;
        _id = id;
    }

    /// <summary>Closes the phase.</summary>
    public void Dispose() => _recorder?.Close(_depth, _id);
}

/// <summary>Per-thread wall-clock profile of the phases of training by reversal (see the file header).</summary>
public static class PhaseProfiler
{
    /// <summary>Number of <see cref="Phase"/> values.</summary>
    public static readonly int PhaseCount = Enum.GetValues<Phase>().Length;

    [ThreadStatic] private static bool t_enabled;
    [ThreadStatic] private static Recorder? t_recorder;

    /// <summary>Whether Measure records on this thread.</summary>
    public static bool Enabled
    {
        get => t_enabled;
        set => t_enabled = value;
    }

    /// <summary>Called (when profiling is on) with the innermost open phase each time a phase opens or closes (null: none
    /// open), e.g. to label native allocations by phase (scripts/alloc-trace). Not thread-specific.</summary>
    public static Action<Phase?>? PhaseChanged { get; set; }

    /// <summary>Opens <paramref name="phase"/> until the returned timer is disposed (nothing when profiling is off).</summary>
    public static PhaseTimer Measure(Phase phase) => t_enabled ? (t_recorder ??= new Recorder()).Open(phase) : default;

    /// <summary>What this thread recorded since the last Take (closed blocks only), and clears it. Blocks still open
    /// (left so by an exception) are abandoned: their timers' Dispose then does nothing.</summary>
    public static PhaseTotals Take() => t_recorder?.Take() ?? new PhaseTotals();

    internal sealed class Recorder
    {
        private long[] _ticks = new long[PhaseCount];
        private long[] _calls = new long[PhaseCount];
        private readonly List<Frame> _open = [];
        private long _nextId;

        private struct Frame
        {
            public long Id;
            public Phase Phase;
            public long Start;
            public long Children;
        }

        public PhaseTimer Open(Phase phase)
        {
            if (phase == Phase.Rebuild)
                for (var i = _open.Count - 1; i >= 0; i--)
                {
                    var enclosing = _open[i].Phase;
                    if (enclosing == Phase.DecoderReverse) { phase = Phase.DecoderRebuild; break; }
                    if (enclosing == Phase.EncoderReverse) { phase = Phase.EncoderRebuild; break; }
                }
            long id = ++_nextId;
            _open.Add(new Frame { Id = id, Phase = phase, Start = Stopwatch.GetTimestamp() });
            PhaseChanged?.Invoke(phase);
            return new PhaseTimer(this, _open.Count - 1, id);
        }

        public void Close(int depth, long id)
        {
            long now = Stopwatch.GetTimestamp();
            if (depth >= _open.Count || _open[depth].Id != id) return;   // abandoned, or already closed by an outer block
            if (depth < _open.Count - 1) _open.RemoveRange(depth + 1, _open.Count - depth - 1);   // inner blocks left open by an exception
            var frame = _open[depth];
            _open.RemoveAt(depth);
            PhaseChanged?.Invoke(_open.Count > 0 ? _open[^1].Phase : null);
            long elapsed = now - frame.Start;
            _ticks[(int)frame.Phase] += Math.Max(0, elapsed - frame.Children);
            _calls[(int)frame.Phase]++;
            if (depth > 0)
            {
                var parent = _open[depth - 1];
                parent.Children += elapsed;
                _open[depth - 1] = parent;
            }
        }

        public PhaseTotals Take()
        {
            var result = new PhaseTotals(_ticks, _calls);
            _open.Clear();
            _ticks = new long[PhaseCount];
            _calls = new long[PhaseCount];
            return result;
        }
    }
}
