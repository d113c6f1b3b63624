// CliRunner: the command-line conventions of both executables. Guarantees: usage lines name the launcher; a parse
// error or user error is one line on stderr and exit 2; other failures exit 1; the native library is checked first.
using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;

namespace Seq2SeqRev.Cli;

/// <summary>
/// Shared command-line conventions for both executables: usage lines name the launcher (`./seq2seqrev translate`);
/// `--version` prints the version and the git commit of the build; a parse error, a <see cref="UserError"/> or an
/// exception of a type the executable names as a user error prints one line on stderr in the user's words (no .NET
/// type names) and exits 2; other failures exit 1. Before a command that uses TorchSharp runs, the native library is
/// checked (<see cref="NativeTorch"/>); commands named in <c>withoutTorch</c> skip the check.
/// </summary>
public static partial class CliRunner
{
    public const int ExitBadInput = 2;

    /// <summary>The launcher's name, shown in usage lines.</summary>
    public const string Launcher = "./seq2seqrev";

    /// <summary>The root of an executable: named as the launcher, with --help and --version.</summary>
    public static Command Root(string description)
    {
        var root = new Command(Launcher, description);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }

    public static int Run(Command root, string[] args, params string[] withoutTorch) => Run(root, args, [], withoutTorch);

    /// <param name="userErrors">Exception types of lower assemblies that are reported like a <see cref="UserError"/>
    /// (e.g. the model's ModelDataException), so those assemblies need not reference this one.</param>
    public static int Run(Command root, string[] args, Type[] userErrors, params string[] withoutTorch)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {Plain(parsed.Errors[0].Message)}");
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

    /// <summary>A parse error without .NET type names: "Cannot parse argument 'abc' for option '--beam' as expected type
    /// 'System.Int32'." becomes "--beam: 'abc' is not a whole number".</summary>
    public static string Plain(string message)
    {
        var m = TypeError().Match(message);
        if (!m.Success) return message;
        string kind = m.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            var t => "a " + t[(t.LastIndexOf('.') + 1)..].ToLowerInvariant(),
        };
        return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {kind}";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|argument) '(?<option>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex TypeError();
}

/// <summary>An error caused by the user's input (file, flag, setting): reported as one line, exit 2.</summary>
public sealed class UserError(string message) : Exception(message);
