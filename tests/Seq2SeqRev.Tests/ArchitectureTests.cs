// ArchitectureTests: the map of docs/ARCHITECTURE.md, enforced on the compiled assemblies — dependencies point one
// way (neural pieces ← model ← training ← translation ← executables), the scorer and the command-line plumbing never
// reach TorchSharp, and no model is configured by a training-strategy string.
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

    [Theory]
    [InlineData("Seq2SeqRev.Reversible", new string[0])]
    [InlineData("Seq2SeqRev.Attention", new[] { "Seq2SeqRev.Reversible" })]
    [InlineData("Seq2SeqRev.Encoder", new[] { "Seq2SeqRev.Reversible" })]
    [InlineData("Seq2SeqRev.Decoder", new[] { "Seq2SeqRev.Reversible", "Seq2SeqRev.Attention" })]
    [InlineData("Seq2SeqRev.Model", new[] { "Seq2SeqRev.Reversible", "Seq2SeqRev.Attention", "Seq2SeqRev.Encoder", "Seq2SeqRev.Decoder", "Seq2SeqRev.Cli" })]
    public void DependenciesPointOneWay(string assembly, string[] allowed)
    {
        var ours = Closure(assembly).Where(n => n.StartsWith("Seq2SeqRev.", StringComparison.Ordinal));
        Assert.All(ours, n => Assert.Contains(n, allowed));
    }

    [Fact]
    public void NoModelTakesATrainingStrategy()
    {
        var models = typeof(Seq2SeqModel).Assembly.GetTypes().Where(t => typeof(Seq2SeqModel).IsAssignableFrom(t));
        foreach (var ctor in models.SelectMany(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)))
            Assert.DoesNotContain(ctor.GetParameters(), p => p.ParameterType == typeof(string) && p.Name != "name");
    }
}
