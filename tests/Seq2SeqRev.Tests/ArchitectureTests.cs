// ArchitectureTests: the map of docs/ARCHITECTURE.md, enforced on the compiled assemblies — every src assembly is
// named with the assemblies it may reach (neural pieces ← model ← runs ← training / translation ← executables;
// inference never reaches the trainer), the scorer and the command-line plumbing never reach TorchSharp, and no model
// is configured by a training-strategy string.
using System.Reflection;
using Seq2SeqRev.Model;
using Xunit;

namespace Seq2SeqRev.Tests;

public class ArchitectureTests
{
    /// <summary>Every Seq2SeqRev and TorchSharp assembly <paramref name="name"/> references, directly or not.</summary>
    private static HashSet<string> Closure(string name)
    {
        var seen = new HashSet<string>();
        var queue = new Queue<string>([name]);
        while (queue.Count > 0)
        {
            var next = queue.Dequeue();
            foreach (var r in Assembly.Load(next).GetReferencedAssemblies())
                if (r.Name is { } n && (n.StartsWith("Seq2SeqRev.", StringComparison.Ordinal) || n == "TorchSharp") && seen.Add(n))
                    if (n != "TorchSharp") queue.Enqueue(n);
        }
        return seen;
    }

    [Theory]
    [InlineData("Seq2SeqRev.Scoring")]
    [InlineData("Seq2SeqRev.Cli")]
    public void TextToolsNeverReachTorchSharp(string assembly) => Assert.DoesNotContain("TorchSharp", Closure(assembly));

    private const string Reversible = "Seq2SeqRev.Reversible", Attention = "Seq2SeqRev.Attention", Encoder = "Seq2SeqRev.Encoder",
        Decoder = "Seq2SeqRev.Decoder", Model = "Seq2SeqRev.Model", Cli = "Seq2SeqRev.Cli", Scoring = "Seq2SeqRev.Scoring",
        Runs = "Seq2SeqRev.Runs", Training = "Seq2SeqRev.Training", Translation = "Seq2SeqRev.Translation",
        Benchmarks = "Seq2SeqRev.Benchmarks", Train = "Seq2SeqRev.Train", Translate = "Seq2SeqRev.Translate",
        MemoryAccounting = "Seq2SeqRev.Memory.Accounting", MemoryMeasurement = "Seq2SeqRev.Memory.Measurement";

    private static readonly string[] Neural = [Reversible, Attention, Encoder, Decoder];

    /// <summary>Every src assembly and the Seq2SeqRev assemblies it may reach, directly or not (docs/ARCHITECTURE.md's
    /// diagram). Inference (Translation, Translate) never reaches Training; Model never reaches Cli.</summary>
    public static readonly Dictionary<string, string[]> Allowed = new()
    {
        [Reversible] = [],
        [Attention] = [Reversible],
        [Encoder] = [Reversible],
        [Decoder] = [Reversible, Attention],
        [Model] = Neural,
        [Cli] = [],
        [Scoring] = [Cli],
        [Runs] = [.. Neural, Model, Cli],
        [MemoryAccounting] = [Reversible, Cli],
        [Training] = [.. Neural, Model, Cli, Runs, Scoring, MemoryAccounting],
        [MemoryMeasurement] = [.. Neural, Model, Cli, Runs, Scoring, MemoryAccounting, Training],
        [Translation] = [.. Neural, Model, Cli, Runs, Scoring, MemoryAccounting],
        [Benchmarks] = [.. Neural, Model, Cli, Runs, Scoring, MemoryAccounting, Training, MemoryMeasurement, Translation],
        [Train] = [.. Neural, Model, Cli, Runs, Scoring, MemoryAccounting, Training, MemoryMeasurement, Translation, Benchmarks],
        [Translate] = [.. Neural, Model, Cli, Runs, Scoring, MemoryAccounting, Translation],
    };

    public static TheoryData<string> Assemblies() => [.. Allowed.Keys];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void DependenciesPointOneWay(string assembly)
    {
        var ours = Closure(assembly).Where(n => n.StartsWith("Seq2SeqRev.", StringComparison.Ordinal));
        Assert.All(ours, n => Assert.Contains(n, Allowed[assembly]));
    }

    /// <summary>The map above names every Seq2SeqRev assembly the tests are built with (all of src), no more.</summary>
    [Fact]
    public void EverySrcAssemblyIsInTheMap()
    {
        var built = Directory.GetFiles(AppContext.BaseDirectory, "Seq2SeqRev.*.dll")
            .Select(Path.GetFileNameWithoutExtension).Where(n => n != "Seq2SeqRev.Tests").Order().ToList();
        Assert.Equal(Allowed.Keys.Order(), built);
    }

    [Fact]
    public void NoModelTakesATrainingStrategy()
    {
        var models = typeof(Seq2SeqModel).Assembly.GetTypes().Where(t => typeof(Seq2SeqModel).IsAssignableFrom(t));
        foreach (var ctor in models.SelectMany(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)))
            Assert.DoesNotContain(ctor.GetParameters(), p => p.ParameterType == typeof(string) && p.Name != "name");
    }
}
