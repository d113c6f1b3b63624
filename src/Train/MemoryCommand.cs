// MemoryCommand: `seq2seqrev memory --config FILE [--config FILE ...] [--data val|synthetic] [--batch 64]
// [--seq-lengths 10,25,50,100,200] [--json] [--markdown] [--json-file FILE] [--plot FILE.png] [--checkpoint RUN_DIR_OR_FILE]
// [--with-checkpointing] [--with-sharded] [--loss-shard N] [--no-measure] [--max-batches N] [--steps N] [key=value ...]`. Thin: parses and checks
// the arguments (one-line errors, exit 2), then Seq2SeqRev.Memory (src/Memory/Measurement) does the work and the formatting.
using System.CommandLine;
using System.Globalization;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Training;
using Seq2SeqRev.Memory;
using Spectre.Console;

namespace Seq2SeqRev.Train;

internal static class MemoryCommand
{
    public static Command Create()
    {
        var configs = new Option<string[]>("--config") { Description = "YAML run config; repeat for several (default: the default config)", Arity = ArgumentArity.ZeroOrMore };
        var data = new Option<string>("--data") { Description = "accounting data: val (validation batches) or synthetic (one random batch of the first length)", DefaultValueFactory = _ => "val" };
        var batch = new Option<int>("--batch") { Description = "sentences per batch", DefaultValueFactory = _ => 64 };
        var lengths = new Option<string>("--seq-lengths") { Description = "measured sequence lengths, comma-separated", DefaultValueFactory = _ => "10,25,50,100,200" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables" };
        var markdown = new Option<bool>("--markdown") { Description = "print markdown tables" };
        var jsonFile = new Option<string?>("--json-file") { Description = "also write the JSON of --json to FILE (with any output format)" };
        var plot = new Option<string?>("--plot") { Description = "write a PNG of measured peak memory against sequence length" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "trained weights and tokenizer (run folder or .ckpt) for a single config" };
        var withCheckpointing = new Option<bool>("--with-checkpointing") { Description = "also measure every gru/lstm backprop config with training.memory=checkpoint (NAME-checkpoint)" };
        var withSharded = new Option<bool>("--with-sharded") { Description = "also measure every gru/lstm backprop config with a sharded generator and loss: backprop (NAME-sharded) and checkpointing (NAME-checkpoint-sharded)" };
        var lossShard = new Option<int>("--loss-shard") { Description = "training.loss_shard of the --with-sharded variants (target steps per shard) where the config sets none", DefaultValueFactory = _ => 1 };
        var noMeasure = new Option<bool>("--no-measure") { Description = "accounting only, no measured memory or time" };
        var maxBatches = new Option<int>("--max-batches") { Description = "validation batches for the accounting (0 = all)", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "timed steps per measurement (median)", DefaultValueFactory = _ => 3 };
        var overrides = new Argument<string[]>("overrides") { Arity = ArgumentArity.ZeroOrMore, Description = "config overrides key=value for every config" };
        var command = new Command("memory", "compare memory savings (accounting) and measured activation memory of training");
        foreach (var o in new Option[] { configs, data, batch, lengths, json, markdown, jsonFile, plot, checkpoint, withCheckpointing, withSharded, lossShard, noMeasure, maxBatches, steps })
            command.Options.Add(o);
        command.Arguments.Add(overrides);
        command.SetAction(p =>
        {
            var dataKind = p.GetValue(data) ?? "val";
            if (!MemoryOptions.DataKinds.Contains(dataKind)) throw new UserError($"--data '{dataKind}' is not allowed (allowed: val, synthetic)");
            if (p.GetValue(batch) < 1) throw new UserError($"--batch {p.GetValue(batch)} must be at least 1");
            if (p.GetValue(maxBatches) < 0) throw new UserError("--max-batches must be 0 (all) or positive");
            if (p.GetValue(steps) < 1) throw new UserError("--steps must be at least 1");
            if (p.GetValue(lossShard) < 1) throw new UserError($"--loss-shard {p.GetValue(lossShard)} must be at least 1");
            if (p.GetValue(json) && p.GetValue(markdown)) throw new UserError("--json and --markdown exclude each other");
            bool measure = !p.GetValue(noMeasure);
            if (!measure && p.GetValue(plot) is not null) throw new UserError("--plot needs measurements (drop --no-measure)");
            var seqLengths = ParseLengths(p.GetValue(lengths) ?? "");
            if (measure) ProcessMemory.RequireSupported();

            var targets = Targets(p.GetValue(configs) ?? [], p.GetValue(overrides) ?? [], p.GetValue(checkpoint), p.GetValue(withCheckpointing),
                p.GetValue(withSharded) ? p.GetValue(lossShard) : 0);
            bool quiet = p.GetValue(json) || p.GetValue(markdown);
            var report = MemoryRunner.Run(new MemoryOptions
            {
                Targets = targets,
                Data = dataKind,
                Batch = p.GetValue(batch),
                SeqLengths = seqLengths,
                Measure = measure,
                MaxBatches = p.GetValue(maxBatches),
                TimedSteps = p.GetValue(steps),
                Launcher = new ProbeLauncher(typeof(MemoryCommand).Assembly.Location),
                Log = line => Console.Error.WriteLine(line),
            });
            if (p.GetValue(json)) Console.WriteLine(report.ToJson());
            else if (p.GetValue(markdown)) Console.Write(MemoryTables.Markdown(report));
            else if (Console.IsOutputRedirected) Console.Write(MemoryTables.Text(report, FittedTable.RedirectedWidth()));
            else MemoryTables.Write(report, AnsiConsole.Console);
            if (p.GetValue(jsonFile) is { } jsonPath)
            {
                AtomicFile.WriteOutput(jsonPath, stream => { using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 65536, leaveOpen: true); w.Write(report.ToJson() + "\n"); });
                if (!quiet) Console.Error.WriteLine($"wrote {jsonPath}");
            }
            if (p.GetValue(plot) is { } png)
            {
                MemoryPlot.Save(report, png);
                if (!quiet) Console.Error.WriteLine($"wrote {png}");
            }
            return 0;
        });
        return command;
    }

    private static int[] ParseLengths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var t) || t < 1)
                throw new UserError($"--seq-lengths: '{part}' is not a positive whole number (expected e.g. 10,25,50)");
            result.Add(t);
        }
        if (result.Count == 0) throw new UserError("--seq-lengths needs at least one length, e.g. 10,25,50");
        return [.. result.Distinct()];
    }

    /// <param name="shard">0 = no sharded variants; else the loss shard of the sharded variants (unless the config sets one).</param>
    private static List<MemoryTarget> Targets(string[] configPaths, string[] overrides, string? checkpointPath, bool withCheckpointing, int shard)
    {
        var targets = new List<MemoryTarget>();
        if (checkpointPath is not null)
        {
            if (configPaths.Length > 1) throw new UserError("--checkpoint applies to a single config; give at most one --config");
            var file = RunFolder.Checkpoint(checkpointPath);
            var ckpt = Checkpoint.Load(file);
            var config = ckpt.Config(overrides);
            if (configPaths.Length == 1)
            {
                var named = ConfigLoader.Load(configPaths[0], overrides);
                if (named.Model != config.Model)
                    throw new UserError($"{checkpointPath}: the checkpoint's model settings differ from {configPaths[0]}");
                config = config with { Name = named.Name };
            }
            else config = config with { Name = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) ?? "checkpoint" };
            targets.Add(new MemoryTarget(config, ckpt));
        }
        else if (configPaths.Length == 0) targets.Add(new MemoryTarget(ConfigLoader.LoadDefault(overrides)));
        else targets.AddRange(configPaths.Select(path => new MemoryTarget(ConfigLoader.Load(path, overrides))));

        return [.. targets.SelectMany(t => Variants(t, withCheckpointing, shard))];
    }

    /// <summary>A config and, for a gru/lstm config trained by backprop, its checkpointing and sharded-loss variants.</summary>
    private static IEnumerable<MemoryTarget> Variants(MemoryTarget t, bool withCheckpointing, int shard)
    {
        yield return t;
        var c = t.Config;
        if (c.Model.IsReversible || c.MemoryMode != TrainingMemory.Backprop) yield break;
        MemoryTarget Variant(string suffix, TrainingMemory memory, int lossShard) =>
            t with { Config = c with { Name = c.Name + suffix, Training = c.Training with { Memory = memory, LossShard = lossShard } } };
        if (withCheckpointing) yield return Variant("-checkpoint", TrainingMemory.Checkpoint, c.Training.LossShard);
        if (shard <= 0) yield break;
        var s = c.Training.LossShard > 0 ? c.Training.LossShard : shard;
        if (c.Training.LossShard == 0) yield return Variant("-sharded", TrainingMemory.Backprop, s);
        yield return Variant("-checkpoint-sharded", TrainingMemory.Checkpoint, s);
    }
}
