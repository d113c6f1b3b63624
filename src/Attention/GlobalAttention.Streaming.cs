// GlobalAttention.Streaming: the same attention over a bank that is read a chunk of source positions at a time
// (ChunkedBank), with its backward written out — for training by reversal, where the bank is rebuilt from held ids and
// saved columns instead of being kept.
// Guarantees: Stream(q, bank, mask, chunk).Output equals forward(q, bank materialised, mask) up to float rounding (the
// scores and contexts are summed chunk by chunk), for every score kind; Backward(dL/d output) returns dL/d q, adds the
// attention's parameter gradients into their .grad in place (created when missing) and hands dL/d(bank rows) to
// bank.AddGradient chunk by chunk — autograd's gradients through forward, to float rounding (StreamingAttentionTests).
// Alive at a time: the block's scores, weights and their gradients ([B, K, S] each), one chunk of the bank and the
// chunk's temporaries ([B, n, C]; concat: [B, K, n, H]); never a [B, S, C] tensor, unless one chunk covers S (then
// that chunk is rebuilt once and kept for the block instead of four times). No autograd graph anywhere.
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Attention;

public sealed partial class GlobalAttention
{
    /// <summary>The forward pass of queries [B, K, H] (no graph needed; read as values) over <paramref name="bank"/> in
    /// chunks of <paramref name="chunk"/> source positions, mask [B, S] (true = real). The result holds what the
    /// backward needs; dispose it after <see cref="StreamedAttention.Backward"/>.</summary>
    public StreamedAttention Stream(Tensor query, ChunkedBank bank, Tensor mask, int chunk)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "an attention chunk needs at least one source position");
        return new StreamedAttention(this, query, bank, mask, chunk);
    }

    /// <summary>One block's streamed attention: the forward values (<see cref="Output"/>) and the written-out backward.</summary>
    public sealed class StreamedAttention : IDisposable
    {
        private readonly GlobalAttention _a;
        private readonly ChunkedBank _bank;
        private readonly int _chunk;
        private readonly Tensor _q, _u, _align, _joined;
        private Tensor? _whole;   // the one chunk, when one chunk covers S

        internal StreamedAttention(GlobalAttention attention, Tensor query, ChunkedBank bank, Tensor mask, int chunk)
        {
            _a = attention;
            _bank = bank;
            _chunk = chunk;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var q = query.detach();
            var s = bank.Length;
            // u: what a bank row is dotted with (general: W_in q; dot: q); concat: W_q q, added to W_c m per position.
            var u = attention.linear_in is not null ? attention.linear_in.forward(q)
                : attention.linear_query is not null ? attention.linear_query.forward(q) : q.alias();
            var scores = empty(q.shape[0], q.shape[1], s, q.dtype);
            ForEachChunk((s0, n, m) => scores.narrow(2, s0, n).copy_(Score(u, m)));
            scores.masked_fill_(mask.logical_not().unsqueeze(1), Scalars.Float32(float.NegativeInfinity));
            var align = scores.softmax(-1);
            var context = zeros(q.shape[0], q.shape[1], bank.Width, q.dtype);
            ForEachChunk((s0, n, m) => context.add_(align.narrow(2, s0, n).bmm(m), Scalars.UnitAlpha));
            var joined = cat([context, q], -1);
            Output = tanh(attention.linear_out.forward(joined)).MoveToOuterDisposeScope();
            _q = q.MoveToOuterDisposeScope();
            _u = u.MoveToOuterDisposeScope();
            _align = align.MoveToOuterDisposeScope();
            _joined = joined.MoveToOuterDisposeScope();
        }

        /// <summary>The attentional vectors [B, K, H] (no graph).</summary>
        public Tensor Output { get; }

        /// <summary>dL/d query [B, K, H] from <paramref name="gradOutput"/> = dL/d <see cref="Output"/>; the parameter
        /// gradients go into .grad and the bank's into <see cref="ChunkedBank.AddGradient"/>.</summary>
        public Tensor Backward(Tensor gradOutput)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var a = _a;
            var c = _bank.Width;
            var h = _q.shape[2];
            var dPre = gradOutput.mul(Output.mul(Output).neg_().add_(Scalars.Float32(1f), Scalars.UnitAlpha));
            var wOut = a.linear_out.weight!;
            Accumulate(wOut, dPre.reshape(-1, h).t().mm(_joined.reshape(-1, _joined.shape[2])));
            var dJoined = dPre.matmul(wOut);
            var dContext = dJoined.narrow(2, 0, c);
            var dq = dJoined.narrow(2, c, h).contiguous();
            // Softmax backward over whole rows: dα per chunk, then d scores = α ⊙ (dα − Σ α dα) (masked positions: α = 0).
            var dAlign = empty_like(_align);
            ForEachChunk((s0, n, m) => dAlign.narrow(2, s0, n).copy_(dContext.bmm(m.transpose(1, 2))));
            var dScores = dAlign.sub_(_align.mul(dAlign).sum(-1, keepdim: true)).mul_(_align);
            var du = zeros_like(_u);
            // general/dot: d bank_c = α_cᵀ d ctx + d scores_cᵀ u = [α_c; d scores_c]ᵀ [d ctx; u], one product into one
            // [B, n, C] tensor (no second one for the sum).
            var contextAndU = a.v is null ? cat([dContext, _u], 1) : null;                 // [B, 2K, C]
            ForEachChunk((s0, n, m) =>
            {
                var ds = dScores.narrow(2, s0, n);
                Tensor dm;
                if (contextAndU is not null)
                {
                    dm = cat([_align.narrow(2, s0, n), ds], 1).transpose(1, 2).bmm(contextAndU);
                    du.add_(ds.bmm(m), Scalars.UnitAlpha);
                }
                else
                {
                    dm = _align.narrow(2, s0, n).transpose(1, 2).bmm(dContext);          // [B, n, C] from the context
                    dm.add_(ConcatBackward(ds, m, du), Scalars.UnitAlpha);
                }
                _bank.AddGradient(s0, n, dm);                                               // consumes dm
            });
            if (a.linear_in is not null)
            {
                Accumulate(a.linear_in.weight!, du.reshape(-1, c).t().mm(_q.reshape(-1, h)));
                dq.add_(du.matmul(a.linear_in.weight!), Scalars.UnitAlpha);
            }
            else if (a.linear_query is not null)
            {
                Accumulate(a.linear_query.weight!, du.reshape(-1, h).t().mm(_q.reshape(-1, h)));
                dq.add_(du.matmul(a.linear_query.weight!), Scalars.UnitAlpha);
            }
            else dq.add_(du, Scalars.UnitAlpha);
            return dq.MoveToOuterDisposeScope();
        }

        /// <summary>Scores [B, K, n] of one chunk m [B, n, C].</summary>
        private Tensor Score(Tensor u, Tensor m)
        {
            if (_a.v is null) return u.bmm(m.transpose(1, 2));
            var projected = _a.linear_context!.forward(m).unsqueeze(1);                      // [B, 1, n, H]
            return _a.v.forward(tanh(u.unsqueeze(2).add(projected, Scalars.UnitAlpha))).squeeze(-1);
        }

        /// <summary>Concat scores v·tanh(u_k + W_c m_s): adds dL/d v and dL/d W_c into .grad and dL/d u into
        /// <paramref name="du"/>; returns dL/d m [B, n, C] from the scores.</summary>
        private Tensor ConcatBackward(Tensor dScores, Tensor m, Tensor du)
        {
            using var scope = NewDisposeScope();
            var h = _u.shape[2];
            var wc = _a.linear_context!.weight!;
            var v = _a.v!.weight!;                                                              // [1, H]
            var t = tanh(_u.unsqueeze(2).add(_a.linear_context.forward(m).unsqueeze(1), Scalars.UnitAlpha));   // [B, K, n, H]
            Accumulate(v, dScores.reshape(1, -1).mm(t.reshape(-1, h)));
            // d(tanh input) = d scores ⊙ v ⊙ (1 − t²). Its sum over positions (dL/d u) is written −v ⊙ Σ_s d scores_s t_s²:
            // d scores sums to 0 over a row, so the "1" part cancels exactly, and leaving it out keeps float32 from
            // carrying that cancellation's rounding into a gradient that is small when tanh is nearly linear.
            var squared = t.mul_(t);
            var dsq = dScores.unsqueeze(-1).mul(squared);                                       // d scores_s t_s²
            du.add_(dsq.sum(2).mul_(v.view(1, 1, h)).neg_(), Scalars.UnitAlpha);
            var dt = dsq.neg_().add_(dScores.unsqueeze(-1), Scalars.UnitAlpha).mul_(v.view(1, 1, 1, h));
            var dProjected = dt.sum(1);                                                         // [B, n, H]
            Accumulate(wc, dProjected.reshape(-1, h).t().mm(m.reshape(-1, m.shape[2])));
            return dProjected.matmul(wc).MoveToOuterDisposeScope();
        }

        /// <summary>Runs <paramref name="body"/>(start, n, rows) over the bank's chunks, each rebuilt and freed (or the
        /// one chunk kept, when it covers S).</summary>
        private void ForEachChunk(Action<int, int, Tensor> body)
        {
            var s = _bank.Length;
            if (_chunk >= s)
            {
                _whole ??= _bank.Chunk(0, s).DetachFromDisposeScope();
                body(0, s, _whole);
                return;
            }
            for (var s0 = 0; s0 < s; s0 += _chunk)
            {
                using var scope = NewDisposeScope();
                var n = Math.Min(_chunk, s - s0);
                body(s0, n, _bank.Chunk(s0, n));
            }
        }

        private static void Accumulate(Tensor parameter, Tensor grad)
        {
            if (parameter.grad is null) parameter.grad = grad.clone().DetachFromDisposeScope();
            else parameter.grad.add_(grad, Scalars.UnitAlpha);
        }

        public void Dispose()
        {
            Output.Dispose();
            _q.Dispose();
            _u.Dispose();
            _align.Dispose();
            _joined.Dispose();
            _whole?.Dispose();
        }
    }
}
