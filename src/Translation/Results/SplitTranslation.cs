// SplitTranslation: one corpus split translated and scored against its references, the one way `report`, `sweep` and
// the rescoring of exported runs do it. Guarantees: the hypotheses go to their file atomically (temp file, then rename;
// no file: nowhere); a reference file whose line count differs is a one-line UserError naming both files; the scores
// are sacreBLEU's BLEU, lowercased BLEU and chrF2 of the hypotheses with trailing whitespace stripped.
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Data;
using Seq2SeqRev.Scoring;

namespace Seq2SeqRev.Translation.Results;

/// <summary>BLEU, lowercased BLEU and chrF2 of one split.</summary>
public sealed record SplitScores(BleuScore Bleu, BleuScore BleuLowercase, ChrfScore Chrf);

internal static class SplitTranslation
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The three scores of <paramref name="hyps"/> (already stripped) against one reference stream.</summary>
    public static SplitScores Score(IReadOnlyList<string> hyps, IReadOnlyList<string?> references)
    {
        IReadOnlyList<IReadOnlyList<string?>> refs = [references];
        return new SplitScores(Bleu.CorpusScore(hyps, refs, BleuOptions.Default),
            Bleu.CorpusScore(hyps, refs, new BleuOptions { Lowercase = true }), Chrf.CorpusScore(hyps, refs, ChrfOptions.Default));
    }

    /// <summary>Translates <paramref name="sourcePath"/> into <paramref name="hypPath"/> (null: nowhere) and scores the
    /// best hypotheses against <paramref name="references"/>, read from <paramref name="referencePath"/>.</summary>
    public static (TranslationSummary Summary, SplitScores Scores) TranslateAndScore(Translator translator, string sourcePath,
        string referencePath, IReadOnlyList<string> references, string? hypPath, Action<string> log, CancellationToken cancel)
    {
        TranslationSummary summary = null!;
        using (var input = new LineReader(sourcePath))
        {
            if (hypPath is null) summary = translator.Run(input, TextWriter.Null, m => log($"warning: {m}"), keepBest: true, cancel: cancel);
            else
                AtomicFile.WriteOutput(hypPath, stream =>
                {
                    using var writer = new StreamWriter(stream, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
                    summary = translator.Run(input, writer, m => log($"warning: {m}"), keepBest: true, cancel: cancel);
                });
        }
        if (references.Count != summary.Lines)
            throw new UserError($"{referencePath}: {references.Count} reference lines but {sourcePath} has {summary.Lines} lines");
        return (summary, Score([.. summary.Best!.Select(PythonText.RStrip)], references));
    }
}
