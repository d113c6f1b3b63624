// TrainCommand: `seq2seqrev train [--config FILE] [--run-dir DIR] [--resume] [--dry-run] [key=value ...]`.
// Guarantees: config problems are one-line errors (exit 2); a fresh run goes to --run-dir or
// runs/<config name>-<yyyyMMdd-HHmmss>; --resume continues DIR/last.ckpt with the checkpoint's config (overrides
// still apply); SIGINT/SIGTERM finish the current batch, save last.ckpt, print the resume command once and exit 130
// (a second signal kills); a finished run prints the next commands (translate, report, tensorboard); --dry-run checks
// the config, the overrides and the corpus files, prints the resolved config and writes nothing.
using System.CommandLine;
using System.Globalization;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Train;

public static class TrainCommand
{
    public const int ExitInterrupted = Interrupt.ExitCode;

    public static Command Create()
    {
        var configOption = new Option<string?>("--config") { Description = "YAML run config (default: configs/default.yaml semantics)" };
        var runDirOption = new Option<string?>("--run-dir") { Description = "Run folder (default: runs/<config name>-<yyyyMMdd-HHmmss>)" };
        var resumeOption = new Option<bool>("--resume") { Description = "Continue the run in --run-dir from its last.ckpt" };
        var dryRunOption = new Option<bool>("--dry-run") { Description = "Check config, overrides and corpus files, print the resolved config, train nothing" };
        var overrides = new Argument<string[]>("overrides")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "Config overrides key=value, e.g. training.epochs=1",
        };
        var command = new Command("train", "Train a translation model");
        command.Options.Add(configOption);
        command.Options.Add(runDirOption);
        command.Options.Add(resumeOption);
        command.Options.Add(dryRunOption);
        command.Arguments.Add(overrides);
        command.SetAction(parse => Execute(parse.GetValue(configOption), parse.GetValue(runDirOption),
            parse.GetValue(resumeOption), parse.GetValue(dryRunOption), parse.GetValue(overrides) ?? []));
        return command;
    }

    private static int Execute(string? configPath, string? runDir, bool resume, bool dryRun, string[] overrides)
    {
        for (int i = 0; i < overrides.Length; i++)
            if (overrides[i].StartsWith('-'))
            {
                string? value = overrides[i].Contains('=') ? overrides[i].Split('=', 2)[1]
                    : i + 1 < overrides.Length && !overrides[i + 1].Contains('=') ? overrides[i + 1] : null;
                throw new UserError(SettingSuggestions.UnknownOption(overrides[i].Split('=')[0], value));
            }
        Checkpoint? checkpoint = null;
        RunConfig config;
        if (resume)
        {
            if (runDir is null) throw new UserError("--resume needs --run-dir DIR (the run to continue)");
            if (configPath is not null) throw new UserError("--resume takes the config from the checkpoint; give key=value overrides instead of --config");
            checkpoint = Checkpoint.Load(Path.Combine(runDir, Trainer.LastFile));
            config = checkpoint.Config(overrides);
        }
        else
        {
            config = configPath is null ? ConfigLoader.LoadDefault(overrides) : ConfigLoader.Load(configPath, overrides);
            runDir ??= Path.Combine("runs", $"{config.Name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
            if (File.Exists(Path.Combine(runDir, Trainer.LastFile)))
                throw new UserError($"{runDir} already holds a run (last.ckpt); continue it with --resume or choose another --run-dir");
        }
        if (dryRun)
        {
            Seq2SeqRev.Runs.Data.RunCorpus.Corpus(config, null);
            Console.Out.Write(ConfigWriter.ToYaml(config));
            Console.Error.WriteLine($"config and corpus ok; would {(resume ? "resume" : "start")} {config.Name} in {runDir}");
            return 0;
        }

        using var interrupt = new Interrupt(signal =>
            Console.Error.WriteLine($"{signal}: finishing the current batch, then saving last.ckpt (signal again to abort)"));
        var result = Trainer.Run(new TrainerOptions
        {
            Config = config,
            RunDir = runDir,
            Resume = checkpoint,
            Echo = Console.Error,
            Progress = Console.IsErrorRedirected ? new NoProgress() : new LiveProgress(Console.Error),
            Cancel = interrupt.Token,
        });
        if (result.Reason == StopReason.Interrupted)
        {
            Console.Error.WriteLine($"continue with: ./seq2seqrev train --run-dir {runDir} --resume");
            return ExitInterrupted;
        }
        if (result.Reason != StopReason.Interrupted && File.Exists(Path.Combine(runDir, Trainer.BestFile)))
        {
            Console.Error.WriteLine("next steps:");
            Console.Error.WriteLine($"  translate:   ./seq2seqrev translate --model {runDir}   (type sentences, or --input FILE --output FILE)");
            Console.Error.WriteLine($"  test scores: ./seq2seqrev report --run {runDir}");
            Console.Error.WriteLine($"  curves:      tensorboard --logdir {Path.Combine(runDir, "tensorboard")}");
        }
        return 0;
    }
}
