using System.CommandLine;

namespace Seq2SeqRev.Model.Cli;

/// <summary>
/// Shared command-line conventions for both executables: a parse error or a <see cref="UserError"/>
/// prints one line on stderr and exits 2; other failures exit 1.
/// </summary>
public static class CliRunner
{
    public const int ExitBadInput = 2;

    public static int Run(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {parsed.Errors[0].Message}");
            return ExitBadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UserError e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitBadInput;
        }
    }
}

/// <summary>An error caused by the user's input (file, flag, setting): reported as one line, exit 2.</summary>
public sealed class UserError(string message) : Exception(message);
