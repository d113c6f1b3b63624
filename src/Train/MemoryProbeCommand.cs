// MemoryProbeCommand: hidden `memory-probe` subcommand, started by ProbeLauncher as a child process for one
// measurement; prints one ProbeResult (or, with --alive, AliveResult) JSON line on stdout. Not meant to be run by hand.
using System.CommandLine;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Memory;

namespace Seq2SeqRev.Train;

internal static class MemoryProbeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Required = true };
        var seqLen = new Option<int>("--seq-len") { Required = true };
        var batch = new Option<int>("--batch") { Required = true };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 3 };
        var extra = new Option<long>("--extra-bytes") { DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var alive = new Option<bool>("--alive") { Description = "bytes alive between the passes of reversal (AliveProbe) instead of the step's peak" };
        var command = new Command(ProbeLauncher.Command, "internal: measure one training step's activation memory") { Hidden = true };
        foreach (var o in new Option[] { config, seqLen, batch, steps, extra, seed, alive }) command.Options.Add(o);
        command.SetAction(p =>
        {
            var request = new ProbeRequest(ConfigLoader.Load(p.GetValue(config)!), p.GetValue(seqLen), p.GetValue(batch),
                Math.Max(1, p.GetValue(steps)), p.GetValue(extra), p.GetValue(seed));
            Console.WriteLine(p.GetValue(alive) ? AliveProbe.Run(request).ToJson() : ActivationProbe.Run(request).ToJson());
            return 0;
        });
        return command;
    }
}
