// BankRebuilder: the reversible encoder's memory bank rebuilt from its tape a chunk of source positions at a time,
// and the bank's gradient routed back chunk by chunk (for attention that never holds the whole bank: Attention.ChunkedBank).
// Guarantees: Chunk(s0, n) equals rows s0 … s0 + n − 1 of ReversibleEncoder.MemoryBank(tape) bit for bit (the same
// embeddings of the held source ids with the embedding mask, the same saved columns with the bank mask, the same
// layout); AddGradient sends the embedding columns' gradient, times the embedding mask (in place), into the embedding's .grad
// (as Reverse does with a whole bank gradient) and adds the saved columns' gradient, times the bank mask, into an
// [S, B, k] accumulator that TakeSavedGradient hands to ReverseFromSaved. Nothing [B, S, C] is ever allocated.
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Encoder;

public sealed class BankRebuilder : IDisposable
{
    private readonly ReversibleEncoder _encoder;
    private readonly EncoderTape _tape;
    private Tensor? _savedGrad;

    internal BankRebuilder(ReversibleEncoder encoder, EncoderTape tape)
    {
        _encoder = encoder;
        _tape = tape;
        var k = encoder.Bank.HiddenColumns;
        if (k > 0) _savedGrad = zeros(tape.Rnn.Steps, tape.Rnn.Batch, k).DetachFromDisposeScope();
    }

    /// <summary>Source positions S.</summary>
    public int Length => _tape.Rnn.Steps;

    /// <summary>Columns C of one bank row.</summary>
    public int Width => _encoder.Bank.ContextSize;

    /// <summary>Bank rows <paramref name="start"/> … + <paramref name="length"/> − 1 as [B, n, C] (no graph).</summary>
    public Tensor Chunk(int start, int length)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var layout = _encoder.Bank;
        var embedded = layout.UsesEmbedding ? _encoder.Embed(_tape.Src.narrow(0, start, length), _tape.Dropout.Embedding) : null;
        var hidden = layout.HiddenColumns > 0 ? _encoder.Rnn.Format.ToFloat(_tape.Rnn.Saved!.narrow(0, 1 + start, length)) : null;
        return layout.Assemble(embedded, hidden, _tape.Dropout.Bank).MoveToOuterDisposeScope();
    }

    /// <summary>Routes dL/d(rows <paramref name="start"/> … + <paramref name="length"/> − 1) [B, n, C], consuming it (its
    /// embedding columns are overwritten).</summary>
    public void AddGradient(int start, int length, Tensor grad)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var layout = _encoder.Bank;
        var e = layout.EmbeddingColumns;
        if (layout.UsesEmbedding)
        {
            // In place and in the gradient's own [B, n, E] layout (rows b-major), so no [B, n, E] copy is made: the mask
            // [B, E] multiplies each row's positions, then the rows go into the embedding's gradient at ids [B, n].
            var embeddingGrad = grad.narrow(2, 0, e);
            if (_tape.Dropout.Embedding is { } mask) embeddingGrad.mul_(mask.unsqueeze(1));
            _encoder.EmbedBackward(_tape.Src.narrow(0, start, length).t(), null, embeddingGrad);
        }
        if (_savedGrad is not null)
            _savedGrad.narrow(0, start, length).add_(
                LockedDropout.Apply(grad.narrow(2, e, layout.HiddenColumns).transpose(0, 1), _tape.Dropout.Bank), Scalars.UnitAlpha);
    }

    /// <summary>The accumulated dL/d(saved columns) [S, B, k] (the caller owns it), or null without saved columns.</summary>
    public Tensor? TakeSavedGradient()
    {
        var g = _savedGrad;
        _savedGrad = null;
        return g;
    }

    public void Dispose() => _savedGrad?.Dispose();
}
