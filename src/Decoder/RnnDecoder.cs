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

namespace Seq2SeqRev.Decoder;

public sealed class RnnDecoder : nn.Module
{
    private readonly Embedding embedding;
    private readonly ModuleList<nn.Module> layers;
    private readonly GlobalAttention attention;

    public RnnDecoder(bool lstm, int vocabSize, int embeddingSize, int hiddenSize, int layerCount,
        string attentionKind, int contextSize) : base(nameof(RnnDecoder))
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

    public Tensor Embed(Tensor ids, Tensor? mask) => LockedDropout.Apply(embedding.forward(ids), mask);

    public Tensor[][] Step(Tensor x, Tensor[][] state, Tensor? active, IReadOnlyList<Tensor?>? layerMasks)
    {
        var next = new Tensor[Layers][];
        for (var l = 0; l < Layers; l++)
        {
            if (l > 0)
            {
                x = LockedDropout.Apply(next[l - 1][0], LockedDropout.ForLayer(layerMasks, l));
            }
            Tensor[] parts;
            if (layers[l] is LSTMCell lstm)
            {
                var (h, c) = lstm.call(x, (state[l][0], state[l][1]));
                parts = [h, c];
            }
            else parts = [((GRUCell)layers[l]).call(x, state[l][0])];
            if (active is not null)
            {
                var a = active.unsqueeze(1);
                parts = [.. parts.Select((p, i) => where(a, p, state[l][i]))];
            }
            next[l] = parts;
        }
        return next;
    }
}
