using System.CommandLine;
using Seq2SeqRev.Translate;

// Thin executable over Seq2SeqRev.Model: `translate`, `score` and `report`.
var root = Seq2SeqRev.Cli.CliRunner.Root("Seq2SeqRev translation and scoring");
root.Subcommands.Add(TranslateCommand.Create());
root.Subcommands.Add(ScoreCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
return Cli.Run(root, args);
