// RandomGruStepDecoder: a small "neural" IStepDecoder (embedding + GRUCell + linear) with deterministic random
// weights drawn from System.Random(seed). Source = tanh(linear(mean of source embeddings)), zeros if empty.
// Guarantees: computes in float64 and returns float32 log-probs, so rows do not depend on batch composition;
// records the row count of every Step call; owns and disposes its modules; creates no leaked tensors.
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Reversible;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Search;

internal sealed class RandomGruStepDecoder : IStepDecoder, IDisposable
{
    public const int Pad = 0, Bos = 1, Eos = 2, FirstWord = 3;
    private readonly int _embed;
    private readonly Embedding _embedding;
    private readonly Linear _bridge;
    private readonly GRUCell _cell;
    private readonly Linear _output;
    private readonly double _eosBias;

    public RandomGruStepDecoder(int seed, int vocab = 12, int embed = 6, int hidden = 10, double eosBias = 0.0, double scale = 1.5)
    {
        Vocab = vocab;
        _embed = embed;
        _eosBias = eosBias;
        _embedding = nn.Embedding(vocab, embed, dtype: ScalarType.Float64);
        _bridge = nn.Linear(embed, hidden, dtype: ScalarType.Float64);
        _cell = nn.GRUCell(embed, hidden, dtype: ScalarType.Float64);
        _output = nn.Linear(hidden, vocab, dtype: ScalarType.Float64);
        var random = new Random(seed);
        using var noGrad = no_grad();
        foreach (var module in new nn.Module[] { _embedding, _bridge, _cell, _output })
            foreach (var p in module.parameters())
            {
                var values = new double[p.numel()];
                for (int i = 0; i < values.Length; i++) values[i] = scale * (2 * random.NextDouble() - 1);
                using var source = tensor(values).view(p.shape);
                p.copy_(source);
            }
    }

    public int Vocab { get; }
    public int BosId => Bos;
    public int EosId => Eos;
    public int PadId => Pad;
    public List<long> StepRows { get; } = new();

    /// <summary>Random word ids (never special tokens) of the given length.</summary>
    public int[] RandomSource(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => random.Next(FirstWord, Vocab)).ToArray();

    public DecoderState Start(IReadOnlyList<int[]> sources)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = sources.Select(s => s.Length == 0
            ? zeros(_embed, dtype: ScalarType.Float64)
            : _embedding.forward(tensor(s.Select(x => (long)x).ToArray())).mean([0])).ToList();
        var hidden = tanh(_bridge.forward(stack(rows)));
        return new HiddenState(hidden);
    }

    public (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state)
    {
        StepRows.Add(previousTokens.shape[0]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var hidden = _cell.forward(_embedding.forward(previousTokens), ((HiddenState)state).Hidden);
        var logits = _output.forward(hidden);
        if (_eosBias != 0)
        {
            var bias = new double[Vocab];
            bias[Eos] = _eosBias;
            logits = logits.add(tensor(bias), Scalars.UnitAlpha);
        }
        var logProbs = nn.functional.log_softmax(logits, 1).to(ScalarType.Float32);
        return (logProbs.MoveToOuterDisposeScope(), new HiddenState(hidden));
    }

    public void Dispose()
    {
        _embedding.Dispose();
        _bridge.Dispose();
        _cell.Dispose();
        _output.Dispose();
    }
}
