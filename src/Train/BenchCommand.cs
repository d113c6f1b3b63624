// BenchCommand: `seq2seqrev bench --config A --config B ... [--data val|synthetic] [--batches N] [--warmup N]
// [--rounds N] [--profile] [--json] [--model RUN ...] [--translate-sentences N] [--translate-rounds N] [--threads N]
// [--baseline-variants [--variant-shard N]] [key=value ...]`. Thin: parses and checks the arguments (one-line errors, exit 2), then Seq2SeqRev.Benchmarks does
// the work (BenchRunner) and the formatting (BenchReport.ToJson, BenchTables). Progress goes to stderr.
using System.CommandLine;
using Seq2SeqRev.Benchmarks;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Runs.Config;
using Spectre.Console;

namespace Seq2SeqRev.Train;

internal static class BenchCommand
{
    public static Command Create()
    {
        var configs = new Option<string[]>("--config") { Description = "YAML run config; repeat to compare several (default: the default config)", Arity = ArgumentArity.ZeroOrMore };
        var data = new Option<string>("--data") { Description = "val: validation batches made as training makes them; synthetic: random ids, Multi30K-like lengths", DefaultValueFactory = _ => "val" };
        var batches = new Option<int>("--batches") { Description = "timed training steps per config per round", DefaultValueFactory = _ => 4 };
        var warmup = new Option<int>("--warmup") { Description = "untimed training steps per config first", DefaultValueFactory = _ => 1 };
        var rounds = new Option<int>("--rounds") { Description = "rounds (configs interleaved within each)", DefaultValueFactory = _ => 5 };
        var profile = new Option<bool>("--profile") { Description = "phase profile of reversal training (forward, bank, rebuild, attention, backward, ...)" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables" };
        var models = new Option<string[]>("--model") { Description = "trained run (folder or .ckpt) per config, in order: also time translating its validation split (beam 5 and greedy)", Arity = ArgumentArity.ZeroOrMore };
        var translateSentences = new Option<int>("--translate-sentences") { Description = "translate only the first N validation sentences (0 = all)", DefaultValueFactory = _ => 0 };
        var translateRounds = new Option<int>("--translate-rounds") { Description = "timed translation passes per run and search (median)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "torch intra-op threads (default: TorchSharp's default, as in training)" };
        var variants = new Option<bool>("--baseline-variants") { Description = "replace each backprop config by its loss-head variants (autograd, written, written in shards) so the ratio to the fastest baseline is against the best" };
        var variantShard = new Option<int>("--variant-shard") { Description = "target steps per shard of the sharded variant", DefaultValueFactory = _ => 10 };
        var overrides = new Argument<string[]>("overrides") { Arity = ArgumentArity.ZeroOrMore, Description = "config overrides key=value for every config" };
        var command = new Command("bench", "compare training throughput (and translation speed) of configs side by side on the same batches");
        foreach (var o in new Option[] { configs, data, batches, warmup, rounds, profile, json, models, translateSentences, translateRounds, threads, variants, variantShard })
            command.Options.Add(o);
        command.Arguments.Add(overrides);
        command.SetAction(p =>
        {
            var extra = p.GetValue(overrides) ?? [];
            var paths = p.GetValue(configs) ?? [];
            var options = new BenchOptions
            {
                Configs = [],
                Data = p.GetValue(data) ?? "val",
                Batches = p.GetValue(batches),
                Warmup = p.GetValue(warmup),
                Rounds = p.GetValue(rounds),
                Profile = p.GetValue(profile),
                Models = p.GetValue(models) ?? [],
                TranslateSentences = p.GetValue(translateSentences),
                TranslateRounds = p.GetValue(translateRounds),
                Threads = p.GetValue(threads),
                BaselineVariants = p.GetValue(variants),
                VariantShard = p.GetValue(variantShard),
                Log = line => Console.Error.WriteLine(line),
            };
            // Numbers and counts first (a config count of 1 stands in for the default config), then the config files.
            options.Validate(Math.Max(1, paths.Length));
            options = options with
            {
                Configs = paths.Length == 0 ? [ConfigLoader.LoadDefault(extra)] : [.. paths.Select(path => ConfigLoader.Load(path, extra))],
            };
            if (options.BaselineVariants) options = options with { Configs = BaselineVariants.Expand(options.Configs, options.VariantShard) };
            var report = BenchRunner.Run(options);
            if (p.GetValue(json)) Console.WriteLine(report.ToJson());
            else if (Console.IsOutputRedirected) Console.Write(BenchTables.Text(report));
            else BenchTables.Write(report, AnsiConsole.Console);
            return 0;
        });
        return command;
    }
}
