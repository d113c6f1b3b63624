// MemoryAccounting: the memory accounting summed over batches, in both conventions of MemoryBits (the paper's: padded
// baseline, buffer + slices actual/optimal; held: everything kept between forward and backward over the unpadded
// baseline, by part) — for the encoder and the decoder separately. Guarantees: runs TrainStep in train mode (dropout as in
// training) on every batch and adds the per-batch bits; returns nulls for models that do not train by
// reversal (baselines, or reversible cells with training.memory = backprop); gradients are left zeroed.
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;
using TorchSharp;

namespace Seq2SeqRev.Memory;

public sealed record AccountingResult(MemoryBits? Encoder, MemoryBits? Decoder, int Batches, long Sentences = 0);

public static class MemoryAccounting
{
    public static bool Applies(RunConfig config) => config.MemoryMode == TrainingMemory.Reversal;

    public static AccountingResult Run(ITrainable model, IEnumerable<TrainingBatch> batches)
    {
        MemoryBits? enc = null, dec = null;
        int count = 0;
        long sentences = 0;
        model.Module.train();
        var parameters = model.Module.parameters().ToList();
        foreach (var batch in batches)
        {
            var r = model.TrainStep(batch);
            if (r.Encoder is { } e) enc = enc is null ? e : enc.Add(e);
            if (r.Decoder is { } d) dec = dec is null ? d : dec.Add(d);
            using (torch.no_grad())
                foreach (var p in parameters) p.grad?.zero_();
            count++;
            sentences += batch.Sources.Count;
        }
        return new AccountingResult(enc, dec, count, sentences);
    }
}
