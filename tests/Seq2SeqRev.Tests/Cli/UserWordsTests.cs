// UserWordsTests: help and errors speak the user's words — usage lines name the launcher, a bad number names the
// option and what it expects (no .NET type name), an option-like word among train's overrides is an unknown option
// with the key=value setting it most likely meant, --version names the commit, translate --help offers no CUDA.
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Tests.Training;
using Xunit;

namespace Seq2SeqRev.Tests.Cli;

public sealed class UserWordsTests
{
    [Theory]
    [InlineData("Cannot parse argument 'abc' for option '--beam' as expected type 'System.Int32'.", "--beam: 'abc' is not a whole number")]
    [InlineData("Cannot parse argument 'x' for option '--length-penalty' as expected type 'System.Double'.", "--length-penalty: 'x' is not a number")]
    [InlineData("Option '--model' is required.", "Option '--model' is required.")]
    public void ParseErrorsNameNoDotNetType(string message, string expected) => Assert.Equal(expected, CliRunner.Plain(message));

    [Fact]
    public void OptionLikeWordsSuggestTheSetting()
    {
        Assert.Equal(["training.epochs"], SettingSuggestions.KeysFor("--epochs"));
        Assert.Equal(["data.max_length"], SettingSuggestions.KeysFor("--max-length"));
        Assert.Equal("unknown option '--epochs' (settings are key=value overrides: training.epochs=1)",
            SettingSuggestions.UnknownOption("--epochs", "1"));
        Assert.Contains("see configs/default.yaml", SettingSuggestions.UnknownOption("--bogus", null));
    }

    [Fact]
    public void TrainWithAnOptionForASettingIsOneLineErrorShowingTheOverride()
    {
        var (exit, stderr) = TrainingTestKit.RunTrain("--epochs", "1");
        CliProcess.AssertExactOneLineError(exit, stderr, "unknown option '--epochs' (settings are key=value overrides: training.epochs=1)");
    }

    [Fact]
    public void BadNumberIsOneLineErrorWithoutTypeName()
    {
        var (exit, _, stderr) = CliProcess.Run(CliProcess.TranslateDll, "translate", "--model", "x", "--beam", "abc");
        CliProcess.AssertExactOneLineError(exit, stderr, "--beam: 'abc' is not a whole number");
    }

    [Fact]
    public void HelpUsesTheLaunchersWordsAndOffersNoCuda()
    {
        var (exit, stdout, _) = CliProcess.Run(CliProcess.TranslateDll, "translate", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("  ./seq2seqrev translate [options]", stdout);
        Assert.DoesNotContain("Seq2SeqRev.Translate", stdout);
        Assert.DoesNotContain("cuda", stdout);
    }

    [Fact]
    public void VersionNamesTheCommitItWasBuiltFrom()
    {
        var (exit, stdout, _) = CliProcess.Run(CliProcess.TrainDll, "--version");
        Assert.Equal(0, exit);
        Assert.Matches(@"^\d+\.\d+\.\d+(\+[0-9a-f]{7,40})?\s*$", stdout);
        if (Directory.Exists(Path.Combine(TestFiles.RepoRoot, ".git")) || File.Exists(Path.Combine(TestFiles.RepoRoot, ".git")))
            Assert.Matches(@"\+[0-9a-f]{40}", stdout);
    }
}

public sealed class WordsTests
{
    [Theory]
    [InlineData(1, "epoch", null, "1 epoch")]
    [InlineData(3, "epoch", null, "3 epochs")]
    [InlineData(0, "line", null, "0 lines")]
    [InlineData(1, "search batch", "search batches", "1 search batch")]
    [InlineData(2, "search batch", "search batches", "2 search batches")]
    public void CountsReadAsEnglish(long n, string singular, string? plural, string expected) =>
        Assert.Equal(expected, Words.Count(n, singular, plural));
}
