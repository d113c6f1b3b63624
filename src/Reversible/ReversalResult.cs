// ReversalResult: what a stack's reversal (ReversibleRnn.Backward) gives back. Guarantees: InitialGradients is
// dL/d(initial state) [layer][part] as float tensors; RebuiltInitial is the initial state rebuilt bit for bit (fixed-point
// parts, no graph) when the caller asked to keep it, else null; the caller owns both.
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>The gradients of the initial state and, when asked for (<c>keepInitial</c>), the initial state the reversal
/// rebuilt: e.g. a decoder's initial state is the encoder's final state, which the encoder's reversal then starts from
/// (its tape need not hold it).</summary>
public sealed record ReversalResult(Tensor[][] InitialGradients, RnnState? RebuiltInitial);
