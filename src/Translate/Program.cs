// The inference executable: `translate`, `score`, `report`, `average` and `sweep`. Guarantees: it never loads the trainer (it references
// Translation, which reads runs through Runs; ArchitectureTests checks it); `score` runs without TorchSharp; a user
// error is one `error:` line and exit 2 (CliRunner), a model-data error likewise.
using System.CommandLine;
using Seq2SeqRev.Translate;

var root = Seq2SeqRev.Cli.CliRunner.Root("Seq2SeqRev translation and scoring");
root.Subcommands.Add(TranslateCommand.Create());
root.Subcommands.Add(ScoreCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(AverageCommand.Create());
root.Subcommands.Add(SweepCommand.Create());
return Cli.Run(root, args);
