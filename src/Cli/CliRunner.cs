using System.CommandLine;

namespace Seq2SeqRev.Cli;

/// <summary>
/// Shared command-line conventions for both executables: a parse error, a <see cref="UserError"/> or an exception of
/// a type the executable names as a user error prints one line on stderr and exits 2; other failures exit 1. Before a command that uses TorchSharp runs, the
/// native library is checked (<see cref="NativeTorch"/>); commands named in <c>withoutTorch</c> skip the check.
/// </summary>
public static class CliRunner
{
    public const int ExitBadInput = 2;

    public static int Run(RootCommand root, string[] args, params string[] withoutTorch) => Run(root, args, [], withoutTorch);

    /// <param name="userErrors">Exception types of lower assemblies that are reported like a <see cref="UserError"/>
    /// (e.g. the model's ModelDataException), so those assemblies need not reference this one.</param>
    public static int Run(RootCommand root, string[] args, Type[] userErrors, params string[] withoutTorch)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {parsed.Errors[0].Message}");
            return ExitBadInput;
        }
        try
        {
            var command = parsed.CommandResult.Command;
            if (command != root && !withoutTorch.Contains(command.Name)) NativeTorch.EnsureLoadable();
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UserError || userErrors.Any(t => t.IsInstanceOfType(e)))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitBadInput;
        }
    }
}

/// <summary>An error caused by the user's input (file, flag, setting): reported as one line, exit 2.</summary>
public sealed class UserError(string message) : Exception(message);
