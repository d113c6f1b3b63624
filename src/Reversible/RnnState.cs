// RnnState: the fixed-point state of every layer of a stack, bottom first. Guarantees: With shares tensors (no copy);
// Dispose frees every part's integers.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Reversible;

/// <summary>The state of every layer of a stack (index = layer).</summary>
public sealed class RnnState(IReadOnlyList<CellState> layers) : IDisposable
{
    /// <summary>The state of each layer, bottom first.</summary>
    public IReadOnlyList<CellState> Layers { get; } = layers;
    /// <summary>The state of layer <paramref name="layer"/>.</summary>
    public CellState this[int layer] => Layers[layer];
    /// <summary>The top layer's output float([h1; h2]) [batch, hidden].</summary>
    public Tensor TopOutput => Layers[^1].Output;

    /// <summary>A copy with layer <paramref name="layer"/>'s state replaced (the tensors are shared, not copied).</summary>
    public RnnState With(int layer, CellState cell)
    {
        var copy = Layers.ToArray();
        copy[layer] = cell;
        return new RnnState(copy);
    }

    /// <summary>Moves every part's integers to the enclosing dispose scope (to keep the state past the current one).</summary>
    public void MoveToOuterDisposeScope()
    {
        foreach (var c in Layers) foreach (var p in c.Parts) p.Int.MoveToOuterDisposeScope();
    }

    /// <summary>Frees every part's integers.</summary>
    public void Dispose()
    {
        foreach (var c in Layers) foreach (var p in c.Parts) p.Int.Dispose();
    }
}
