// Seq2SeqTestKit: tiny configs (named with the config words, parsed by SettingNames as a config file is), random
// batches and gradient helpers for the seq2seq model tests.
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Tests.Model.Seq2Seq;

internal static class Seq2SeqTestKit
{
    public const int Vocab = 20;

    public static ModelConfig Config(string cell, string bank, int layers = 1, int hidden = 8, string attention = "general",
        double dropout = 0.3, int slice = 2, double paramInit = 0.3, string forget = "3") => new()
    {
        Cell = SettingNames.Cells.Parse(cell),
        Embedding = 8,
        Hidden = hidden,
        Layers = layers,
        Attention = SettingNames.Attentions.Parse(attention),
        MemoryBank = SettingNames.MemoryBanks.Parse(bank),
        Slice = bank is "slice" or "emb+slice" ? slice : 0,
        MaxForgetBits = SettingNames.ForgetLimits.Parse(forget),
        ParamInit = paramInit,
        Dropout = new DropoutConfig { Embedding = dropout, Hidden = dropout, Output = dropout, Slice = dropout },
    };

    public static ITrainable Create(ModelConfig config, string memory, long seed, int segment = 0, int lossShard = 0, int block = 1,
        string lossHead = "written", int chunk = 32, int reversalLossShard = 1)
    {
        torch.manual_seed(seed);
        return TrainableModel.Create(config, new TrainingConfig
        {
            Memory = SettingNames.MemoryModes.Parse(memory), CheckpointSegment = segment, LossShard = lossShard, ReversalBlock = block, LossHead = SettingNames.LossHeads.Parse(lossHead), AttentionChunk = chunk,
            ReversalLossShard = reversalLossShard,
        }, Vocab, Vocab);
    }

    /// <summary>Sentences of random length in [minLength, maxLength] over word ids 4..Vocab-1.</summary>
    public static TrainingBatch RandomBatch(int seed, int batch = 4, int minLength = 1, int maxLength = 7)
    {
        var random = new Random(seed);
        int[] Sentence() => [.. Enumerable.Range(0, random.Next(minLength, maxLength + 1)).Select(_ => random.Next(4, Vocab))];
        var sources = Enumerable.Range(0, batch).Select(_ => Sentence()).ToArray();
        var targets = Enumerable.Range(0, batch).Select(_ => Sentence()).ToArray();
        return new TrainingBatch(sources, targets);
    }

    public static void CopyParameters(ITrainable from, ITrainable to)
    {
        using var _ = no_grad();
        var source = from.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in to.Module.named_parameters()) p.copy_(source[name]);
    }

    /// <summary>Readies two models of one config for a gradient comparison: the reference's weights copied into the
    /// other, both in train mode.</summary>
    public static void Pair(ITrainable reference, ITrainable other)
    {
        CopyParameters(reference, other);
        reference.Module.train();
        other.Module.train();
    }

    /// <summary>One training step of each model on <paramref name="batch"/> from zeroed gradients, with the same
    /// dropout draws (the global generator seeded with <paramref name="rngSeed"/> before each step), at one torch
    /// thread: the comparisons check the algorithm, not how the machine splits a product or a sum over its threads.
    /// (With two threads and LibTorch's baseline CPU kernels, ATEN_CPU_CAPABILITY=default, one concat case of
    /// StreamingAttentionTests read 2.07e-5 at linear_out.weight, every time; at one thread 5.2e-7, as with the AVX2
    /// kernels at either count.) The callers run alone (TorchRngCollection), so the setting touches no other test.</summary>
    public static (StepResult Reference, StepResult Other) StepBoth(ITrainable reference, ITrainable other, TrainingBatch batch, long rngSeed)
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            reference.Module.zero_grad();
            other.Module.zero_grad();
            manual_seed(rngSeed);
            var a = reference.TrainStep(batch);
            manual_seed(rngSeed);
            return (a, other.TrainStep(batch));
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Gradients by parameter name (cloned, float64).</summary>
    public static Dictionary<string, Tensor> Gradients(ITrainable model) =>
        model.Module.named_parameters().ToDictionary(p => p.name,
            p => (p.parameter.grad ?? zeros_like(p.parameter)).to(ScalarType.Float64).clone().DetachFromDisposeScope());

    /// <summary>Largest ‖a − b‖ / ‖b‖ over parameters (with ‖b‖ floored at 1e-12), the parameter and whether
    /// every element is allclose(rtol, atol).</summary>
    public static (double WorstRelative, string WorstName, bool AllClose) Compare(Dictionary<string, Tensor> a,
        Dictionary<string, Tensor> b, double rtol = 1e-4, double atol = 1e-7)
    {
        double worst = 0;
        var worstName = "";
        var allClose = true;
        foreach (var (name, gb) in b)
        {
            var ga = a[name];
            var rel = (ga - gb).norm().item<double>() / Math.Max(gb.norm().item<double>(), 1e-12);
            if (rel > worst) { worst = rel; worstName = name; }
            allClose &= ga.allclose(gb, rtol, atol);
        }
        return (worst, worstName, allClose);
    }

    /// <summary>Plain SGD step and zeroed gradients.</summary>
    public static void SgdStep(ITrainable model, double lr)
    {
        using var _ = no_grad();
        foreach (var p in model.Module.parameters())
            if (p.grad is { } g)
            {
                using var rate = lr.ToScalar();
                p.sub_(g.mul(rate));
            }
        model.Module.zero_grad();
    }
}
