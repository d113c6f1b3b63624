// TinyTestModel: a small real ITrainable for trainer tests (embedding + mean-pooled source + GRUCell
// decoder + Linear, with embedding dropout so the torch RNG matters). Sources/targets come without BOS/EOS; the
// decoder reads BOS + target and predicts target + EOS. Loss = token cross-entropy sum / sentences.
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model.Tokenization;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Training;

internal sealed class TinyTestModel : ITrainable
{
    private readonly TinyNet _net;

    public TinyTestModel(int sourceVocab, int targetVocab, int embedding, int hidden) =>
        _net = new TinyNet(sourceVocab, targetVocab, embedding, hidden);

    public static ITrainable Create(ModelConfig m, TrainingConfig t, int sourceVocab, int targetVocab) =>
        new TinyTestModel(sourceVocab, targetVocab, m.Embedding, m.Hidden);

    public nn.Module Module => _net;
    public int BosId => SubwordTokenizer.BosId;
    public int EosId => SubwordTokenizer.EosId;
    public int PadId => SubwordTokenizer.PadId;

    public StepResult TrainStep(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var (loss, tokens) = Loss(batch);
        using (var sentences = batch.Sources.Count.ToScalar()) loss.div(sentences).backward();
        return new StepResult(loss.item<float>(), tokens, batch.Sources.Count, null, null);
    }

    public StepResult Evaluate(TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (loss, tokens) = Loss(batch);
        return new StepResult(loss.item<float>(), tokens, batch.Sources.Count, null, null);
    }

    private (Tensor Loss, long Tokens) Loss(TrainingBatch batch)
    {
        int n = batch.Targets.Count, len = batch.Targets.Max(t => t.Length) + 1;
        var input = new long[n * len];
        var gold = new long[n * len];
        for (int i = 0; i < n; i++)
        {
            var t = batch.Targets[i];
            for (int j = 0; j < len; j++)
            {
                input[i * len + j] = j == 0 ? BosId : j <= t.Length ? t[j - 1] : PadId;
                gold[i * len + j] = j < t.Length ? t[j] : j == t.Length ? EosId : PadId;
            }
        }
        var inputs = tensor(input).view(n, len);
        var golds = tensor(gold).view(n, len);
        var h = _net.Encode(batch.Sources);
        var logits = new List<Tensor>(len);
        for (int j = 0; j < len; j++)
        {
            h = _net.Cell.forward(_net.Dropout.forward(_net.TgtEmbedding.forward(inputs[.., j])), h);
            logits.Add(_net.Output.forward(h));
        }
        var all = stack(logits, 1).view(n * len, -1);
        var loss = nn.functional.cross_entropy(all, golds.view(-1), ignore_index: PadId, reduction: nn.Reduction.Sum);
        long tokens = batch.Targets.Sum(t => (long)t.Length + 1);
        return (loss, tokens);
    }

    public DecoderState Start(IReadOnlyList<int[]> sources)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return new HiddenState(_net.Encode(sources));
    }

    public (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var h = _net.Cell.forward(_net.TgtEmbedding.forward(previousTokens), ((HiddenState)state).Hidden);
        var logProbs = nn.functional.log_softmax(_net.Output.forward(h), 1);
        return (logProbs.MoveToOuterDisposeScope(), new HiddenState(h));
    }

    public void Dispose() => _net.Dispose();

    private sealed class TinyNet : nn.Module
    {
        public readonly Embedding SrcEmbedding, TgtEmbedding;
        public readonly Linear Bridge, Output;
        public readonly GRUCell Cell;
        public readonly Dropout Dropout;

        public TinyNet(int sourceVocab, int targetVocab, int embedding, int hidden) : base("tiny")
        {
            SrcEmbedding = nn.Embedding(sourceVocab, embedding);
            TgtEmbedding = nn.Embedding(targetVocab, embedding);
            Bridge = nn.Linear(embedding, hidden);
            Cell = nn.GRUCell(embedding, hidden);
            Output = nn.Linear(hidden, targetVocab);
            Dropout = nn.Dropout(0.1);
            RegisterComponents();
        }

        /// <summary>tanh(Linear(mean of source embeddings)); zeros for an empty source.</summary>
        public Tensor Encode(IReadOnlyList<int[]> sources)
        {
            var rows = sources.Select(s => s.Length == 0
                ? zeros(SrcEmbedding.weight!.shape[1])
                : SrcEmbedding.forward(tensor(s.Select(x => (long)x).ToArray())).mean([0])).ToList();
            return tanh(Bridge.forward(Dropout.forward(stack(rows))));
        }
    }
}
