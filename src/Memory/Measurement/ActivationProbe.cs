// ActivationProbe: one measurement of a training step's activation memory, run inside a fresh child process
// (see ProbeLauncher). Builds the model (untrained, vocabulary = tokenizer.vocab_size on both sides) and an
// optimizer, runs one warm-up step and an optimizer update so that parameters, gradients and optimizer state
// are allocated, zeroes the gradients in place, resets the kernel's peak resident set and runs one forward +
// backward (TrainStep) on a synthetic batch of exactly SeqLen tokens per sentence. Guarantees: PeakBytes =
// peak resident set during that step minus the resident set just before it (activations and temporaries
// only); StepMs = median of TimedSteps forward + backward passes (the measured one included, no optimizer
// update); ExtraBytes (a tensor of ones allocated inside the measured window) exists to validate the method.
using System.Diagnostics;
using System.Text.Json;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Memory;

public sealed record ProbeRequest(RunConfig Config, int SeqLen, int Batch, int TimedSteps = 3, long ExtraBytes = 0, int Seed = 1);

public sealed record ProbeResult(long PeakBytes, double StepMs, long ResidentBeforeBytes)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["peak_bytes"] = PeakBytes, ["step_ms"] = Math.Round(StepMs, 2), ["resident_before_bytes"] = ResidentBeforeBytes,
    });

    public static ProbeResult FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        return new ProbeResult(r.GetProperty("peak_bytes").GetInt64(), r.GetProperty("step_ms").GetDouble(),
            r.GetProperty("resident_before_bytes").GetInt64());
    }
}

public static class ActivationProbe
{
    public static ProbeResult Run(ProbeRequest request)
    {
        ProcessMemory.RequireSupported();
        var config = request.Config;
        torch.set_num_threads(1);
        torch.manual_seed(request.Seed);
        int vocab = config.Tokenizer.VocabSize;
        using var model = TrainableModel.Create(config.Model, config.Training, vocab, vocab);
        model.Module.train();
        var parameters = model.Module.parameters().ToList();
        using var optimizer = Trainer.CreateOptimizer(config.Training, parameters);
        var batch = SyntheticBatch.Create(request.Batch, request.SeqLen, vocab, request.Seed);

        model.TrainStep(batch);                    // warm-up: allocates .grad
        optimizer.step();                          // allocates optimizer state (Adam moments)
        using (no_grad())
            foreach (var p in parameters) p.grad?.zero_();

        var times = new List<double>();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = ProcessMemory.ResidentBytes();
        ProcessMemory.ResetPeak();
        long start = Stopwatch.GetTimestamp();
        using (var extra = request.ExtraBytes > 0 ? torch.ones(request.ExtraBytes / 4, ScalarType.Float32) : null)
        {
            using (AllocTrace.Window())
            using (ResidentTrace.Window())
                model.TrainStep(batch);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        long peak = ProcessMemory.PeakResidentBytes() - before;

        for (int i = 1; i < request.TimedSteps; i++)
        {
            start = Stopwatch.GetTimestamp();
            model.TrainStep(batch);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        return new ProbeResult(peak, median, before);
    }
}
