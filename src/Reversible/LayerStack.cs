// LayerStack: one time step of a stack of recurrent layers — the input of layer l > 0 is layer l−1's new output (h,
// part 0) with that layer's locked dropout mask — and rows that are not active keep their state. The one copy of this
// loop for the baseline encoder (fused GRU/LSTM) and decoder (GRUCell/LSTMCell); the reversible stack does the same
// with fixed-point cells.
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>One time step of a stack of ordinary (float) recurrent layers with locked dropout between them.</summary>
public static class LayerStack
{
    /// <summary>New state [layer][part] from input <paramref name="x"/> [B, E] and <paramref name="state"/>;
    /// <paramref name="cell"/>(l, input, state of l) steps layer l; never mutates its inputs.</summary>
    public static Tensor[][] Step(int layers, Tensor x, Tensor[][] state, Tensor? active, IReadOnlyList<Tensor?>? layerMasks,
        Func<int, Tensor, Tensor[], Tensor[]> cell)
    {
        var next = new Tensor[layers][];
        for (var l = 0; l < layers; l++)
        {
            if (l > 0) x = LockedDropout.Apply(next[l - 1][0], LockedDropout.ForLayer(layerMasks, l));
            var parts = cell(l, x, state[l]);
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
