// CheckpointAverage: checkpoint averaging (as Marian, fairseq and OpenNMT-py offer it): the element-wise mean of the
// parameters of several checkpoints of one model. Guarantees: the mean of every floating-point tensor of the state
// (parameters and buffers) is summed in float64 in the order given and rounded once to the tensor's type, so it is
// deterministic; the result keeps the newest (last given) checkpoint's config, tokenizers, optimizer and RNG sections,
// and its trainer state marked finished ("average of ..."), so `train --resume` never continues from it; translate,
// report and sweep read it as any checkpoint. Problems are one-line UserErrors naming the file: fewer than one
// checkpoint, a missing or unreadable one, other tokenizers, or parameters whose names or shapes differ.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Translation;

public static class CheckpointAverage
{
    /// <summary>The mean of the checkpoints at <paramref name="paths"/>, oldest first (the last one gives the metadata).</summary>
    public static Checkpoint Average(IReadOnlyList<string> paths, string description)
    {
        if (paths.Count == 0) throw new UserError("average: no checkpoint to average");
        var newestPath = paths[^1];
        var newest = Checkpoint.Load(newestPath);
        var config = newest.Config();
        var tokenizers = newest.Tokenizers(newestPath);
        using var model = Seq2SeqModel.Create(config.Model.ToSpec(), tokenizers.Source.VocabSize, tokenizers.Target.VocabSize);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var sums = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var checkpoint = path == newestPath ? newest : Checkpoint.Load(path);
            if (!checkpoint.Tokenizer.AsSpan().SequenceEqual(newest.Tokenizer))
                throw new UserError($"{path}: its tokenizers differ from those of {newestPath} (checkpoints of different runs?)");
            try { checkpoint.RestoreModel(model); }
            catch (ArgumentException e)
            {
                throw new UserError($"{path}: its parameters do not match those of {newestPath} ({e.Message.Split('\n')[0]})");
            }
            foreach (var (name, tensor) in model.state_dict())
            {
                if (!tensor.is_floating_point()) continue;
                var value = tensor.to(float64, copy: true);
                if (!sums.TryGetValue(name, out var sum)) sums[name] = value;
                else
                {
                    sum.add_(value, Scalars.UnitAlpha);
                    value.Dispose();
                }
            }
        }

        // the model now holds the newest checkpoint's state: replace its floating-point tensors by the means
        using var count = paths.Count.ToScalar();
        foreach (var (name, tensor) in model.state_dict())
            if (sums.TryGetValue(name, out var sum)) tensor.copy_(sum.div(count).to(tensor.dtype));
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true)) model.save(w);
        return new Checkpoint
        {
            ConfigYaml = newest.ConfigYaml,
            Tokenizer = newest.Tokenizer,
            Model = bytes.ToArray(),
            Optimizer = newest.Optimizer,
            State = newest.State with { FinishedReason = description },
            Rng = newest.Rng,
        };
    }

    /// <summary>The newest <paramref name="last"/> epoch checkpoints of a run folder (training.keep_checkpoints), oldest
    /// first; a missing folder or fewer kept checkpoints is a one-line UserError.</summary>
    public static IReadOnlyList<string> LastOfRun(string runDir, int last)
    {
        if (last < 1) throw new UserError($"--last must be at least 1 (got {last})");
        if (!Directory.Exists(runDir)) throw new UserError($"{runDir}: no such run directory");
        var kept = EpochCheckpoints.List(runDir);
        if (kept.Count < last)
            throw new UserError(kept.Count == 0
                ? $"{runDir}: no epoch checkpoints (epoch-NN.ckpt) to average; train with training.keep_checkpoints >= {last}"
                : $"{runDir}: {kept.Count} epoch checkpoint(s) ({string.Join(", ", kept.Select(k => Path.GetFileName(k.Path)))}), fewer than --last {last}");
        return [.. kept.Skip(kept.Count - last).Select(k => k.Path)];
    }
}
