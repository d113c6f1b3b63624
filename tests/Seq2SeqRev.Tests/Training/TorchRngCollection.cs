// TorchRngCollection: trainer tests seed and consume torch's process-global RNG (dropout), so they must not run
// in parallel with each other or with any other test that draws from it; bit-identity checks depend on this.
using Xunit;

namespace Seq2SeqRev.Tests.Training;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRngCollection
{
    public const string Name = "torch global RNG";
}
