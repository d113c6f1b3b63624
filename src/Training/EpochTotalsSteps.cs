// EpochTotalsSteps: adds one training step's result to the running sums of the epoch (EpochTotals, saved with the
// trainer state in Runs). Guarantees: every sum grows by exactly that step's share; a step without an encoder or
// decoder accounting adds nothing to that side's counts.
using Seq2SeqRev.Runs;
namespace Seq2SeqRev.Training;

public static class EpochTotalsSteps
{
    public static EpochTotals Add(this EpochTotals t, StepResult r, double seconds) => t with
        {
            LossSum = t.LossSum + r.LossSum,
            Tokens = t.Tokens + r.Tokens,
            Batches = t.Batches + 1,
            Seconds = t.Seconds + seconds,
            EncoderBatches = t.EncoderBatches + (r.Encoder is null ? 0 : 1),
            EncoderActual = t.EncoderActual + (r.Encoder?.SavingActual ?? 0),
            EncoderOptimal = t.EncoderOptimal + (r.Encoder?.SavingOptimal ?? 0),
            DecoderBatches = t.DecoderBatches + (r.Decoder is null ? 0 : 1),
            DecoderActual = t.DecoderActual + (r.Decoder?.SavingActual ?? 0),
            DecoderOptimal = t.DecoderOptimal + (r.Decoder?.SavingOptimal ?? 0),
            EncoderHeld = t.EncoderHeld + (r.Encoder?.SavingHeld ?? 0),
            EncoderHeldLimit = t.EncoderHeldLimit + (r.Encoder?.SavingHeldLimit ?? 0),
            DecoderHeld = t.DecoderHeld + (r.Decoder?.SavingHeld ?? 0),
            DecoderHeldLimit = t.DecoderHeldLimit + (r.Decoder?.SavingHeldLimit ?? 0),
        };
}
