// The training executable: `train`, `memory` (and its internal probe), `bench`, `check-reversal`. Guarantees: the
// commands parse their options here and call Training, Memory (measurement), Benchmarks and Reversible; a user error
// is one `error:` line and exit 2 (CliRunner), a model-data error likewise.
using System.CommandLine;
using Seq2SeqRev.Train;

var root = Seq2SeqRev.Cli.CliRunner.Root("Seq2SeqRev training, memory comparison and reversal checks");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(CheckReversalCommand.Create());
root.Subcommands.Add(MemoryCommand.Create());
root.Subcommands.Add(MemoryProbeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return Cli.Run(root, args);
