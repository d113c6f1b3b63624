// CliRunnerTests: the executables' error convention — a UserError, or an exception of a type the executable names
// (the model's ModelDataException), is one `error:` line and exit 2; any other exception is not swallowed.
using System.CommandLine;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model;
using Xunit;

namespace Seq2SeqRev.Tests.Cli;

public sealed class CliRunnerTests
{
    private static (int Code, string Stderr) Run(Exception thrown, Type[] userErrors)
    {
        var root = new RootCommand();
        var command = new Command("boom");
        command.SetAction(new Func<ParseResult, int>(_ => throw thrown));
        root.Subcommands.Add(command);
        var stderr = new StringWriter();
        var previous = Console.Error;
        Console.SetError(stderr);
        try { return (CliRunner.Run(root, ["boom"], userErrors, "boom"), stderr.ToString()); }
        finally { Console.SetError(previous); }
    }

    [Fact]
    public void ANamedErrorTypeIsOneLineAndExitTwo()
    {
        var (code, stderr) = Run(new ModelDataException("x.json: invalid tokenizer JSON (bad)"), [typeof(ModelDataException)]);
        Assert.Equal(CliRunner.ExitBadInput, code);
        Assert.Contains("error: x.json: invalid tokenizer JSON (bad)" + Environment.NewLine, stderr);
    }

    [Fact]
    public void AnUnnamedErrorTypeIsNotAUserError() =>
        Assert.Throws<ModelDataException>(() => Run(new ModelDataException("x.json: bad"), []));
}
