// SearchSupport: what beam and greedy search share, so that both see exactly the same numbers: the step-and-shrink
// loop and the masked log-probabilities.
// Guarantees: one model Step per time step for all rows still running; rows that stop are dropped from the state
// (Select, with the rows on the host so per-source tensors such as the memory bank are copied only when the rows' sources
// change), so work shrinks; no native tensor outlives the loop; masked log-probabilities are float64 (so cumulative
// sums are identical in both searches), PAD and BOS are never produced (unless they equal EOS or lie outside the
// vocabulary), EOS is masked before MinLength.
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model.Search;

/// <summary>The rows of a step's state that go on (in the order of the next state) and the token each one feeds next.</summary>
internal readonly record struct Continuation(long[] Rows, long[] Tokens);

/// <summary>One step's attention weights on the host: row r's weights over the batch's padded source positions.</summary>
internal sealed class StepAttention(float[] weights, int columns)
{
    /// <summary>Row <paramref name="row"/>'s weights over the first <paramref name="sourceLength"/> positions.</summary>
    public float[] Row(int row, int sourceLength) => weights.AsSpan(row * columns, sourceLength).ToArray();

    /// <summary>Positions a source of <paramref name="tokens"/> ids occupies (an empty source is encoded as one EOS).</summary>
    public static int SourceLength(int[] tokens) => Math.Max(1, tokens.Length);
}

internal static class SearchSupport
{
    /// <summary>
    /// Starts the model on <paramref name="sources"/> and steps it from BOS: at every step, <paramref name="advance"/>
    /// gets the step number, the masked log-probabilities [rows, V] and, with <paramref name="keepAttention"/> (and a
    /// model with attention), the attention weights of every row, and says which rows continue with which tokens;
    /// it ends when no row continues.
    /// </summary>
    public static void StepAndShrink(IStepDecoder model, IReadOnlyList<int[]> sources, int minLength, bool keepAttention,
        Func<int, Tensor, StepAttention?, Continuation> advance)
    {
        var previous = Enumerable.Repeat((long)model.BosId, sources.Count).ToArray();
        var state = model.Start(sources);
        try
        {
            for (int step = 0; ; step++)
            {
                using var scope = torch.NewDisposeScope();
                var device = state.Device;
                using var previousTokens = Tokens(previous, device);
                Tensor rawLogProbs;
                Tensor? weights = null;
                DecoderState next;
                if (keepAttention) (rawLogProbs, next, weights) = model.StepWithAttention(previousTokens, state);
                else (rawLogProbs, next) = model.Step(previousTokens, state);
                using var nextState = next;
                using var raw = rawLogProbs;
                using var attention = weights;
                using var masked = MaskedLogProbs(raw, state.Rows, model, step, minLength);
                var go = advance(step, masked, attention is null ? null
                    : new StepAttention(attention.to(ScalarType.Float32).contiguous().data<float>().ToArray(), (int)attention.shape[1]));
                if (go.Rows.Length == 0) break;
                using var rowIndex = Tokens(go.Rows, device);
                var selected = nextState.Select(go.Rows, rowIndex);
                state.Dispose();
                state = selected;
                previous = go.Tokens;
            }
        }
        finally
        {
            state.Dispose();
        }
    }

    /// <summary>Validates the shared arguments of both searches.</summary>
    public static void CheckArguments(IStepDecoder model, IReadOnlyList<int[]> sources, SearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        for (int i = 0; i < sources.Count; i++)
            if (sources[i] is null) throw new ArgumentException($"Source {i} is null.", nameof(sources));
    }

    /// <summary>
    /// Float64 copy of the step's log-probabilities [rows, V] with the special-token masks applied (-inf).
    /// <paramref name="step"/> = number of tokens already produced by every row.
    /// </summary>
    public static Tensor MaskedLogProbs(Tensor logProbs, long rows, IStepDecoder model, int step, int minLength)
    {
        if (logProbs.dim() != 2 || logProbs.shape[0] != rows || logProbs.shape[1] < 1)
            throw new InvalidOperationException(
                $"IStepDecoder.Step must return log-probabilities of shape [{rows}, V]; got [{string.Join(",", logProbs.shape)}].");
        long vocab = logProbs.shape[1];
        var masked = logProbs.to(ScalarType.Float64); // always a new tensor (input is float32)
        if (ReferenceEquals(masked, logProbs)) masked = logProbs.clone();
        var banned = new List<long>(3);
        void Ban(int id) { if (id >= 0 && id < vocab && !banned.Contains(id)) banned.Add(id); }
        if (model.PadId != model.EosId) Ban(model.PadId);
        if (model.BosId != model.EosId) Ban(model.BosId);
        if (step < minLength) Ban(model.EosId);
        if (banned.Count > 0)
        {
            using var index = tensor(banned.ToArray(), device: masked.device);
            masked.index_fill_(1, index, Scalars.Float64(double.NegativeInfinity));
        }
        return masked;
    }

    /// <summary>Int64 tensor [N] of token ids on <paramref name="device"/>.</summary>
    public static Tensor Tokens(long[] ids, Device device) => tensor(ids, device: device);
}
