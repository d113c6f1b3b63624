// RnnEncoder: the baseline (non-reversible) encoder — embedding + a stack of fused single-layer
// nn.GRU/nn.LSTM, unidirectional, with locked dropout between layers.
// Guarantees: Forward runs each layer fused over the packed batch, so every row's final state is its
// state at its own length and outputs past a row's length are zero; Step advances all layers by one
// token with the same modules (length-1 fused call) and freezes rows that are not active, so a
// step-by-step run reproduces Forward's final state (used by gradient checkpointing). States are
// [layer][part] float tensors [B, H] (part 0 = h, part 1 = c for LSTM).
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Encoders;

public sealed class RnnEncoder : nn.Module
{
    private readonly Embedding embedding;
    private readonly ModuleList<nn.Module> layers;

    public RnnEncoder(bool lstm, int vocabSize, int embeddingSize, int hiddenSize, int layerCount) : base(nameof(RnnEncoder))
    {
        IsLstm = lstm;
        HiddenSize = hiddenSize;
        EmbeddingSize = embeddingSize;
        embedding = nn.Embedding(vocabSize, embeddingSize);
        layers = new ModuleList<nn.Module>();
        for (var l = 0; l < layerCount; l++)
        {
            var input = l == 0 ? embeddingSize : hiddenSize;
            layers.Add(lstm ? nn.LSTM(input, hiddenSize) : nn.GRU(input, hiddenSize));
        }
        RegisterComponents();
    }

    public bool IsLstm { get; }
    public int HiddenSize { get; }
    public int EmbeddingSize { get; }
    public int Layers => layers.Count;
    public int PartCount => IsLstm ? 2 : 1;

    /// <summary>Embeddings of ids [...] with an optional locked dropout mask [B, E] (broadcast over time).</summary>
    public Tensor Embed(Tensor ids, Tensor? mask) => LockedDropout.Embed(embedding, ids, mask);

    /// <summary>The memory bank [B, S, H]: the top outputs [S, B, H] with the bank mask (the reference code applies
    /// the output dropout to the attention memory).</summary>
    public static Tensor MemoryBank(Tensor outputs, SequenceDropout m) => LockedDropout.Apply(outputs, m.Top).transpose(0, 1);

    /// <summary>Fused run over src [S, B] with lengths [B] (int64, ≥ 1). Returns top outputs [S, B, H] and final states.</summary>
    public (Tensor Outputs, Tensor[][] Final) Forward(Tensor src, Tensor lengths, SequenceDropout m)
    {
        var steps = src.shape[0];
        var layerMasks = m.Layers;
        var x = Embed(src, m.Embedding);
        var final = new Tensor[Layers][];
        var cpuLengths = lengths.cpu();
        for (var l = 0; l < Layers; l++)
        {
            if (l > 0) x = LockedDropout.Apply(x, LockedDropout.ForLayer(layerMasks, l));
            var packed = nn.utils.rnn.pack_padded_sequence(x, cpuLengths, batch_first: false, enforce_sorted: false);
            if (layers[l] is LSTM lstm)
            {
                var (output, h, c) = lstm.call(packed, null);
                x = nn.utils.rnn.pad_packed_sequence(output, batch_first: false, total_length: steps).Item1;
                final[l] = [h.squeeze(0), c.squeeze(0)];
            }
            else
            {
                var (output, h) = ((GRU)layers[l]).call(packed, null);
                x = nn.utils.rnn.pad_packed_sequence(output, batch_first: false, total_length: steps).Item1;
                final[l] = [h.squeeze(0)];
            }
        }
        return (x, final);
    }

    /// <summary>One step of every layer: x [B, E] (already embedded), state [layer][part] [B, H]; rows where
    /// <paramref name="active"/> is false keep their state.</summary>
    public Tensor[][] Step(Tensor x, Tensor[][] state, Tensor? active, IReadOnlyList<Tensor?>? layerMasks) =>
        LayerStack.Step(Layers, x, state, active, layerMasks, (l, input, s) =>
        {
            if (layers[l] is LSTM lstm)
            {
                var (_, h, c) = lstm.call(input.unsqueeze(0), (s[0].unsqueeze(0), s[1].unsqueeze(0)));
                return [h.squeeze(0), c.squeeze(0)];
            }
            var (_, hg) = ((GRU)layers[l]).call(input.unsqueeze(0), s[0].unsqueeze(0));
            return [hg.squeeze(0)];
        });

    /// <summary>All-zero state for <paramref name="batch"/> rows.</summary>
    public Tensor[][] ZeroState(int batch) =>
        [.. Enumerable.Range(0, Layers).Select(_ => Enumerable.Range(0, PartCount).Select(_ => zeros(batch, HiddenSize)).ToArray())];
}
