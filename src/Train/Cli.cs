using System.CommandLine;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model;

namespace Seq2SeqRev.Train;

internal static class Cli
{
    public static int Run(Command root, string[] args) => CliRunner.Run(root, args, [typeof(ModelDataException)]);
}
