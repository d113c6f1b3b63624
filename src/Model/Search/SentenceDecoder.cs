// SentenceDecoder: the one home of "source ids → search → hypotheses / detokenized strings", shared by the
// trainer's validation and the translate command. Guarantees: BeamSize 1 runs GreedySearch (so `--beam 1` is
// exactly greedy decoding, whatever the length penalty), any larger beam runs BeamSearch; results come back in
// source order, one n-best list (at least one hypothesis, sorted by score descending) per source; no gradients
// are recorded; invalid options throw ArgumentException from SearchOptions.Validate.
using Seq2SeqRev.Model.Search;
using Seq2SeqRev.Model.Tokenization;
using TorchSharp;

namespace Seq2SeqRev.Model.Search;

public static class SentenceDecoder
{
    /// <summary>Up to <see cref="SearchOptions.NBest"/> hypotheses per source, in source order.</summary>
    public static IReadOnlyList<IReadOnlyList<Hypothesis>> Search(IStepDecoder model, IReadOnlyList<int[]> sources, SearchOptions options)
    {
        options.Validate();
        using var noGrad = torch.no_grad();
        if (options.BeamSize == 1)
            return GreedySearch.Translate(model, sources, options).Select(h => (IReadOnlyList<Hypothesis>)[h]).ToArray();
        return BeamSearch.Translate(model, sources, options);
    }

    /// <summary>The detokenized best translation of every source, in source order.</summary>
    public static List<string> Best(IStepDecoder model, SubwordTokenizer target, IReadOnlyList<int[]> sources, SearchOptions options) =>
        Search(model, sources, options).Select(nbest => target.Decode(nbest[0].Tokens)).ToList();
}
