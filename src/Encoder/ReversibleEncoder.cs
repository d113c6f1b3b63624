// ReversibleEncoder: embedding + ReversibleRnn (RevGRU/RevLSTM stack), trained by reversal.
// Guarantees: the memory-bank columns it saves are ReversibleRnn's saved columns (k ≤ H/2: the top
// h1[:, :k]; k = H: the whole top state); Embed is deterministic given ids and the locked dropout mask,
// so inputs can be recomputed from token ids in the reverse pass; the stack's behaviour is unchanged.
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Encoder;

public sealed class ReversibleEncoder : nn.Module
{
    private readonly Embedding embedding;
    private readonly ReversibleRnn rnn;

    public ReversibleEncoder(ReversibleCellKind kind, int vocabSize, int embeddingSize, int hiddenSize, int layers,
        ForgetLimit limit, int savedColumns, FixedPointFormat format) : base(nameof(ReversibleEncoder))
    {
        EmbeddingSize = embeddingSize;
        embedding = nn.Embedding(vocabSize, embeddingSize);
        rnn = new ReversibleRnn("rnn", kind, embeddingSize, hiddenSize, layers, limit, savedColumns, format);
        RegisterComponents();
    }

    public int EmbeddingSize { get; }
    public ReversibleRnn Rnn => rnn;

    /// <summary>Embeddings of ids [...] with an optional locked dropout mask [B, E].</summary>
    public Tensor Embed(Tensor ids, Tensor? mask) => LockedDropout.Apply(embedding.forward(ids), mask);

    /// <summary>The step-input function over src [S, B]: embedding of step t with the batch's mask.</summary>
    public Func<int, Tensor> Inputs(Tensor src, Tensor? mask) => t => Embed(src[t], mask);
}
