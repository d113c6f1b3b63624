// BatchType: what training.batch_size counts (a config setting, parsed by SettingNames; the Batcher fills batches by it).
namespace Seq2SeqRev.Runs.Data;

public enum BatchType { Sentences, Tokens }
