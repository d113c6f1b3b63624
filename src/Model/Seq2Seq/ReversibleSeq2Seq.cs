// ReversibleSeq2Seq: RevGRU/RevLSTM encoder-decoder with attention over the paper's memory banks
// ("hidden" = whole top state, "slice" = top h1[:, :k], "emb" = source embeddings, "emb+slice").
// Guarantees: "reversal" keeps per batch only the two tapes (final state, sealed buffers, saved slices),
// token ids and dropout masks — never all steps' logits or hidden states — and its gradients equal
// "backprop" (ReversibleRnn.ForwardWithGraph over the whole model) up to float rounding; the
// attention memory is one leaf tensor whose gradient, accumulated over every decoder step, is sent
// into the embedding (emb part) and into the encoder's reversal (slice part). Search runs the same
// cells with buffer = null. Search state: [bank, srcMask, int64 state parts...].
using Seq2SeqRev.Decoder;
using Seq2SeqRev.Encoder;
using Seq2SeqRev.Model.Config;
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model.Training;
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Model;

public sealed class ReversibleSeq2Seq : Seq2SeqModel
{
    private readonly ReversibleEncoder encoder;
    private readonly ReversibleDecoder decoder;

    public ReversibleSeq2Seq(ModelConfig config, string memoryMode, int checkpointSegment, int sourceVocabSize, int targetVocabSize)
        : base(nameof(ReversibleSeq2Seq), config, memoryMode, checkpointSegment, targetVocabSize)
    {
        if (config.Hidden % 2 != 0) throw new ArgumentException($"reversible cells need an even hidden size, got {config.Hidden}");
        (UsesEmbedding, SliceColumns) = config.MemoryBank switch
        {
            "hidden" => (false, config.Hidden),
            "slice" => (false, config.Slice),
            "emb" => (true, 0),
            "emb+slice" => (true, config.Slice),
            _ => throw new ArgumentException($"unknown memory bank '{config.MemoryBank}'"),
        };
        if (config.MemoryBank is "slice" or "emb+slice" && (SliceColumns < 1 || (SliceColumns > config.Hidden / 2 && SliceColumns != config.Hidden)))
            throw new ArgumentException($"model.slice = {SliceColumns} must be in 1..{config.Hidden / 2} (half the hidden size) or equal {config.Hidden}");
        var kind = config.Cell == "revlstm" ? ReversibleCellKind.RevLSTM : ReversibleCellKind.RevGRU;
        var limit = ForgetLimit.Parse(config.MaxForgetBits);
        var format = new FixedPointFormat(config.HiddenRadix, config.ForgetRadix);
        encoder = new ReversibleEncoder(kind, sourceVocabSize, config.Embedding, config.Hidden, config.Layers, limit, SliceColumns, format);
        decoder = new ReversibleDecoder(kind, targetVocabSize, config.Embedding, config.Hidden, config.Layers, limit, format,
            config.Attention, (UsesEmbedding ? config.Embedding : 0) + SliceColumns);
        RegisterComponents();
    }

    /// <summary>Whether the memory bank contains the source embeddings.</summary>
    public bool UsesEmbedding { get; }
    /// <summary>Hidden columns in the memory bank (k; H for "hidden"; 0 for "emb"), saved by the encoder at every step.</summary>
    public int SliceColumns { get; }
    public override int ContextSize => (UsesEmbedding ? Config.Embedding : 0) + SliceColumns;

    protected override DropoutMasks DrawMasks(int batch) => DropoutMasks.Draw(training, batch, Config.Embedding, Config.Hidden,
        Config.Layers, Config.Dropout.Embedding, Config.Dropout.Hidden, Config.Dropout.Output, SliceColumns, Config.Dropout.Slice);

    /// <summary>Memory bank [B, S, C] from embeddings [S, B, E] and slices [S, B, k] (slice dropout applied).</summary>
    private Tensor Bank(Tensor? embedded, Tensor? slices, Tensor? sliceMask)
    {
        var parts = new List<Tensor>();
        if (embedded is not null) parts.Add(embedded);
        if (slices is not null) parts.Add(LockedDropout.Apply(slices, sliceMask));
        return (parts.Count == 1 ? parts[0] : cat(parts, -1)).transpose(0, 1);
    }

    private Tensor SliceOf(Tensor output) => SliceColumns == Config.Hidden ? output : output.narrow(1, 0, SliceColumns);

    protected override Tensor GraphLoss(PreparedBatch b, DropoutMasks m)
    {
        var encRnn = encoder.Rnn;
        var (encOuts, encFinal) = encRnn.ForwardWithGraph(encoder.Inputs(b.Src, m.EncoderEmbedding), b.SrcSteps, b.SrcLengths,
            encRnn.ZeroState(b.Batch), m.EncoderLayers);
        var bank = Bank(UsesEmbedding ? encoder.Embed(b.Src, m.EncoderEmbedding) : null,
            SliceColumns > 0 ? stack(encOuts.Select(SliceOf)) : null, m.Bank);
        var (decOuts, _) = decoder.Rnn.ForwardWithGraph(decoder.Inputs(b.TgtIn, m.DecoderEmbedding), b.TgtSteps, b.TgtLengths,
            encFinal, m.DecoderLayers);
        var q = LockedDropout.Apply(stack(decOuts), m.Output);
        return SumNll(decoder.Attention, q.transpose(0, 1), bank, b.SrcMask, b.TgtOut.t());
    }

    protected override (double LossSum, MemoryBits? Encoder, MemoryBits? Decoder) TrainCore(PreparedBatch b, DropoutMasks m)
    {
        if (MemoryMode != "reversal")
        {
            var nll = GraphLoss(b, m);
            using (var batch = b.Batch.ToScalar()) nll.div(batch).backward();
            return (nll.item<float>(), null, null);
        }

        // 1. Forward passes without gradients: only the tapes survive.
        var encRnn = encoder.Rnn;
        var encIn = encoder.Inputs(b.Src, m.EncoderEmbedding);
        var decIn = decoder.Inputs(b.TgtIn, m.DecoderEmbedding);
        using var encTape = encRnn.Forward(encIn, b.SrcSteps, b.SrcLengths, encRnn.ZeroState(b.Batch), m.EncoderLayers);
        using var decTape = decoder.Rnn.Forward(decIn, b.TgtSteps, b.TgtLengths, encTape.Final, m.DecoderLayers);
        var (encBits, decBits) = Accounting(encTape, decTape, b);

        // 2. The memory bank, rebuilt once as a leaf: recomputed embeddings and the saved slices (the pieces
        //    it is built from are freed at once).
        Tensor bank;
        using (PhaseProfiler.Measure(Phase.Bank))
        using (NewDisposeScope())
        using (no_grad())
        {
            var embedded = UsesEmbedding ? encoder.Embed(b.Src, m.EncoderEmbedding) : null;
            var slices = SliceColumns > 0 ? encRnn.Format.ToFloat(encTape.Saved!.narrow(0, 1, b.SrcSteps)) : null;
            bank = Bank(embedded, slices, m.Bank).contiguous().requires_grad_(true).MoveToOuterDisposeScope();
        }

        // 3. Decoder reversal: per step, loss on the reconstructed top output; returns dL/d(encoder final).
        double loss = 0;
        Tensor StepLoss(int t, Tensor top)
        {
            using var phase = PhaseProfiler.Measure(Phase.Attention);
            var nll = StepNll(decoder.Attention, top, m.Output, bank, b.SrcMask, b.TgtOut[t]);
            loss += nll.item<float>();
            using var batch = b.Batch.ToScalar();
            return nll.div(batch);
        }
        Tensor[][] dFinal; using (PhaseProfiler.Measure(Phase.DecoderReverse)) dFinal = decoder.Rnn.Backward(decTape, decIn, StepLoss);

        // 4. The bank's gradient: into the embedding (a few source positions at a time, so no [S, B, E] copies
        //    are alive) and, as per-step slice gradients, into the encoder's reversal. The bank and its
        //    gradient are freed before the encoder's reversal starts.
        var e = UsesEmbedding ? Config.Embedding : 0;
        Tensor? sliceGrad = null;
        using (PhaseProfiler.Measure(Phase.BankGradient))
        using (var bankGrad = bank.grad!)
        {
            if (UsesEmbedding)
                for (var s0 = 0; s0 < b.SrcSteps; s0 += EmbeddingGradientChunk)
                {
                    using var chunkScope = NewDisposeScope();
                    var n = Math.Min(EmbeddingGradientChunk, b.SrcSteps - s0);
                    var grad = bankGrad.narrow(1, s0, n).narrow(2, 0, e).transpose(0, 1);
                    using (PhaseProfiler.Measure(Phase.Backward)) torch.autograd.backward([encoder.Embed(b.Src.narrow(0, s0, n), m.EncoderEmbedding)], [grad.contiguous()]);
                }
            if (SliceColumns > 0)
                sliceGrad = LockedDropout.Apply(bankGrad.narrow(2, e, SliceColumns).transpose(0, 1), m.Bank).contiguous();
        }
        bank.Dispose();
        Func<int, Tensor, Tensor?>? encLoss = sliceGrad is null ? null : (t, top) => SliceOf(top).mul(sliceGrad[t]).sum();
        Tensor[][] dInitial; using (PhaseProfiler.Measure(Phase.EncoderReverse)) dInitial = encRnn.Backward(encTape, encIn, encLoss, dFinal);
        foreach (var g in dInitial.Concat(dFinal)) foreach (var p in g) p.Dispose();
        return (loss, encBits, decBits);
    }

    /// <summary>Source positions per embedding backward in the reversal path (bounds its temporaries).</summary>
    private const int EmbeddingGradientChunk = 8;

    /// <summary>Bits per batch from the tapes (before reversal). Source token ids (32 bits each) are counted
    /// for banks with embeddings, which are recomputed from them.</summary>
    private (MemoryBits Encoder, MemoryBits Decoder) Accounting(ReversalTape enc, ReversalTape dec, PreparedBatch b)
    {
        var ids = UsesEmbedding ? 32L * b.Batch * b.SrcSteps : 0;
        return (new MemoryBits(enc.BaselineBits, enc.ActualBits + ids, enc.OptimalBits + ids),
            new MemoryBits(dec.BaselineBits, dec.ActualBits, dec.OptimalBits));
    }

    public override DecoderState Start(IReadOnlyList<int[]> sources)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (src, lengths, mask, steps) = PreparedBatch.Sources(sources);
        var rnn = encoder.Rnn;
        var state = rnn.ZeroState(sources.Count);
        var slices = new List<Tensor>();
        for (var t = 0; t < steps; t++)
        {
            using var step = t.ToScalar();
            state = rnn.Step(encoder.Embed(src[t], null), state, lengths.gt(step));
            if (SliceColumns > 0) slices.Add(rnn.Format.ToFloat(rnn.SavedOf(state)));
        }
        var bank = Bank(UsesEmbedding ? encoder.Embed(src, null) : null, SliceColumns > 0 ? stack(slices) : null, null).contiguous();
        return new DecoderState([bank, mask, .. state.Layers.SelectMany(c => c.Parts.Select(p => p.Int))]);
    }

    public override (Tensor LogProbs, DecoderState Next) Step(Tensor previousTokens, DecoderState state)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bank = state.Tensors[0];
        var mask = state.Tensors[1];
        var rnn = decoder.Rnn;
        var parts = rnn.PartCount;
        var current = new RnnState([.. Enumerable.Range(0, rnn.Layers).Select(l => new CellState(
            [.. state.Tensors.Skip(2 + l * parts).Take(parts).Select(i => new Part(i, null, rnn.Format))]))]);
        var next = rnn.Step(decoder.Embed(previousTokens, null), current);
        var logProbs = InferenceLogProbs(decoder.Attention, next.TopOutput, bank, mask);
        var nextInts = next.Layers.SelectMany(c => c.Parts.Select(p => p.Int))
            .Select(i => state.Tensors.Contains(i) ? i.alias() : i);
        var nextState = new DecoderState([bank.alias(), mask.alias(), .. nextInts]);
        return (logProbs.MoveToOuterDisposeScope(), nextState);
    }
}
