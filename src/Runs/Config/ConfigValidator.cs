// ConfigValidator: rules that involve more than one key (cell vs. memory bank, slice size,
// reversal memory, language pair, learning-rate floor). Errors name the offending key and the
// location where it (or the related key that made it invalid) was set.
using Seq2SeqRev.Encoders;

namespace Seq2SeqRev.Runs.Config;

/// <summary>Cross-key checks on a fully bound, resolved config.</summary>
internal static class ConfigValidator
{
    /// <param name="where">Location of every key that was set explicitly.</param>
    /// <param name="fallback">Location used when only defaults are involved.</param>
    public static void Validate(RunConfig c, IReadOnlyDictionary<string, SourceLocation> where, SourceLocation fallback)
    {
        var m = c.Model;
        var t = c.Training;
        var bank = m.MemoryBank;
        var cell = SettingNames.Cells.NameOf(m.Cell);
        var bankWord = SettingNames.MemoryBanks.NameOf(m.MemoryBank);
        if (m.IsReversible && m.Hidden % 2 != 0)
            Fail("model.hidden", $"model.hidden = {m.Hidden} must be even for model.cell = {cell} (allowed: even integers >= 2)", "model.cell");
        if (!m.IsReversible && bank != MemoryBankKind.Hidden)
            Fail("model.memory_bank", $"model.memory_bank = {bankWord} is not allowed for model.cell = {cell} (allowed: hidden)", "model.cell");
        if (bank is MemoryBankKind.Hidden or MemoryBankKind.Embedding && m.Slice != 0)
            Fail("model.slice", $"model.slice = {m.Slice} is not allowed with model.memory_bank = {bankWord} (allowed: 0)", "model.memory_bank");
        if (bank is MemoryBankKind.Slice or MemoryBankKind.EmbeddingAndSlice && (m.Slice < 1 || m.Slice > m.Hidden))
            Fail("model.slice", $"model.slice = {m.Slice} is not allowed with model.memory_bank = {bankWord} and model.hidden = {m.Hidden} (allowed: 1..{m.Hidden})", "model.memory_bank", "model.hidden");
        if (!m.IsReversible && c.MemoryMode == TrainingMemory.Reversal)
            Fail("training.memory", $"training.memory = reversal is not allowed for model.cell = {cell} (allowed: backprop, checkpoint, auto)", "model.cell");
        if (t.LossHead == LossHead.Autograd && t.LossShard != 0)
            Fail("training.loss_head", $"training.loss_head = autograd is not allowed with training.loss_shard = {t.LossShard} (allowed: loss_shard 0, or loss_head written)", "training.loss_shard");
        if (c.Device == ComputeDevice.Cuda)
            Fail("device", "device = cuda is not supported: this build uses the CPU-only LibTorch (allowed: cpu)");
        if (c.Data.SrcLang == c.Data.TgtLang)
            Fail("data.tgt_lang", $"data.tgt_lang = {c.Data.TgtLang} equals data.src_lang (allowed: a language other than {c.Data.SrcLang})", "data.src_lang");
        if (t.MinLearningRate >= t.LearningRate)
            Fail("training.min_learning_rate", $"training.min_learning_rate = {t.MinLearningRate} is not allowed with training.learning_rate = {t.LearningRate} (allowed: below the learning rate)", "training.learning_rate");

        void Fail(string key, string message, params string[] related)
        {
            var location = new[] { key }.Concat(related).Select(k => where.TryGetValue(k, out var l) ? l : (SourceLocation?)null)
                .FirstOrDefault(l => l is not null) ?? fallback;
            throw location.Error(message);
        }
    }
}
