// Cli: the inference executable's run through CliRunner. Guarantees: a ModelDataException is a one-line user error
// (exit 2) like a UserError; `score` runs without the TorchSharp check.
using System.CommandLine;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model;

namespace Seq2SeqRev.Translate;

internal static class Cli
{
    public static int Run(Command root, string[] args) => CliRunner.Run(root, args, [typeof(ModelDataException)], withoutTorch: "score");
}
