// RnnDecoder: the baseline decoder — embedding + a stack of nn.GRUCell/nn.LSTMCell stepped per token,
// and Luong attention over the encoder's memory bank. No input feeding: the recurrence never sees
// the attention output, so the decoder's hidden states depend only on the target prefix.
// Guarantees: Step maps (x [B, E], state [layer][part] [B, H]) to a new state without mutating its
// inputs; rows where `active` is false keep their state; locked dropout masks are applied between layers.
using Seq2SeqRev.Attention;
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Decoders;

public sealed class RnnDecoder : nn.Module, IAttentionalDecoder
{
    private readonly Embedding embedding;
    private readonly ModuleList<nn.Module> layers;
    private readonly GlobalAttention attention;

    public RnnDecoder(bool lstm, int vocabSize, int embeddingSize, int hiddenSize, int layerCount,
        AttentionScore attentionKind, int contextSize) : base(nameof(RnnDecoder))
    {
        IsLstm = lstm;
        HiddenSize = hiddenSize;
        embedding = nn.Embedding(vocabSize, embeddingSize);
        layers = new ModuleList<nn.Module>();
        for (var l = 0; l < layerCount; l++)
        {
            var input = l == 0 ? embeddingSize : hiddenSize;
            layers.Add(lstm ? nn.LSTMCell(input, hiddenSize) : nn.GRUCell(input, hiddenSize));
        }
        attention = new GlobalAttention(attentionKind, hiddenSize, contextSize);
        RegisterComponents();
    }

    public bool IsLstm { get; }
    public int HiddenSize { get; }
    public int Layers => layers.Count;
    public GlobalAttention Attention => attention;

    public Tensor Embed(Tensor ids, Tensor? mask) => LockedDropout.Embed(embedding, ids, mask);

    /// <summary>One step of every layer: x [B, E] (already embedded), state [layer][part] [B, H]; rows where
    /// <paramref name="active"/> is false keep their state.</summary>
    public Tensor[][] Step(Tensor x, Tensor[][] state, Tensor? active, IReadOnlyList<Tensor?>? layerMasks) =>
        LayerStack.Step(Layers, x, state, active, layerMasks, (l, input, s) =>
        {
            if (layers[l] is LSTMCell lstm)
            {
                var (h, c) = lstm.call(input, (s[0], s[1]));
                return [h, c];
            }
            return [((GRUCell)layers[l]).call(input, s[0])];
        });
}
