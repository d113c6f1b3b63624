// ReversibleRnn.ReverseWalk: the walk of a stack's reversal from the last step to the first — rebuilding each step's
// states exactly from the buffer and backpropagating through the kept gates (the nested type of ReversibleRnn).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

public sealed partial class ReversibleRnn
{
    /// <summary>
    /// The state of one reversal walk: the current state (after the step being reversed) and the gradients of its
    /// parts, [layer][part]. It owns both across steps (moving them out of each step's dispose scope) and checks at
    /// the end that the buffer emptied exactly.
    /// </summary>
    private sealed class ReverseWalk : IDisposable
    {
        private readonly ReversibleRnn _rnn;
        private readonly ReversalTape _tape;
        private readonly Tensor[][] _grads;
        private readonly GateWeights[] _weights;
        private readonly GateGradients[]? _weightGrads;
        private readonly InputWindows _windows;
        private bool _finished;
        private RnnState _state;
        private RnnState? _stepStart;
        private Tensor[] _gradsAtStart;

        /// <summary>A walk back from <paramref name="start"/> (owned by the walk; exactly the forward pass's final state)
        /// or, when null, the final state <paramref name="tape"/> holds (gradients <paramref name="finalGradients"/>,
        /// or zeros) of <paramref name="rnn"/>, with the bottom layer's inputs from <paramref name="inputAt"/> and their
        /// gradients to <paramref name="inputGradient"/> (as in Backward). With <paramref name="gradients"/> the gate
        /// weights' gradients accumulate in the walk (written out, no graph) and <see cref="Finish"/> adds them into the
        /// parameters'; else it only rebuilds.</summary>
        public ReverseWalk(ReversibleRnn rnn, ReversalTape tape, RnnState? start, IReadOnlyList<IReadOnlyList<Tensor>>? finalGradients,
            Func<int, Tensor> inputAt, Action<int, Tensor>? inputGradient, bool gradients)
        {
            if (!ReferenceEquals(tape.Rnn, rnn)) throw new ArgumentException("tape belongs to another stack");
            if (start is not null && tape.HoldsFinal) throw new ArgumentException("the tape still holds its final state; start from it", nameof(start));
            if (start is null && !tape.HoldsFinal) throw new ArgumentException("the tape's final state was taken; give the state to start from", nameof(start));
            _rnn = rnn;
            _tape = tape;
            tape.Buffer.Unseal();
            _state = start ?? tape.TakeFinal();
            var half = rnn.HiddenSize / 2;
            _grads = new Tensor[rnn.Layers][];
            for (var l = 0; l < rnn.Layers; l++)
                _grads[l] = [.. Enumerable.Range(0, rnn.PartCount).Select(p => finalGradients is null
                    ? zeros(tape.Batch, half) : finalGradients[l][p].detach().clone())];
            _stepStart = _state;
            _gradsAtStart = [.. _grads.SelectMany(g => g)];
            using (no_grad()) _weights = rnn.Weights();
            _weightGrads = gradients ? [.. _weights.Select(w => new GateGradients(w))] : null;
            _windows = new InputWindows(_weights[0], inputAt, tape.InputWindow, tape.Steps,
                gradients ? InputWindowMode.Reversal : InputWindowMode.NoGraph, _weightGrads?[0], inputGradient);
        }

        public RnnState State => _state;

        /// <summary>Adds the gradient of the top layer's output float([h1; h2]) [B, H] into its h1 and h2 gradients.</summary>
        public void AddOutputGradient(Tensor outputGrad) => AddTo(_grads[_rnn.Layers - 1], outputGrad);

        /// <summary>Reverses step <paramref name="t"/> of every layer, each gate evaluated once, and backpropagates the
        /// current gradients through it.</summary>
        public void ReverseStep(int t) => BackpropagateKept(t, Rebuild(t));

        /// <summary>Reverses step <paramref name="t"/> of every layer, top first, each gate evaluated once, and returns
        /// the layers' kept gates for <see cref="BackpropagateKept"/>, to be called once the step's gradients are known
        /// (in a block: after the block's loss; a walk without gradients drops them). The walk's state becomes the one
        /// before the step.</summary>
        public KeptStep[] Rebuild(int t)
        {
            using var noGrad = no_grad();
            using var phase = PhaseProfiler.Measure(Phase.Rebuild);
            var active = ActiveAt(_tape.Lengths, t);
            var next = _state;
            var kept = new KeptStep[_rnn.Layers];
            for (var l = _rnn.Layers - 1; l >= 0; l--)
            {
                var x = l == 0 ? null : Dropped(next[l - 1].Output, _tape.LayerInputMasks, l);
                var input = x is null ? _windows.At(t) : Projected(x, _weights[l]);
                var step = _rnn.cells[l].Reverse(input, next[l], _tape.Buffer, active, _rnn.ExemptionsAt(l, _tape, t), t);
                kept[l] = new KeptStep(step, x);
                _state = _state.With(l, step.Previous);
            }
            return kept;
        }

        /// <summary>Backpropagates the current gradients through the kept gates of step <paramref name="t"/>, top layer
        /// first: each layer's input gradient joins the layer below's before that layer runs; the bottom layer's
        /// projection gradients go to its input window (which backpropagates into the weights and inputs after its first
        /// step).</summary>
        public void BackpropagateKept(int t, KeptStep[] kept)
        {
            using var noGrad = no_grad();
            using var phase = PhaseProfiler.Measure(Phase.Backward);
            for (var l = _rnn.Layers - 1; l >= 0; l--)
            {
                var (previous, projected) = kept[l].Step.Backward(_grads[l], _weightGrads![l]);
                _grads[l] = previous;
                if (l == 0) _windows.Gather(t, projected);
                else
                {
                    var dx = _weightGrads[l].AddProjection(kept[l].X!, projected, _weights[l]);
                    AddTo(_grads[l - 1], LockedDropout.Apply(dx, LockedDropout.ForLayer(_tape.LayerInputMasks, l)));
                }
            }
        }

        /// <summary>Ends one step of the per-step <c>Backward</c>: keeps the new state and gradients beyond the step's
        /// dispose scope and frees the old ones.</summary>
        public void EndStep()
        {
            _state.MoveToOuterDisposeScope();
            KeepGradients();
            _stepStart!.Dispose();
            _stepStart = _state;
        }

        /// <summary>Moves the current gradients out of the step's dispose scope and frees the previous ones.</summary>
        public void KeepGradients()
        {
            foreach (var g in _grads) foreach (var p in g) p.MoveToOuterDisposeScope();
            var kept = _grads.SelectMany(g => g).ToHashSet();
            foreach (var g in _gradsAtStart) if (!kept.Contains(g)) g.Dispose();
            _gradsAtStart = [.. kept];
        }

        /// <summary>Ends a block: the walk's state is the one before its first step (kept beyond the block's dispose
        /// scope); the block's other states are freed.</summary>
        public void EndBlock(RnnState[] states)
        {
            _state = states[0];
            _state.MoveToOuterDisposeScope();
            foreach (var s in states) if (!ReferenceEquals(s, _state)) s.Dispose();
            _stepStart = _state;
            KeepGradients();
        }

        /// <summary>Checks the buffer is empty and returns dL/d(initial state) with the rebuilt initial state when
        /// <paramref name="keepInitial"/> (its fixed-point parts only, no graph; the caller owns it), else frees it.</summary>
        public ReversalResult Finish(bool keepInitial)
        {
            RnnState? initial = null;
            if (keepInitial)
                initial = new RnnState([.. _state.Layers.Select(c => new CellState([.. c.Parts.Select(p => new Part(p.Int, null, _rnn.Format))]))]);
            else _state.Dispose();
            if (!_tape.Buffer.IsEmpty)
                throw new InvalidOperationException($"{_rnn.GetName()}: information buffer not empty after reversal (forward and reverse passes diverged)");
            _tape.Buffer.Dispose();
            if (_weightGrads is not null)
                for (var l = 0; l < _rnn.Layers; l++) _weightGrads[l].AddToParameters(_rnn.cells[l]);
            _finished = true;
            return new ReversalResult(_grads, initial);
        }

        /// <summary>Frees the input windows still open and, if the walk did not finish, the weights' gradients.</summary>
        public void Dispose()
        {
            _windows.Dispose();
            if (!_finished && _weightGrads is not null) foreach (var g in _weightGrads) g.Dispose();
        }

        /// <summary>Adds the gradient of a layer output float([h1; h2]) [B, H] into the h1 and h2 part gradients.</summary>
        private static void AddTo(Tensor[] partGrads, Tensor outputGrad)
        {
            var half = outputGrad.shape[1] / 2;
            partGrads[0] = partGrads[0].add(outputGrad.narrow(1, 0, half), Scalars.UnitAlpha);
            partGrads[1] = partGrads[1].add(outputGrad.narrow(1, half, half), Scalars.UnitAlpha);
        }
    }
}
