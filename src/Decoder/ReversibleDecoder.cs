// ReversibleDecoder: embedding + ReversibleRnn (no saved columns, its own information buffer) and
// Luong attention over the encoder's memory bank. No input feeding, so the decoder reverses without
// attention contexts (MacKay et al. 2018 §3). Inference steps the same cells with buffer = null.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Decoder;

public sealed class ReversibleDecoder : nn.Module
{
    private readonly Embedding embedding;
    private readonly ReversibleRnn rnn;
    private readonly GlobalAttention attention;

    public ReversibleDecoder(ReversibleCellKind kind, int vocabSize, int embeddingSize, int hiddenSize, int layers,
        ForgetLimit limit, FixedPointFormat format, string attentionKind, int contextSize) : base(nameof(ReversibleDecoder))
    {
        embedding = nn.Embedding(vocabSize, embeddingSize);
        rnn = new ReversibleRnn("rnn", kind, embeddingSize, hiddenSize, layers, limit, 0, format);
        attention = new GlobalAttention(attentionKind, hiddenSize, contextSize);
        RegisterComponents();
    }

    public ReversibleRnn Rnn => rnn;
    public GlobalAttention Attention => attention;

    public Tensor Embed(Tensor ids, Tensor? mask) => LockedDropout.Apply(embedding.forward(ids), mask);

    /// <summary>The step-input function over decoder inputs [T, B] ([BOS, y1..yn] padded).</summary>
    public Func<int, Tensor> Inputs(Tensor tgtIn, Tensor? mask) => t => Embed(tgtIn[t], mask);
}
