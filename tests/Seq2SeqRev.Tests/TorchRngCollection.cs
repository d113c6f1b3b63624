// TorchRngCollection: the one test collection for tests that seed and consume torch's process-global RNG (dropout
// masks, parameter initialisation, random batches) and compare bit for bit or reproduce masks across two models.
// Guarantee: its tests never run in parallel with any other test (xUnit runs such collections alone, after the
// parallel ones), so nothing else draws from the generator between a test's reseed and its draws.
using Xunit;

namespace Seq2SeqRev.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRngCollection
{
    public const string Name = "torch global RNG";
}
