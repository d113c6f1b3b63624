// SegmentCheckpoint: gradient checkpointing of a recurrence (Chen et al. 2016 style).
// Guarantees: Forward runs without gradients and keeps only the state at the start of every segment
// of `segment` steps (plus the final state); Backward recomputes one segment at a time with autograd,
// from the last to the first, feeding the gradient w.r.t. a segment's end state into the next-earlier
// segment, so at most one segment's graph is alive. The result equals ordinary backprop through the
// same step function, and Backward returns dL/d(initial state).
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Training;

internal static class SegmentCheckpoint
{
    public delegate Tensor[][] StepFn(int t, Tensor[][] state);

    public static int SegmentLength(int configured, int steps) =>
        configured > 0 ? configured : Math.Max(1, (int)Math.Round(Math.Sqrt(steps)));

    /// <summary>No-grad run; returns the states at steps 0, k, 2k, … (detached, in the caller's scope) and
    /// the final state. <paramref name="onState"/>(t, state) sees the state after step t (it must copy what it keeps:
    /// each step runs in its own dispose scope, and a state that is not a checkpoint is freed after the next step).</summary>
    public static (List<Tensor[][]> Checkpoints, Tensor[][] Final) Forward(int steps, int segment, Tensor[][] initial,
        StepFn step, Action<int, Tensor[][]>? onState = null)
    {
        using var _ = no_grad();
        var checkpoints = new List<Tensor[][]>();
        var state = initial;
        for (var t = 0; t < steps; t++)
        {
            var checkpoint = t % segment == 0;
            if (checkpoint) checkpoints.Add(state);
            Tensor[][] next;
            using (var scope = NewDisposeScope())
            {
                next = step(t, state);
                onState?.Invoke(t, next);
                foreach (var layer in next) foreach (var p in layer) p.MoveToOuterDisposeScope();
            }
            if (!checkpoint && !ReferenceEquals(state, initial))
                foreach (var layer in state) foreach (var p in layer) p.Dispose();
            state = next;
        }
        return (checkpoints, state);
    }

    /// <summary>Backpropagates Σ_t stepLoss(t, state after t) + Σ finalGradients·final through the recurrence.</summary>
    /// <param name="segmentLoss">Instead of <paramref name="stepLoss"/>: (first step, the segment's states after each of
    /// its steps) → the segment's loss, for losses computed over several steps at once (sharded).</param>
    public static Tensor[][] Backward(List<Tensor[][]> checkpoints, int steps, int segment, StepFn step,
        Func<int, Tensor[][], Tensor?>? stepLoss, Tensor[][]? finalGradients,
        Func<int, IReadOnlyList<Tensor[][]>, Tensor?>? segmentLoss = null)
    {
        var grads = finalGradients;
        for (var seg = checkpoints.Count - 1; seg >= 0; seg--)
        {
            using var scope = NewDisposeScope();
            var start = seg * segment;
            var end = Math.Min(start + segment, steps);
            var leaves = checkpoints[seg].Select(l => l.Select(p => p.detach().requires_grad_(true)).ToArray()).ToArray();
            var state = leaves;
            Tensor? total = null;
            var states = new List<Tensor[][]>();
            for (var t = start; t < end; t++)
            {
                state = step(t, state);
                if (segmentLoss is not null) states.Add(state);
                else if (stepLoss?.Invoke(t, state) is { } l) total = total is null ? l : total.add(l, Scalars.UnitAlpha);
            }
            if (segmentLoss?.Invoke(start, states) is { } sl) total = sl;
            if (grads is not null)
                for (var l = 0; l < state.Length; l++)
                    for (var p = 0; p < state[l].Length; p++)
                    {
                        var term = state[l][p].mul(grads[l][p]).sum();
                        total = total is null ? term : total.add(term, Scalars.UnitAlpha);
                    }
            total?.backward();
            grads = [.. leaves.Select(l => l.Select(p => (p.grad ?? zeros_like(p)).detach().clone().MoveToOuterDisposeScope()).ToArray())];
        }
        return grads ?? [];
    }
}
