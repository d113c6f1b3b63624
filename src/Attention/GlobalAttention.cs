// GlobalAttention: Luong attention over a memory bank (MultiSizeAttention of the reference code).
// Guarantees: scores "general" = h_s·(W_in h_t) (W_in: H→C, no bias), "dot" = h_s·h_t (needs C = H),
// "concat" = v·tanh(W[h_t; h_s]) (no bias); source positions outside the mask get zero weight;
// output attn_h = tanh(W_out [c; h_t]) (no bias), [B, T, H]. No state, no input feeding. ForwardWithWeights also
// returns the alignment weights [B, T, S] the context was made from (each row sums to 1 over the unmasked positions).
using Seq2SeqRev.Reversible;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seq2SeqRev.Attention;

/// <summary>How a query is scored against a memory-bank vector.</summary>
public enum AttentionScore { General, Dot, Concat }

/// <summary>Luong global attention: (query [B,T,H], memory [B,S,C], mask [B,S] bool, true = real token) → [B,T,H].</summary>
public sealed partial class GlobalAttention : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear? linear_in;
    private readonly Linear? linear_query;
    private readonly Linear? linear_context;
    private readonly Linear? v;
    private readonly Linear linear_out;

    public GlobalAttention(AttentionScore kind, int querySize, int contextSize) : base(nameof(GlobalAttention))
    {
        Kind = kind;
        QuerySize = querySize;
        ContextSize = contextSize;
        switch (kind)
        {
            case AttentionScore.General:
                linear_in = nn.Linear(querySize, contextSize, hasBias: false);
                break;
            case AttentionScore.Dot:
                if (contextSize != querySize)
                    throw new ArgumentException($"dot attention needs the memory bank size ({contextSize}) to equal the hidden size ({querySize}); use general or concat");
                break;
            case AttentionScore.Concat:
                // W[h_t; h_s] split into its query and context columns (same function, cheaper over S).
                linear_query = nn.Linear(querySize, querySize, hasBias: false);
                linear_context = nn.Linear(contextSize, querySize, hasBias: false);
                v = nn.Linear(querySize, 1, hasBias: false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown attention score");
        }
        linear_out = nn.Linear(contextSize + querySize, querySize, hasBias: false);
        RegisterComponents();
    }

    public AttentionScore Kind { get; }
    public int QuerySize { get; }
    public int ContextSize { get; }

    public override Tensor forward(Tensor query, Tensor memory, Tensor mask) => Attend(query, memory, mask, keepWeights: false).Output;

    /// <summary><see cref="forward"/>, and the alignment weights [B, T, S] that made each context (softmax over the
    /// source positions; masked positions 0).</summary>
    public (Tensor Output, Tensor Weights) ForwardWithWeights(Tensor query, Tensor memory, Tensor mask)
    {
        var (output, weights) = Attend(query, memory, mask, keepWeights: true);
        return (output, weights!);
    }

    private (Tensor Output, Tensor? Weights) Attend(Tensor query, Tensor memory, Tensor mask, bool keepWeights)
    {
        using var scope = NewDisposeScope();
        Tensor scores;
        if (linear_in is not null)
            scores = linear_in.forward(query).bmm(memory.transpose(1, 2));
        else if (v is not null)
        {
            var q = linear_query!.forward(query).unsqueeze(2);      // [B,T,1,H]
            var c = linear_context!.forward(memory).unsqueeze(1);   // [B,1,S,H]
            scores = v.forward(tanh(q.add(c, Scalars.UnitAlpha))).squeeze(-1);   // [B,T,S]
        }
        else
            scores = query.bmm(memory.transpose(1, 2));
        scores = scores.masked_fill(mask.logical_not().unsqueeze(1), Scalars.Float32(float.NegativeInfinity));
        var align = scores.softmax(-1);
        var context = align.bmm(memory);                            // [B,T,C]
        var output = tanh(linear_out.forward(cat([context, query], -1))).MoveToOuterDisposeScope();
        return (output, keepWeights ? align.MoveToOuterDisposeScope() : null);
    }
}
