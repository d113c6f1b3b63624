// TrainingData: the data pipeline of a run. Reads the train and valid pairs of the configured corpus, learns the
// tokenizer pair on the training side (or reuses the one of a checkpoint), encodes both splits (no BOS/EOS: the
// model adds them) and drops training pairs longer than data.max_length subword tokens. Guarantees: the corpus
// comes from RunCorpus (configured splits checked against the manifest first); data.lowercase lowercases
// both sides before learning/encoding; validation keeps every pair and its raw reference for BLEU; the result
// is a pure function of config + tokenizer, so a resumed run sees exactly the same examples.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model.Tokenization;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Training.Data;

namespace Seq2SeqRev.Training;

public sealed class TrainingData
{
    public required TokenizerPair Tokenizers { get; init; }
    public required IReadOnlyList<int[]> TrainSources { get; init; }
    public required IReadOnlyList<int[]> TrainTargets { get; init; }
    public required IReadOnlyList<int[]> ValidSources { get; init; }
    public required IReadOnlyList<int[]> ValidTargets { get; init; }
    /// <summary>Raw validation target lines (as in the file), aligned with ValidSources.</summary>
    public required IReadOnlyList<string> ValidReferences { get; init; }
    public required string Summary { get; init; }

    /// <param name="corpus">From <see cref="RunCorpus.Corpus"/>.</param>
    /// <param name="tokenizers">Tokenizer to reuse (resume); null = learn one on the training split.</param>
    public static TrainingData Load(RunConfig config, ResolvedCorpus corpus, TokenizerPair? tokenizers, Action<string> log)
    {
        var d = config.Data;
        log($"corpus {corpus.Manifest.Name} ({d.SrcLang}-{d.TgtLang}) from {corpus.Directory} [{corpus.Origin}]");

        var train = Read(corpus, d.Train, d, log);
        var valid = Read(corpus, d.Valid, d, log);
        string Norm(string s) => d.Lowercase ? s.ToLowerInvariant() : s;

        if (tokenizers is null)
        {
            tokenizers = TokenizerPair.Learn(train.Select(p => Norm(p.Source)), train.Select(p => Norm(p.Target)),
                config.Tokenizer.VocabSize, config.Tokenizer.Joint);
            log($"tokenizer learned: {(tokenizers.IsJoint ? "joint" : "separate")}, vocab {tokenizers.Source.VocabSize}/{tokenizers.Target.VocabSize}");
        }

        var trainSrc = new List<int[]>(train.Count);
        var trainTgt = new List<int[]>(train.Count);
        int tooLong = 0;
        foreach (var pair in train)
        {
            var s = tokenizers.Source.Encode(Norm(pair.Source));
            var t = tokenizers.Target.Encode(Norm(pair.Target));
            if (s.Length > d.MaxLength || t.Length > d.MaxLength) { tooLong++; continue; }
            trainSrc.Add(s);
            trainTgt.Add(t);
        }
        if (trainSrc.Count == 0)
            throw new UserError($"data.max_length = {d.MaxLength} leaves no training pair of {train.Count} (allowed: a larger limit)");
        var summary = $"train: {trainSrc.Count} pairs kept, {tooLong} dropped as longer than {d.MaxLength} subword tokens; valid: {valid.Count} pairs";
        log(summary);
        return new TrainingData
        {
            Tokenizers = tokenizers,
            TrainSources = trainSrc,
            TrainTargets = trainTgt,
            ValidSources = valid.Select(p => tokenizers.Source.Encode(Norm(p.Source))).ToList(),
            ValidTargets = valid.Select(p => tokenizers.Target.Encode(Norm(p.Target))).ToList(),
            ValidReferences = valid.Select(p => p.Target).ToList(),
            Summary = summary,
        };
    }

    private static List<SentencePair> Read(ResolvedCorpus corpus, string split, DataConfig d, Action<string> log)
    {
        var reader = new ParallelCorpusReader(corpus.PathOf(split, d.SrcLang), corpus.PathOf(split, d.TgtLang));
        var pairs = reader.ReadAll();
        log($"{split}: {reader.Stats}");
        foreach (var warning in reader.Stats.Warnings) log("warning: " + warning);
        if (pairs.Count == 0) throw new UserError($"{reader.SourcePath}: split '{split}' has no usable sentence pair");
        return pairs;
    }
}
