using TorchSharp;
using Xunit;
namespace Seq2SeqRev.Tests;
public class SmokeTests
{
    [Fact]
    public void TorchSharpLoads() => Assert.Equal(3f, torch.ones(3).sum().item<float>());
}
