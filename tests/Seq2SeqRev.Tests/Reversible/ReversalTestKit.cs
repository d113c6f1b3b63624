using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Reversible;

/// <summary>Random sequences and helpers shared by the reversal tests.</summary>
internal static class ReversalTestKit
{
    public static ReversibleRnn MakeRnn(ReversibleCellKind kind, int input, int hidden, int layers, ForgetLimit limit, int saved, long seed,
        FixedPointFormat? format = null)
    {
        // A generator of its own (never torch's global one), so tests running in parallel cannot change the weights.
        var g = new Generator((ulong)seed);
        var rnn = new ReversibleRnn("rnn", kind, input, hidden, layers, limit, saved, format);
        // Larger weights than the default init give gates spread over their whole range.
        using (no_grad())
            foreach (var p in rnn.parameters()) p.uniform_(-1.0, 1.0, generator: g);
        return rnn;
    }

    /// <summary>Inputs [T, B, I] and random lengths in [1, T] (at least one row of full length).</summary>
    public static (Tensor Inputs, Tensor Lengths) RandomBatch(int steps, int batch, int input, long seed)
    {
        var g = new Generator((ulong)seed);
        var x = randn(steps, batch, input, generator: g);
        var lengths = randint(1, steps + 1, [batch], generator: g, dtype: ScalarType.Int64);
        lengths[0] = tensor((long)steps);
        return (x, lengths);
    }

    /// <summary>Forward, record every state, reverse, and count reconstructed values that differ.</summary>
    public static (long Mismatched, ReversalTape Tape) ForwardAndReverse(ReversibleRnn rnn, Tensor inputs, Tensor? lengths, bool trackReference = false)
    {
        var steps = (int)inputs.shape[0];
        var batch = (int)inputs.shape[1];
        var recorded = new List<Tensor[]>();
        var tape = rnn.Forward(t => inputs[t], steps, lengths, rnn.ZeroState(batch),
            trackReferenceScheme: trackReference,
            onState: (t, s) => recorded.Add([.. s.Layers.SelectMany(c => c.Parts.Select(p => p.Int.clone().DetachFromDisposeScope()))]));
        long mismatched = 0;
        rnn.Backward(tape, t => inputs[t], computeGradients: false, onReconstructed: (t, s) =>
        {
            var parts = s.Layers.SelectMany(c => c.Parts.Select(p => p.Int)).ToArray();
            for (var i = 0; i < parts.Length; i++)
                mismatched += parts[i].ne(recorded[t][i]).sum().item<long>();
        });
        foreach (var r in recorded) foreach (var x in r) x.Dispose();
        return (mismatched, tape);
    }
}
