// TranslationModelLoader: turns `--model RUN_DIR_OR_CHECKPOINT` into a ready-to-decode model. Guarantees: a run
// directory means its best.ckpt, else its last.ckpt (RunFolder.Checkpoint); the model is rebuilt from the checkpoint's own config and
// tokenizers, its parameters restored and put in eval mode (reversible models decode with the same weights and
// no information buffer); every problem — missing path, foreign/truncated/corrupted/other-version checkpoint, a
// config this build cannot read or build, parameters that do not fit the config (only a real mismatch of names, counts,
// shapes or types says so), parameters that cannot be read (named with the exception's type) — is one UserError line
// naming the file.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model;
using Seq2SeqRev.Model.Tokenization;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Translation;

/// <summary>A model restored from a checkpoint, with the config and tokenizers it was trained with.</summary>
public sealed class LoadedModel(string checkpointPath, RunConfig config, TokenizerPair tokenizers, Seq2SeqModel model) : IDisposable
{
    public string CheckpointPath { get; } = checkpointPath;
    public RunConfig Config { get; } = config;
    public TokenizerPair Tokenizers { get; } = tokenizers;
    public Seq2SeqModel Model { get; } = model;

    public void Dispose() => Model.Dispose();
}

public static class TranslationModelLoader
{
    public static LoadedModel Load(string modelPath)
    {
        var path = RunFolder.Checkpoint(modelPath);
        var checkpoint = Checkpoint.Load(path);
        RunConfig config;
        try { config = checkpoint.Config(); }
        catch (UserError e) { throw new UserError($"{path}: its config cannot be read by this build ({e.Message})"); }
        var tokenizers = checkpoint.Tokenizers(path);

        Seq2SeqModel model;
        try { model = Seq2SeqModel.Create(config.Model.ToSpec(), tokenizers.Source.VocabSize, tokenizers.Target.VocabSize); }
        catch (ArgumentException e) { throw new UserError($"{path}: its config does not describe a model this build can make ({FirstLine(e)})"); }
        try
        {
            checkpoint.RestoreModel(model);
            model.eval();
            return new LoadedModel(path, config, tokenizers, model);
        }
        catch (Exception e) when (IsMismatch(e))
        {
            model.Dispose();
            throw new UserError($"{path}: model parameters do not match the checkpoint's config ({FirstLine(e)})");
        }
        catch (Exception e) when (e is not UserError and not OutOfMemoryException)
        {
            model.Dispose();
            throw new UserError($"{path}: cannot restore the model parameters ({e.GetType().Name}: {FirstLine(e)})");
        }
    }

    /// <summary>TorchSharp's Module.load messages for saved parameters that are not the model's: other names or counts,
    /// shapes or element types. (Its "Mismatched data sizes" is data cut short, not a mismatch.)</summary>
    private static readonly string[] MismatchMessages =
    [
        "Mismatched state_dict sizes", "Mismatched module state names", "Mismatched tensor shape", "Mismatched tensor data types",
    ];

    /// <summary>A real mismatch between the saved parameters and the model the config builds.</summary>
    private static bool IsMismatch(Exception e) =>
        e is ArgumentException && MismatchMessages.Any(m => e.Message.StartsWith(m, StringComparison.Ordinal));

    private static string FirstLine(Exception e) => e.Message.Split('\n')[0];
}
