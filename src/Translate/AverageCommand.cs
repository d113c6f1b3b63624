// AverageCommand: `seq2seqrev average --run RUN_DIR [--last N] [--output FILE]` averages the parameters of the newest N
// epoch checkpoints a run kept (training.keep_checkpoints; default N = 5, output RUN_DIR/average.ckpt), and
// `seq2seqrev average --checkpoint A --checkpoint B ... --output FILE` those files. Guarantees: the output is written
// atomically (temp file + rename) and read by translate, report (--checkpoint average.ckpt) and sweep like any
// checkpoint; every problem is one `error:` line naming the file or option, exit 2 (CheckpointAverage).
using System.CommandLine;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Translation;

namespace Seq2SeqRev.Translate;

internal static class AverageCommand
{
    public const string DefaultOutput = "average.ckpt";

    public static Command Create()
    {
        var run = new Option<string?>("--run") { Description = "Run directory whose newest epoch checkpoints (epoch-NN.ckpt) are averaged", HelpName = "RUN_DIR" };
        var last = new Option<int>("--last") { Description = "How many of the run's newest epoch checkpoints", DefaultValueFactory = _ => 5 };
        var files = new Option<string[]>("--checkpoint")
        {
            Description = "A checkpoint file to average (repeat; instead of --run), oldest first",
            AllowMultipleArgumentsPerToken = true,
            HelpName = "FILE",
        };
        var output = new Option<string?>("--output") { Description = $"The averaged checkpoint (default with --run: RUN_DIR/{DefaultOutput})", HelpName = "FILE" };
        var command = new Command("average", "Average the parameters of a run's last N epoch checkpoints (or of given checkpoints) into a new checkpoint");
        foreach (Option o in new Option[] { run, last, files, output }) command.Options.Add(o);
        command.SetAction(p =>
        {
            var runDir = p.GetValue(run);
            var given = p.GetValue(files) ?? [];
            if ((runDir is null) == (given.Length == 0)) throw new UserError("average: give either --run RUN_DIR or --checkpoint FILE ...");
            var outPath = p.GetValue(output) ?? (runDir is null
                ? throw new UserError("average: --checkpoint needs --output FILE")
                : Path.Combine(runDir, DefaultOutput));
            if (Directory.Exists(outPath)) throw new UserError($"--output {outPath}: is a directory, expected a file name");
            var paths = runDir is null ? given : CheckpointAverage.LastOfRun(runDir, p.GetValue(last));
            var names = string.Join(", ", paths.Select(Path.GetFileName));
            var averaged = CheckpointAverage.Average(paths, $"average of {paths.Count} checkpoints ({names})");
            try { averaged.Save(outPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserError($"{outPath}: cannot write ({e.Message})");
            }
            Console.Error.WriteLine($"wrote {outPath}: the average of {names}");
            return 0;
        });
        return command;
    }
}
