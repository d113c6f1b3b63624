using System.CommandLine;
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Translate;

internal static class Cli
{
    public static int Run(Command root, string[] args) => CliRunner.Run(root, args, withoutTorch: "score");
}
