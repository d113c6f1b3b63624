// TableStepDecoder: a hand-built IStepDecoder whose next-token distribution depends only on the previous token.
// Guarantees: the best sequence is known in closed form and greedy search provably misses it
// (first step A 0.6 / B 0.4; after A the mass is spread thin; after B, EOS has 0.9).
using Seq2SeqRev.Model.Search;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Search;

internal sealed class TableStepDecoder : IStepDecoder, IDisposable
{
    public const int Pad = 0, Bos = 1, Eos = 2, A = 3, B = 4, C = 5, D = 6, E = 7, Vocab = 8;
    private readonly Tensor _logTable; // [Vocab (previous), Vocab (next)]

    public TableStepDecoder()
    {
        var p = new double[Vocab, Vocab];
        p[Bos, A] = 0.6; p[Bos, B] = 0.4;
        p[A, C] = 0.3; p[A, D] = 0.25; p[A, E] = 0.25; p[A, Eos] = 0.2;
        p[B, Eos] = 0.9; p[B, C] = 0.1;
        p[C, Eos] = 1; p[D, Eos] = 1; p[E, Eos] = 1;
        p[Eos, Eos] = 1; p[Pad, Eos] = 1;
        var flat = new float[Vocab * Vocab];
        for (int i = 0; i < Vocab; i++)
            for (int j = 0; j < Vocab; j++)
                flat[i * Vocab + j] = (float)Math.Log(p[i, j]); // log 0 = -inf: impossible tokens
        _logTable = tensor(flat).view(Vocab, Vocab).DetachFromDisposeScope();
    }

    public int BosId => Bos;
    public int EosId => Eos;
    public int PadId => Pad;
    public int StepCalls { get; private set; }

    public DecoderState Start(IReadOnlyList<int[]> sources) =>
        new HiddenState(tensor(sources.Select(s => (long)s.Length).ToArray())); // a dummy per-row state, exercises Select

    public (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state)
    {
        StepCalls++;
        return (_logTable.index_select(0, previousTokens), new HiddenState(((HiddenState)state).Hidden.clone()));
    }

    public void Dispose() => _logTable.Dispose();
}
