// BlockLoss: the loss callback of a stack's block reversal — the loss of K consecutive steps from their top outputs.
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>The loss of a block of decoder steps: <c>outputs</c> are the top layer's outputs after steps
/// firstStep … firstStep + K − 1, as one leaf [K, B, H] that requires grad; returns a scalar with graph, or null.</summary>
public delegate Tensor? BlockLoss(int firstStep, Tensor outputs);
