// ReversalCheck: forward then reverse random masked sequences through a random reversible stack. Guarantees: every
// rebuilt state is compared with the recorded forward state bit for bit (recorded only here, never in training), and
// the tape's bit counts are reported beside.
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>Settings of one reversal check (the <c>check-reversal</c> command and the tests).</summary>
public sealed record ReversalCheckOptions(
    ReversibleCellKind Cell, int Hidden, int Input, int Layers, int Batch, int Steps,
    ForgetLimit Limit, int Slice, long Seed, double WeightScale = 1.0,
    ForgettingImplementation Forgetting = ForgettingImplementation.Fused);

/// <summary>What a reversal check found: exactness and the memory accounting of the run.</summary>
public sealed record ReversalCheckResult(
    ReversalCheckOptions Options, bool Exact, long MismatchedValues, long BaselineBits, long ActualBits,
    double OptimalBits, long? ReferenceSchemeBits, double SecondsForward, double SecondsReverse);

/// <summary>
/// Runs random inputs with random lengths (so padding masks are exercised; row 0 has full length)
/// forward through a randomly initialized reversible stack, then reverses it, comparing every
/// reconstructed state with the forward state bit for bit. To compare, the forward states are recorded
/// (only here, never in training). Weights are uniform(±WeightScale/√fan_in), so gates cover their range.
/// </summary>
public static class ReversalCheck
{
    /// <summary>
    /// Seconds for one forward + backward of TorchSharp's fused nn.GRU / nn.LSTM (the ordinary baseline)
    /// on the same sizes, for comparing against <see cref="ReversalCheckResult.SecondsForward"/> +
    /// <see cref="ReversalCheckResult.SecondsReverse"/>. Median of three runs after one warm-up.
    /// </summary>
    public static double FusedForwardBackwardSeconds(ReversalCheckOptions o)
    {
        using var fused = new FusedBaseline(o);
        fused.Pass();
        var times = new List<double> { fused.Pass(), fused.Pass(), fused.Pass() };
        times.Sort();
        return times[1];
    }

    /// <summary>TorchSharp's fused nn.GRU / nn.LSTM of the check's sizes (weights from the check's seed), timed one
    /// forward + backward at a time, so its passes can alternate with the reversible stack's.</summary>
    public sealed class FusedBaseline : IDisposable
    {
        private readonly nn.Module<Tensor, Tensor> rnn;
        private readonly ReversalCheckOptions o;

        /// <summary>The fused layer of <paramref name="options"/>' cell and sizes, initialised from its seed.</summary>
        public FusedBaseline(ReversalCheckOptions options)
        {
            o = options;
            torch.manual_seed(o.Seed);
            rnn = o.Cell == ReversibleCellKind.RevGRU ? new FusedGru(o.Input, o.Hidden, o.Layers) : new FusedLstm(o.Input, o.Hidden, o.Layers);
        }

        /// <summary>Seconds of one forward + backward over random inputs of the check's sizes.</summary>
        public double Pass()
        {
            using var scope = NewDisposeScope();
            var x = randn(o.Steps, o.Batch, o.Input);
            var clock = Stopwatch.StartNew();
            rnn.call(x).sum().backward();
            var seconds = clock.Elapsed.TotalSeconds;
            rnn.zero_grad();
            return seconds;
        }

        /// <summary>Frees the layer's parameters.</summary>
        public void Dispose() => rnn.Dispose();
    }

    private sealed class FusedGru : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.GRU gru;
        public FusedGru(int input, int hidden, int layers) : base("gru") { gru = nn.GRU(input, hidden, layers); RegisterComponents(); }
        public override Tensor forward(Tensor x) => gru.call(x, null).Item1;
    }

    private sealed class FusedLstm : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.LSTM lstm;
        public FusedLstm(int input, int hidden, int layers) : base("lstm") { lstm = nn.LSTM(input, hidden, layers); RegisterComponents(); }
        public override Tensor forward(Tensor x) => lstm.call(x, null).Item1;
    }

    /// <summary>Runs one check (see the class summary); every random number comes from <see cref="ReversalCheckOptions.Seed"/>.</summary>
    public static ReversalCheckResult Run(ReversalCheckOptions o)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // Every random number comes from this run's own generator, never torch's global one: checks running in
        // parallel (tests) cannot change each other's weights or inputs.
        var g = new Generator((ulong)o.Seed);
        using var rnn = new ReversibleRnn("rnn", o.Cell, o.Input, o.Hidden, o.Layers, o.Limit, o.Slice) { Forgetting = o.Forgetting };
        foreach (var (name, p) in rnn.named_parameters())
        {
            var fanIn = p.dim() == 2 ? p.shape[1] : p.shape[0];
            p.uniform_(-o.WeightScale / Math.Sqrt(fanIn), o.WeightScale / Math.Sqrt(fanIn), generator: g);
        }
        var inputs = randn(o.Steps, o.Batch, o.Input, generator: g);
        var lengths = randint(1, o.Steps + 1, [o.Batch], generator: g, dtype: ScalarType.Int64);
        lengths[0] = tensor((long)o.Steps);

        // Recorded forward states, as compact int32 copies (the range check guarantees they fit).
        var recorded = new List<Tensor[]>();
        var clock = Stopwatch.StartNew();
        var tape = rnn.Forward(t => inputs[t], o.Steps, lengths, rnn.ZeroState(o.Batch), trackReferenceScheme: true,
            onState: (t, s) => recorded.Add([.. s.Layers.SelectMany(c => c.Parts.Select(p => p.Int.to(ScalarType.Int32).DetachFromDisposeScope()))]));
        var forwardSeconds = clock.Elapsed.TotalSeconds;

        long mismatched = 0;
        clock.Restart();
        rnn.Backward(tape, t => inputs[t], computeGradients: false, onReconstructed: (t, s) =>
        {
            var parts = s.Layers.SelectMany(c => c.Parts.Select(p => p.Int)).ToArray();
            for (var i = 0; i < parts.Length; i++)
                mismatched += parts[i].ne(recorded[t][i]).sum().item<long>();
            foreach (var r in recorded[t + 1]) r.Dispose();
        });
        var reverseSeconds = clock.Elapsed.TotalSeconds;
        foreach (var r in recorded[0]) r.Dispose();
        var result = new ReversalCheckResult(o, mismatched == 0, mismatched, tape.Bits.BaselineBits, tape.Bits.ActualBits,
            tape.Bits.OptimalBits, tape.Bits.ReferenceSchemeBits, forwardSeconds, reverseSeconds);
        tape.Dispose();
        return result;
    }
}
