// OptimizerTests: our Adam and SGD (src/Training/Optimizers) against TorchSharp's optim.Adam and optim.SGD on
// the same gradients: every parameter and the saved optimizer state byte for byte after every one of 24 steps, with
// a learning-rate change and a step where one parameter has no gradient; saved states round-trip between ours and
// TorchSharp's in both directions and resuming from them is bit-identical; unsupported options are refused.
using System.Text;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using OurAdam = Seq2SeqRev.Training.Optimizers.Adam;
using OurSgd = Seq2SeqRev.Training.Optimizers.SGD;

namespace Seq2SeqRev.Tests.Training;

public sealed class OptimizerTests
{
    private const int Steps = 24, LrChangeAt = 9, NoGradAt = 15;

    /// <summary>A small model with the parameter shapes of the real ones (embedding, GRU cell, linear).</summary>
    private sealed class Small : nn.Module
    {
        public readonly Embedding Embedding = nn.Embedding(11, 6);
        public readonly GRUCell Cell = nn.GRUCell(6, 5);
        public readonly Linear Output = nn.Linear(5, 11);

        public Small(long seed) : base("small")
        {
            RegisterComponents();
            using var g = new Generator((ulong)seed);
            using var noGrad = no_grad();
            foreach (var p in parameters()) p.copy_(randn(p.shape, generator: g));
        }
    }

    /// <summary>Ours and TorchSharp's optimizer of one config name, and a learning rate our configs use.</summary>
    private static (Func<IEnumerable<Parameter>, double, OptimizerHelper> Ours,
        Func<IEnumerable<Parameter>, double, OptimizerHelper> TorchSharps, double Lr) Pair(string name) => name switch
    {
        "adam" => ((p, lr) => new OurAdam(p, lr), (p, lr) => optim.Adam(p, lr), 0.01),
        _ => ((p, lr) => new OurSgd(p, lr), (p, lr) => optim.SGD(p, lr), 0.2),
    };

    /// <summary>Sets the same pseudo-random gradient (scaled over several magnitudes) on both parameter lists;
    /// <paramref name="skip"/> gets none.</summary>
    private static void SetGradients(Generator g, List<Parameter> a, List<Parameter> b, int skip = -1)
    {
        for (int i = 0; i < a.Count; i++)
        {
            if (i == skip)
            {
                a[i].grad = null;
                b[i].grad = null;
                continue;
            }
            using var grad = randn(a[i].shape, generator: g);
            using var scale = (1e-3 * Math.Pow(10, i % 4)).ToScalar();
            grad.mul_(scale);
            a[i].grad = grad.clone();
            b[i].grad = grad.clone();
        }
    }

    private static void SetLearningRate(OptimizerHelper o, double lr)
    {
        foreach (var group in o.ParamGroups) group.LearningRate = lr;
    }

    private static byte[] State(OptimizerHelper o)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true)) o.save_state_dict(w);
        return stream.ToArray();
    }

    private static void Load(OptimizerHelper o, byte[] state)
    {
        using var r = new BinaryReader(new MemoryStream(state));
        o.load_state_dict(r);
    }

    private static void AssertSameParameters(List<Parameter> a, List<Parameter> b, string when)
    {
        for (int i = 0; i < a.Count; i++)
            Assert.True(a[i].bytes.SequenceEqual(b[i].bytes), $"parameter {i} differs {when}");
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void StepsAreBitIdenticalToTorchSharps(string name)
    {
        var o = Pair(name);
        using var ours = new Small(7);
        using var theirs = new Small(7);
        var pa = ours.parameters().ToList();
        var pb = theirs.parameters().ToList();
        using var oa = o.Ours(pa, o.Lr);
        using var ob = o.TorchSharps(pb, o.Lr);
        Assert.Equal(State(ob), State(oa));   // same type name, options and initial state
        using var g = new Generator(123);
        for (int step = 1; step <= Steps; step++)
        {
            if (step == LrChangeAt)
            {
                SetLearningRate(oa, o.Lr / 3);
                SetLearningRate(ob, o.Lr / 3);
            }
            SetGradients(g, pa, pb, skip: step == NoGradAt ? 1 : -1);
            oa.step();
            ob.step();
            AssertSameParameters(pa, pb, $"after step {step}");
            Assert.True(State(oa).SequenceEqual(State(ob)), $"optimizer state differs after step {step}");
        }
        using var initial = new Small(7);
        Assert.False(pa[0].bytes.SequenceEqual(initial.parameters().First().bytes), "the parameters did not move");
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void SavedStatesLoadBothWaysAndResumeBitIdentically(string name)
    {
        var o = Pair(name);
        // Reference: TorchSharp's optimizer for 2 x 10 steps. Ours resumes from TorchSharp's state (a checkpoint of
        // an earlier build), TorchSharp's from ours, each on a copy of the parameters at step 10.
        using var reference = new Small(3);
        using var oursFromTheirs = new Small(3);
        using var theirsFromOurs = new Small(3);
        var pr = reference.parameters().ToList();
        var px = oursFromTheirs.parameters().ToList();
        var py = theirsFromOurs.parameters().ToList();
        using var or = o.TorchSharps(pr, o.Lr);
        using var ox = o.Ours(px, o.Lr);
        using var g = new Generator(5);
        for (int step = 1; step <= 10; step++)
        {
            SetGradients(g, pr, px);
            or.step();
            ox.step();
        }
        Assert.True(State(or).SequenceEqual(State(ox)));
        using (no_grad())
            for (int i = 0; i < pr.Count; i++) py[i].copy_(pr[i]);

        using var resumedOurs = o.Ours(px, o.Lr);
        Load(resumedOurs, State(or));
        using var resumedTheirs = o.TorchSharps(py, o.Lr);
        Load(resumedTheirs, State(ox));
        Assert.Equal(State(or), State(resumedOurs));
        Assert.Equal(State(or), State(resumedTheirs));
        using var g2 = new Generator(6);
        for (int step = 11; step <= 20; step++)
        {
            SetGradients(g2, pr, px);
            for (int i = 0; i < py.Count; i++) py[i].grad = pr[i].grad!.clone();
            or.step();
            resumedOurs.step();
            resumedTheirs.step();
            AssertSameParameters(pr, px, $"after resumed step {step} (ours)");
            AssertSameParameters(pr, py, $"after resumed step {step} (TorchSharp's from ours)");
        }
        Assert.Equal(State(or), State(resumedOurs));
    }

    [Fact]
    public void UnsupportedOptionsAreRefused()
    {
        using var model = new Small(1);
        var p = model.parameters().ToList();
        using var amsgrad = optim.Adam(p, 0.01, amsgrad: true);
        using var adam = new OurAdam(p, 0.01);
        Load(adam, State(amsgrad));
        foreach (var x in p) x.grad = ones_like(x);
        Assert.Throws<NotSupportedException>(() => adam.step());

        using var momentum = optim.SGD(p, 0.1, momentum: 0.9);
        using var sgd = new OurSgd(p, 0.1);
        Load(sgd, State(momentum));
        Assert.Throws<NotSupportedException>(() => sgd.step());
    }

    [Fact]
    public void TheTrainersFactoryGivesOursForEachConfigName()
    {
        using var model = new Small(1);
        using var adam = Trainer.CreateOptimizer(new TrainingConfig { Optimizer = OptimizerKind.Adam }, model.parameters());
        using var sgd = Trainer.CreateOptimizer(new TrainingConfig { Optimizer = OptimizerKind.Sgd }, model.parameters());
        Assert.IsType<OurAdam>(adam);
        Assert.IsType<OurSgd>(sgd);
    }
}
