// SyntheticBatch: random training batches of an exact length, for memory measurement and accounting without a
// corpus. Guarantees: every sentence (source and target) has exactly `length` tokens drawn uniformly from the
// ordinary ids (no pad/unk/bos/eos), reproducibly from `seed`.
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Memory;

public static class SyntheticBatch
{
    /// <summary>First id that is not a special token (pad 0, unk 1, bos 2, eos 3).</summary>
    public const int FirstOrdinaryId = 4;

    public static TrainingBatch Create(int sentences, int length, int vocabSize, int seed)
    {
        if (vocabSize <= FirstOrdinaryId) throw new ArgumentOutOfRangeException(nameof(vocabSize), $"vocabulary {vocabSize} has no ordinary ids");
        var rng = new Random(seed);
        int[] Sentence() => Enumerable.Range(0, length).Select(_ => rng.Next(FirstOrdinaryId, vocabSize)).ToArray();
        var sources = Enumerable.Range(0, sentences).Select(_ => Sentence()).ToList();
        var targets = Enumerable.Range(0, sentences).Select(_ => Sentence()).ToList();
        return new TrainingBatch(sources, targets);
    }
}
