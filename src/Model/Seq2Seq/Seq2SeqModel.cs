// Seq2SeqModel: an attention seq2seq translation model — encoder, decoder with Luong attention, generator
// Linear(H, V_tgt) + log_softmax — decodable one token at a time (IStepDecoder). Nothing about training: how its
// gradients are computed (backprop, checkpointing, reversal) is chosen by the training layer, which reads the parts
// it needs (the encoder, the decoder, the loss head below).
// Guarantees: Create builds the baseline (gru|lstm) or reversible (revgru|revlstm) model from a ModelSpec and
// initialises every parameter uniform(−param_init, param_init) from torch's global RNG; Loss is the cross-entropy
// summed over non-pad target tokens (callers divide by the number of sentences); every Start/Step call frees its
// native temporaries; the decoder state is a typed Seq2SeqState.
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public abstract class Seq2SeqModel : nn.Module, IStepDecoder
{
    protected readonly Linear generator;

    protected Seq2SeqModel(string name, ModelSpec spec, int targetVocabSize) : base(name)
    {
        Spec = spec;
        TargetVocabSize = targetVocabSize;
        generator = nn.Linear(spec.Hidden, targetVocabSize);
    }

    public ModelSpec Spec { get; }
    public int TargetVocabSize { get; }
    /// <summary>Size of one memory-bank vector (the attention context).</summary>
    public abstract int ContextSize { get; }

    public int BosId => PreparedBatch.Bos;
    public int EosId => PreparedBatch.Eos;
    public int PadId => PreparedBatch.Pad;

    /// <summary>Builds the model <paramref name="spec"/> describes, parameters initialised from torch's global RNG.</summary>
    public static Seq2SeqModel Create(ModelSpec spec, int sourceVocabSize, int targetVocabSize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Seq2SeqModel result = spec.IsReversible
            ? new ReversibleSeq2Seq(spec, sourceVocabSize, targetVocabSize)
            : new BaselineSeq2Seq(spec, sourceVocabSize, targetVocabSize);
        using (no_grad())
            foreach (var p in result.parameters()) p.uniform_(-spec.ParamInit, spec.ParamInit);
        return result;
    }

    /// <summary>This batch's locked dropout masks (none in eval mode).</summary>
    public abstract DropoutMasks DrawMasks(int batch);

    /// <summary>Ordinary autograd forward of the whole batch: the summed CE as a scalar with graph.</summary>
    public Tensor GraphLoss(PreparedBatch b, DropoutMasks masks) => Loss(GraphAttentional(b, masks), b.TgtOut.t());

    /// <summary>Ordinary autograd forward of the whole batch up to the loss head: the attentional vectors [B, T, H] of
    /// every target step, with graph (what the generator and the loss read).</summary>
    public abstract Tensor GraphAttentional(PreparedBatch b, DropoutMasks masks);

    public abstract DecoderState Start(IReadOnlyList<int[]> sources);

    /// <summary>One search step (<see cref="IStepDecoder.Step"/>): <see cref="StepWithAttention"/> without the weights.</summary>
    public (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state)
    {
        var (logProbs, next, attention) = StepWithAttention(previousTokens, state);
        attention.Dispose();
        return (logProbs, next);
    }

    /// <summary>One search step and the attention weights [N, S] over the source positions it used.</summary>
    public abstract (Tensor LogProbs, DecoderState Next, Tensor Attention) StepWithAttention(Tensor previousTokens, DecoderState state);

    (Tensor LogProbs, DecoderState Next, Tensor? Attention) IStepDecoder.StepWithAttention(Tensor previousTokens, DecoderState state) =>
        StepWithAttention(previousTokens, state);

    /// <summary>log_softmax(generator(attn_h)).</summary>
    protected Tensor LogProbs(Tensor attentional) => generator.forward(attentional).log_softmax(-1);

    /// <summary>The loss head: summed CE of attentional vectors [B, T, H] against target ids [B, T]; pad ignored.</summary>
    public Tensor Loss(Tensor attentional, Tensor target)
    {
        var logp = LogProbs(attentional);
        var picked = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1);
        return picked.mul(target.ne(Scalars.Int64(PreparedBatch.Pad)).to(ScalarType.Float32)).sum().neg();
    }

    /// <summary>
    /// The loss head with its gradient computed directly, for callers that run it in many small pieces (training by
    /// reversal, per block of decoder steps), where autograd's per-piece graph, its [N, V] gradient temporaries and a
    /// fresh [V, H] weight gradient per piece cost more than the arithmetic. For attentional vectors [B, K, H] (no graph)
    /// and target ids [B, K] it returns the summed CE (as <see cref="Loss"/> computes it) and dL/d(attentional) [B, K, H]
    /// for L = CE / <paramref name="sentences"/>, and adds dL/d(generator weight, bias) into their <c>.grad</c> (created
    /// when missing). The logits' gradient is autograd's log_softmax backward written out: softmax/B − onehot/B per real
    /// token, 0 per pad; the weight's gradient is accumulated in place (addmm); the CE is logsumexp − the target's logit. Both
    /// equal autograd's up to float rounding. One [N, V] buffer is alive (N = B·K).
    /// </summary>
    public (Tensor LossSum, Tensor AttentionalGrad) LossAndGradient(Tensor attentional, Tensor target, int sentences)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = attentional.reshape(-1, attentional.shape[^1]);
        var ids = target.reshape(-1, 1);
        // Everything [N, V] happens in one buffer: logits − row max, exp, then scaled into the logits' gradient.
        var dLogits = generator.forward(x);                                                // [N, V]
        dLogits.sub_(dLogits.amax([-1], keepdim: true));
        var picked = dLogits.gather(-1, ids);                                              // target logit − max
        var sum = dLogits.exp_().sum(-1, keepdim: true);                                   // Σ exp(logit − max)
        var keep = ids.ne(Scalars.Int64(PreparedBatch.Pad)).to(ScalarType.Float32);      // [N, 1]
        var lossSum = sum.log().sub_(picked).mul_(keep).sum();         // Σ logsumexp − target logit
        using var perSentence = (1f / sentences).ToScalar();
        var scale = keep.mul(perSentence);                                                 // 1/B per real token, 0 per pad
        dLogits.mul_(scale.div(sum)).scatter_add_(-1, ids, scale.neg());                   // (softmax − onehot)/B
        var weight = generator.weight!;
        var bias = generator.bias!;
        weight.grad ??= zeros_like(weight);
        bias.grad ??= zeros_like(bias);
        weight.grad.addmm_(dLogits.t(), x, 1, 1);
        bias.grad.add_(dLogits.sum(dim: 0L), Scalars.UnitAlpha);   // dim: a literal 0 would bind to sum(ScalarType)
        var dx = dLogits.mm(weight).reshape(attentional.shape);
        return (lossSum.MoveToOuterDisposeScope(), dx.MoveToOuterDisposeScope());
    }

    /// <summary>Log-probabilities [N, V] of one inference step from its attentional vectors [N, 1, H].</summary>
    protected Tensor InferenceLogProbs(Tensor attentional) => LogProbs(attentional.squeeze(1));
}
