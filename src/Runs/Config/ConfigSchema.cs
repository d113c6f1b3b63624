// ConfigSchema: the complete list of YAML keys (snake_case, dotted by section), in the order
// ConfigWriter writes them. A key not listed here is an error wherever it appears.
using Seq2SeqRev.Model.Tokenization;

namespace Seq2SeqRev.Runs.Config;

/// <summary>All leaf keys and section names of a run config.</summary>
internal static class ConfigSchema
{
    /// <summary>Top-level key naming a base file (files only, never written back).</summary>
    public const string BaseKey = "base";

    public static readonly IReadOnlyList<string> Sections = ["data", "tokenizer", "model", "model.dropout", "training"];

    public static readonly IReadOnlyList<ConfigField> Fields =
    [
        FieldKinds.Text("name", false, c => c.Name, (c, v) => c with { Name = v! }),
        FieldKinds.Int("seed", 0, int.MaxValue, c => c.Seed, (c, v) => c with { Seed = v }),
        FieldKinds.Choice("device", SettingNames.Devices, c => c.Device, (c, v) => c with { Device = v }),

        FieldKinds.Text("data.corpus", false, c => c.Data.Corpus, (c, v) => c with { Data = c.Data with { Corpus = v! } }),
        FieldKinds.Text("data.corpora_dir", true, c => c.Data.CorporaDir, (c, v) => c with { Data = c.Data with { CorporaDir = v } }),
        FieldKinds.Text("data.src_lang", false, c => c.Data.SrcLang, (c, v) => c with { Data = c.Data with { SrcLang = v! } }),
        FieldKinds.Text("data.tgt_lang", false, c => c.Data.TgtLang, (c, v) => c with { Data = c.Data with { TgtLang = v! } }),
        FieldKinds.Text("data.train", false, c => c.Data.Train, (c, v) => c with { Data = c.Data with { Train = v! } }),
        FieldKinds.Text("data.valid", false, c => c.Data.Valid, (c, v) => c with { Data = c.Data with { Valid = v! } }),
        FieldKinds.TextList("data.test", c => c.Data.Test, (c, v) => c with { Data = c.Data with { Test = v } }),
        FieldKinds.Int("data.max_length", 1, int.MaxValue, c => c.Data.MaxLength, (c, v) => c with { Data = c.Data with { MaxLength = v } }),
        FieldKinds.Bool("data.lowercase", c => c.Data.Lowercase, (c, v) => c with { Data = c.Data with { Lowercase = v } }),

        FieldKinds.Bool("tokenizer.joint", c => c.Tokenizer.Joint, (c, v) => c with { Tokenizer = c.Tokenizer with { Joint = v } }),
        FieldKinds.Int("tokenizer.vocab_size", SubwordTokenizer.MinVocabSize, int.MaxValue, c => c.Tokenizer.VocabSize, (c, v) => c with { Tokenizer = c.Tokenizer with { VocabSize = v } }),

        FieldKinds.Choice("model.cell", SettingNames.Cells, c => c.Model.Cell, (c, v) => c with { Model = c.Model with { Cell = v } }),
        FieldKinds.Int("model.embedding", 1, int.MaxValue, c => c.Model.Embedding, (c, v) => c with { Model = c.Model with { Embedding = v } }),
        FieldKinds.Int("model.hidden", 1, int.MaxValue, c => c.Model.Hidden, (c, v) => c with { Model = c.Model with { Hidden = v } }),
        FieldKinds.Int("model.layers", 1, int.MaxValue, c => c.Model.Layers, (c, v) => c with { Model = c.Model with { Layers = v } }),
        FieldKinds.Choice("model.attention", SettingNames.Attentions, c => c.Model.Attention, (c, v) => c with { Model = c.Model with { Attention = v } }),
        FieldKinds.Choice("model.memory_bank", SettingNames.MemoryBanks, c => c.Model.MemoryBank, (c, v) => c with { Model = c.Model with { MemoryBank = v } }),
        FieldKinds.Int("model.slice", 0, int.MaxValue, c => c.Model.Slice, (c, v) => c with { Model = c.Model with { Slice = v } }),
        FieldKinds.Choice("model.max_forget_bits", SettingNames.ForgetLimits, c => c.Model.MaxForgetBits, (c, v) => c with { Model = c.Model with { MaxForgetBits = v } }),
        FieldKinds.Double("model.dropout.embedding", 0, false, 1, true, c => c.Model.Dropout.Embedding, (c, v) => c with { Model = c.Model with { Dropout = c.Model.Dropout with { Embedding = v } } }),
        FieldKinds.Double("model.dropout.hidden", 0, false, 1, true, c => c.Model.Dropout.Hidden, (c, v) => c with { Model = c.Model with { Dropout = c.Model.Dropout with { Hidden = v } } }),
        FieldKinds.Double("model.dropout.output", 0, false, 1, true, c => c.Model.Dropout.Output, (c, v) => c with { Model = c.Model with { Dropout = c.Model.Dropout with { Output = v } } }),
        FieldKinds.Double("model.dropout.slice", 0, false, 1, true, c => c.Model.Dropout.Slice, (c, v) => c with { Model = c.Model with { Dropout = c.Model.Dropout with { Slice = v } } }),
        FieldKinds.Double("model.param_init", 0, false, double.PositiveInfinity, false, c => c.Model.ParamInit, (c, v) => c with { Model = c.Model with { ParamInit = v } }),
        FieldKinds.Int("model.hidden_radix", 1, 52, c => c.Model.HiddenRadix, (c, v) => c with { Model = c.Model with { HiddenRadix = v } }),
        FieldKinds.Int("model.forget_radix", 1, 52, c => c.Model.ForgetRadix, (c, v) => c with { Model = c.Model with { ForgetRadix = v } }),

        FieldKinds.Int("training.epochs", 1, int.MaxValue, c => c.Training.Epochs, (c, v) => c with { Training = c.Training with { Epochs = v } }),
        FieldKinds.Choice("training.batch_type", SettingNames.BatchTypes, c => c.Training.BatchType, (c, v) => c with { Training = c.Training with { BatchType = v } }),
        FieldKinds.Int("training.batch_size", 1, int.MaxValue, c => c.Training.BatchSize, (c, v) => c with { Training = c.Training with { BatchSize = v } }),
        FieldKinds.Choice("training.optimizer", SettingNames.Optimizers, c => c.Training.Optimizer, (c, v) => c with { Training = c.Training with { Optimizer = v } }),
        FieldKinds.Double("training.learning_rate", 0, true, double.PositiveInfinity, false, c => c.Training.LearningRate, (c, v) => c with { Training = c.Training with { LearningRate = v } }),
        FieldKinds.Double("training.lr_decay", 0, true, 1, false, c => c.Training.LrDecay, (c, v) => c with { Training = c.Training with { LrDecay = v } }),
        FieldKinds.Int("training.lr_patience", 0, int.MaxValue, c => c.Training.LrPatience, (c, v) => c with { Training = c.Training with { LrPatience = v } }),
        FieldKinds.Double("training.min_learning_rate", 0, false, double.PositiveInfinity, false, c => c.Training.MinLearningRate, (c, v) => c with { Training = c.Training with { MinLearningRate = v } }),
        FieldKinds.Int("training.early_stopping", 0, int.MaxValue, c => c.Training.EarlyStopping, (c, v) => c with { Training = c.Training with { EarlyStopping = v } }),
        FieldKinds.Double("training.clip_grad_norm", 0, false, double.PositiveInfinity, false, c => c.Training.ClipGradNorm, (c, v) => c with { Training = c.Training with { ClipGradNorm = v } }),
        FieldKinds.AutoChoice("training.memory", SettingNames.MemoryModes, c => c.Training.Memory, (c, v) => c with { Training = c.Training with { Memory = v } }),
        FieldKinds.Int("training.checkpoint_segment", 0, int.MaxValue, c => c.Training.CheckpointSegment, (c, v) => c with { Training = c.Training with { CheckpointSegment = v } }),
        FieldKinds.Int("training.loss_shard", 0, int.MaxValue, c => c.Training.LossShard, (c, v) => c with { Training = c.Training with { LossShard = v } }),
        FieldKinds.Choice("training.loss_head", SettingNames.LossHeads, c => c.Training.LossHead, (c, v) => c with { Training = c.Training with { LossHead = v } }),
        FieldKinds.Int("training.reversal_block", 1, int.MaxValue, c => c.Training.ReversalBlock, (c, v) => c with { Training = c.Training with { ReversalBlock = v } }),
        FieldKinds.Int("training.attention_chunk", 0, int.MaxValue, c => c.Training.AttentionChunk, (c, v) => c with { Training = c.Training with { AttentionChunk = v } }),
        FieldKinds.Int("training.reversal_loss_shard", 0, int.MaxValue, c => c.Training.ReversalLossShard, (c, v) => c with { Training = c.Training with { ReversalLossShard = v } }),
        FieldKinds.Int("training.reversal_gc_mib", 0, int.MaxValue, c => c.Training.ReversalGcMib, (c, v) => c with { Training = c.Training with { ReversalGcMib = v } }),
        FieldKinds.Int("training.valid_beam", 1, int.MaxValue, c => c.Training.ValidBeam, (c, v) => c with { Training = c.Training with { ValidBeam = v } }),
        FieldKinds.Int("training.valid_max_sentences", 0, int.MaxValue, c => c.Training.ValidMaxSentences, (c, v) => c with { Training = c.Training with { ValidMaxSentences = v } }),
        FieldKinds.Int("training.log_every", 1, int.MaxValue, c => c.Training.LogEvery, (c, v) => c with { Training = c.Training with { LogEvery = v } }),
        FieldKinds.Int("training.max_steps", 0, int.MaxValue, c => c.Training.MaxSteps, (c, v) => c with { Training = c.Training with { MaxSteps = v } }),
        FieldKinds.Int("training.keep_checkpoints", 0, int.MaxValue, c => c.Training.KeepCheckpoints, (c, v) => c with { Training = c.Training with { KeepCheckpoints = v } }),
    ];

    private static readonly Dictionary<string, ConfigField> ByKey = Fields.ToDictionary(f => f.Key);

    public static ConfigField? Field(string key) => ByKey.GetValueOrDefault(key);
    public static bool IsSection(string key) => Sections.Contains(key);

    /// <summary>The short names allowed directly under a section ("" = top level), in schema order.</summary>
    public static IReadOnlyList<string> ChildrenOf(string section)
    {
        var prefix = section.Length == 0 ? "" : section + ".";
        return Fields.Select(f => f.Key).Concat(Sections)
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.Length > prefix.Length)
            .Select(k => k[prefix.Length..].Split('.')[0])
            .Distinct().OrderBy(Order).ToList();

        int Order(string child) // schema order: position of the first key under this child
        {
            var full = prefix + child;
            var index = Fields.ToList().FindIndex(f => f.Key == full || f.Key.StartsWith(full + ".", StringComparison.Ordinal));
            return index;
        }
    }
}
