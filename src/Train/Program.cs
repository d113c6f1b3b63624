using System.CommandLine;
using Seq2SeqRev.Train;

// Thin executable over Seq2SeqRev.Model: `train`, `memory`, `bench`, `check-reversal`.
var root = Seq2SeqRev.Cli.CliRunner.Root("Seq2SeqRev training, memory comparison and reversal checks");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(CheckReversalCommand.Create());
root.Subcommands.Add(MemoryCommand.Create());
root.Subcommands.Add(MemoryProbeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return Cli.Run(root, args);
