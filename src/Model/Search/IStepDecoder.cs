// IStepDecoder: the contract between a translation model and the search algorithms.
// Guarantees (for implementers to keep): Start/Step return newly owned objects; Step never disposes or
// mutates its input state; row i of the output depends only on row i of the input (batch invariance);
// StepWithAttention gives exactly Step's results plus the attention weights behind them.
using static TorchSharp.torch;

namespace Seq2SeqRev.Model.Search;

/// <summary>A model that can be decoded one token at a time for a batch of rows.</summary>
public interface IStepDecoder
{
    int BosId { get; }
    int EosId { get; }
    /// <summary>Padding id; never produced by search (masked). An id outside the vocabulary disables the mask.</summary>
    int PadId { get; }

    /// <summary>
    /// Encode a batch of source id sequences (no BOS/EOS added by the caller; implementations add what they need).
    /// Returns a state with one row per source, in order. Sources may be empty (length 0).
    /// </summary>
    DecoderState Start(IReadOnlyList<int[]> sources);

    /// <summary>
    /// One decoder step: previous tokens [N] (int64) -> log-probabilities [N, V] (float32) and the next state (N rows).
    /// The caller owns and disposes both results; <paramref name="state"/> stays owned by the caller and unchanged.
    /// </summary>
    (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state);

    /// <summary>
    /// <see cref="Step"/>, and the attention weights [N, S] (float32) the step's log-probabilities were computed with:
    /// row i over the source positions of row i's sentence (padding positions 0, each row sums to 1), or null for a
    /// model without attention (the default). The caller owns and disposes all three.
    /// </summary>
    (Tensor LogProbs, DecoderState Next, Tensor? Attention) StepWithAttention(Tensor previousTokens, DecoderState state)
    {
        var (logProbs, next) = Step(previousTokens, state);
        return (logProbs, next, null);
    }
}
