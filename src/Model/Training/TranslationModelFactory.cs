// TranslationModelFactory: STAND-IN of the wt-train branch so the trainer compiles; the real factory (the
// RevGRU/RevLSTM attention model) lands with the model branch and replaces this file at merge.
using Seq2SeqRev.Model.Config;

namespace Seq2SeqRev.Model.Training;

public static class TranslationModelFactory
{
    public static ITranslationModel Create(ModelConfig model, TrainingConfig training, int sourceVocabSize, int targetVocabSize) =>
        throw new NotImplementedException("the translation model is not merged into this build yet");
}
