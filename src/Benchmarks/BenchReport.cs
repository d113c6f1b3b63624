// BenchReport: the result of `seq2seqrev bench`. Guarantees: ToJson has the documented shape
// {"configs": [{"name", "training_memory", "tokens_per_second": {"median", "min", "max", ...}, ...}], "ratios": {name:
// median / first config's median}, "fastest_baselines": {name: the fastest config of its baseline cell}, "ratios_to_fastest_baseline":
// {name: median / that config's median}, "paired_ratios_to_fastest_baseline": {name: median over the rounds of the
// round's tokens/s over that config's in the same round}, ...} (the baseline cell of revgru/gru is gru, of revlstm/lstm lstm; a config
// whose baseline cell is not among the configs has null there) (ratios from the unrounded medians, to 4 decimals; tokens/s to 2 decimals) with config names unique (a repeated name gets "#2", "#3", ...); "profile"
// appears per config when profiled, "translation" per config and "translation_ratios" when runs were translated; the
// text renderer (BenchTables) formats the same numbers.
using System.Text.Json;
using System.Text.Json.Nodes;
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;

namespace Seq2SeqRev.Benchmarks;

/// <summary>Median, min and max of per-round values.</summary>
public sealed record Spread(double Median, double Min, double Max)
{
    public static Spread Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Spread(median, sorted[0], sorted[^1]);
    }
}

/// <summary>The 1-, 5- and 15-minute load averages (runnable + uninterruptible tasks, this process included) and the
/// scheduling entities "running/total" from /proc/loadavg.</summary>
public sealed record LoadAverage(double One, double Five, double Fifteen, string Entities)
{
    public static LoadAverage? Read()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var c = System.Globalization.CultureInfo.InvariantCulture;
            return new LoadAverage(double.Parse(parts[0], c), double.Parse(parts[1], c), double.Parse(parts[2], c), parts[3]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public override string ToString() => FormattableString.Invariant($"{One:F2} {Five:F2} {Fifteen:F2}");
}

/// <summary>Seconds per timed step spent in each phase of reversal training (exclusive times, see PhaseProfiler).</summary>
public sealed record PhaseProfile(double StepSeconds, IReadOnlyList<(string Key, string Label, double Seconds)> Phases)
{
    /// <summary>The reported phases in order: (JSON key, label, phase).</summary>
    public static readonly IReadOnlyList<(string Key, string Label, Phase Phase)> Layout =
    [
        ("forward", "forward (encoder + decoder, no graph)", Phase.Forward),
        ("bank", "bank rebuild", Phase.Bank),
        ("decoder_rebuild", "decoder reverse: rebuild", Phase.DecoderRebuild),
        ("attention", "attention + generator + loss", Phase.Attention),
        ("backward", "backward (attention's autograd, cells written out)", Phase.Backward),
        ("decoder_reverse_other", "decoder reverse: other", Phase.DecoderReverse),
        ("bank_gradient", "bank gradient", Phase.BankGradient),
        ("encoder_rebuild", "encoder reverse: rebuild", Phase.EncoderRebuild),
        ("encoder_reverse_other", "encoder reverse: other", Phase.EncoderReverse),
    ];

    public const string OtherKey = "other", OtherLabel = "other (batch prep, masks, zero_grad, clip, optimizer)";

    public static PhaseProfile From(PhaseTotals totals, int steps, double stepSecondsTotal)
    {
        var phases = Layout.Select(p => (p.Key, p.Label, totals.Seconds(p.Phase) / steps)).ToList();
        return new PhaseProfile(stepSecondsTotal / steps, phases);
    }

    /// <summary>Step time not inside any profiled phase (never negative: phases are exclusive and inside the step).</summary>
    public double OtherSeconds => Math.Max(0, StepSeconds - Phases.Sum(p => p.Seconds));
}

/// <summary>The environment variables that decide how LibTorch's OpenMP threads wait and how many there are (null = unset;
/// read when the process started, which is when libgomp read them too).</summary>
public sealed record OpenMpSettings(string? WaitPolicy, string? SpinCount, string? NumThreads)
{
    public static OpenMpSettings FromEnvironment() => new(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
        Environment.GetEnvironmentVariable("GOMP_SPINCOUNT"), Environment.GetEnvironmentVariable("OMP_NUM_THREADS"));

    public override string ToString() =>
        $"OMP_WAIT_POLICY {WaitPolicy ?? "unset"}, GOMP_SPINCOUNT {SpinCount ?? "unset"}, OMP_NUM_THREADS {NumThreads ?? "unset"}";
}

public sealed record TranslationTiming(string Search, int BeamSize, IReadOnlyList<double> SentencesPerSecond, IReadOnlyList<double> Seconds)
{
    public Spread Rate => Spread.Of(SentencesPerSecond);
}

/// <param name="Run">The --model argument; <paramref name="Checkpoint"/> the file it resolved to.</param>
public sealed record TranslationResult(string Run, string Checkpoint, string Split, int Sentences, IReadOnlyList<TranslationTiming> Timings);

/// <param name="RoundSeconds">Wall-clock seconds of the timed steps of each round.</param>
/// <param name="LossHead">training.loss_head and <paramref name="LossShard"/> training.loss_shard of the config.</param>
public sealed record BenchConfigResult(string Name, CellKind Cell, TrainingMemory TrainingMemory, string Tokenizer, int BatchGroup,
    int BatchesPerRound, long SentencesPerRound, long TokensPerRound, IReadOnlyList<double> RoundSeconds, double MeanLoss,
    PhaseProfile? Profile, TranslationResult? Translation, LossHead LossHead = LossHead.Written, int LossShard = 0)
{
    public IReadOnlyList<double> TokensPerSecondByRound => [.. RoundSeconds.Select(s => s > 0 ? TokensPerRound / s : 0)];
    public Spread TokensPerSecond => Spread.Of(TokensPerSecondByRound);
    public bool TrainsByReversal => TrainingMemory == TrainingMemory.Reversal;
}

/// <param name="DataDescriptions">One line per batch group (index = BenchConfigResult.BatchGroup).</param>
public sealed record BenchReport(string Data, IReadOnlyList<string> DataDescriptions, int Batches, int Warmup, int Rounds,
    int LogicalCpus, int TorchThreads, LoadAverage? LoadStart, LoadAverage? LoadEnd, IReadOnlyList<BenchConfigResult> Configs)
{
    /// <summary>The OpenMP settings the process started with (OMP_WAIT_POLICY, GOMP_SPINCOUNT, OMP_NUM_THREADS; null = unset).</summary>
    public OpenMpSettings OpenMp { get; init; } = OpenMpSettings.FromEnvironment();

    public bool SameBatches => Configs.Select(c => c.BatchGroup).Distinct().Count() == 1;
    public bool SharedTokenizer => Configs.Select(c => c.Tokenizer).Distinct().Count() == 1;

    /// <summary>Median tokens/s of each config over the first config's.</summary>
    public IReadOnlyList<double> Ratios
    {
        get
        {
            var first = Configs[0].TokensPerSecond.Median;
            return [.. Configs.Select(c => first > 0 ? c.TokensPerSecond.Median / first : double.NaN)];
        }
    }

    /// <summary>The cell whose backprop is the baseline of <paramref name="cell"/> (revgru → gru, revlstm → lstm).</summary>
    public static CellKind BaselineCellOf(CellKind cell) => cell switch
    {
        CellKind.RevGru => CellKind.Gru,
        CellKind.RevLstm => CellKind.Lstm,
        _ => cell,
    };

    /// <summary>Per config, the index of the config with the highest median among those of its baseline cell (null when
    /// there is none).</summary>
    public IReadOnlyList<int?> FastestBaselines => [.. Configs.Select(c =>
    {
        var family = BaselineCellOf(c.Cell);
        int? best = null;
        for (int i = 0; i < Configs.Count; i++)
            if (Configs[i].Cell == family && (best is null || Configs[i].TokensPerSecond.Median > Configs[best.Value].TokensPerSecond.Median))
                best = i;
        return best;
    })];

    /// <summary>Median tokens/s of each config over the median of the fastest config of its baseline cell (null: none).</summary>
    public IReadOnlyList<double?> RatiosToFastestBaseline
    {
        get
        {
            var fastest = FastestBaselines;
            return [.. Configs.Select((c, i) => fastest[i] is int b && Configs[b].TokensPerSecond.Median > 0
                ? c.TokensPerSecond.Median / Configs[b].TokensPerSecond.Median : (double?)null)];
        }
    }

    /// <summary>Per config, the median over the rounds of its tokens/s over its fastest baseline's in the same round
    /// (null: none). Each round times every config back to back (in reverse order in even rounds), so a change of the
    /// machine's own speed between rounds cancels in each round's ratio: the paired estimate beside
    /// <see cref="RatiosToFastestBaseline"/>, the ratio of the medians.</summary>
    public IReadOnlyList<double?> PairedRatiosToFastestBaseline
    {
        get
        {
            var fastest = FastestBaselines;
            return [.. Configs.Select((c, i) =>
            {
                if (fastest[i] is not int b) return (double?)null;
                var perRound = c.TokensPerSecondByRound.Zip(Configs[b].TokensPerSecondByRound)
                    .Where(p => p.Second > 0).Select(p => p.First / p.Second).ToList();
                return perRound.Count == 0 ? null : Spread.Of(perRound).Median;
            })];
        }
    }

    public IReadOnlyList<string> Searches => Configs.FirstOrDefault(c => c.Translation is not null)?.Translation!.Timings.Select(t => t.Search).ToList() ?? [];

    /// <summary>Median sentences/s of each config's run over the first's, for one search.</summary>
    public IReadOnlyList<double> TranslationRatios(string search)
    {
        double Rate(BenchConfigResult c) => c.Translation!.Timings.First(t => t.Search == search).Rate.Median;
        var first = Rate(Configs[0]);
        return [.. Configs.Select(c => first > 0 ? Rate(c) / first : double.NaN)];
    }

    public string ToJson()
    {
        var configs = new JsonArray();
        foreach (var c in Configs)
        {
            var tps = c.TokensPerSecond;
            var o = new JsonObject
            {
                ["name"] = c.Name,
                ["cell"] = SettingNames.Cells.NameOf(c.Cell),
                ["training_memory"] = SettingNames.MemoryModes.NameOf(c.TrainingMemory),
                ["loss_head"] = SettingNames.LossHeads.NameOf(c.LossHead),
                ["loss_shard"] = c.LossShard,
                ["tokenizer"] = c.Tokenizer,
                ["batch_group"] = c.BatchGroup,
                ["batches_per_round"] = c.BatchesPerRound,
                ["sentences_per_round"] = c.SentencesPerRound,
                ["target_tokens_per_round"] = c.TokensPerRound,
                ["tokens_per_second"] = new JsonObject
                {
                    ["median"] = Math.Round(tps.Median, 2),
                    ["min"] = Math.Round(tps.Min, 2),
                    ["max"] = Math.Round(tps.Max, 2),
                    ["rounds"] = Numbers(c.TokensPerSecondByRound, 2),
                },
                ["seconds_per_round"] = Numbers(c.RoundSeconds, 4),
                ["mean_loss"] = double.IsFinite(c.MeanLoss) ? Math.Round(c.MeanLoss, 4) : null,
            };
            if (c.Profile is { } p) o["profile"] = ProfileJson(c, p);
            if (c.Translation is { } t) o["translation"] = TranslationJson(t);
            configs.Add(o);
        }
        var ratios = new JsonObject();
        var r = Ratios;
        for (int i = 0; i < Configs.Count; i++) ratios[Configs[i].Name] = Math.Round(r[i], 4);
        var fastest = new JsonObject();
        var toFastest = new JsonObject();
        var fastestIndex = FastestBaselines;
        var fastestRatios = RatiosToFastestBaseline;
        var paired = new JsonObject();
        var pairedRatios = PairedRatiosToFastestBaseline;
        for (int i = 0; i < Configs.Count; i++)
        {
            fastest[Configs[i].Name] = fastestIndex[i] is int b ? Configs[b].Name : null;
            toFastest[Configs[i].Name] = fastestRatios[i] is double x ? Math.Round(x, 4) : null;
            paired[Configs[i].Name] = pairedRatios[i] is double y ? Math.Round(y, 4) : null;
        }

        var root = new JsonObject
        {
            ["data"] = Data,
            ["data_description"] = new JsonArray([.. DataDescriptions.Select(d => (JsonNode)d)]),
            ["same_batches"] = SameBatches,
            ["shared_tokenizer"] = SharedTokenizer,
            ["batches"] = Batches,
            ["warmup"] = Warmup,
            ["rounds"] = Rounds,
            ["machine"] = new JsonObject
            {
                ["logical_cpus"] = LogicalCpus,
                ["torch_threads"] = TorchThreads,
                ["load_average_start"] = Load(LoadStart),
                ["load_average_end"] = Load(LoadEnd),
                ["omp_wait_policy"] = OpenMp.WaitPolicy,
                ["gomp_spincount"] = OpenMp.SpinCount,
                ["omp_num_threads"] = OpenMp.NumThreads,
            },
            ["configs"] = configs,
            ["ratios"] = ratios,
            ["fastest_baselines"] = fastest,
            ["ratios_to_fastest_baseline"] = toFastest,
            ["paired_ratios_to_fastest_baseline"] = paired,
        };
        if (Configs.All(c => c.Translation is not null))
        {
            var tr = new JsonObject();
            foreach (var search in Searches)
            {
                var values = TranslationRatios(search);
                var bySearch = new JsonObject();
                for (int i = 0; i < Configs.Count; i++) bySearch[Configs[i].Name] = Math.Round(values[i], 4);
                tr[search] = bySearch;
            }
            root["translation_ratios"] = tr;
        }
        return root.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    private static JsonArray Numbers(IEnumerable<double> values, int digits) => new([.. values.Select(v => (JsonNode)Math.Round(v, digits))]);

    private static JsonNode? Load(LoadAverage? l) => l is null ? null : new JsonArray(l.One, l.Five, l.Fifteen);

    private static JsonObject ProfileJson(BenchConfigResult c, PhaseProfile p)
    {
        var phases = new JsonObject();
        if (c.TrainsByReversal)
        {
            foreach (var (key, _, seconds) in p.Phases) phases[key] = Phase(seconds, p.StepSeconds);
            phases[PhaseProfile.OtherKey] = Phase(p.OtherSeconds, p.StepSeconds);
        }
        return new JsonObject
        {
            ["step_seconds"] = Math.Round(p.StepSeconds, 5),
            ["phases"] = c.TrainsByReversal ? phases : null,
            ["note"] = c.TrainsByReversal ? "seconds per step (exclusive); share of the measured step time" : "not trained by reversal: no phases",
        };
    }

    private static JsonObject Phase(double seconds, double step) => new()
    {
        ["seconds"] = Math.Round(seconds, 5),
        ["share"] = step > 0 ? Math.Round(seconds / step, 4) : 0,
    };

    private static JsonObject TranslationJson(TranslationResult t)
    {
        var o = new JsonObject
        {
            ["run"] = t.Run,
            ["checkpoint"] = t.Checkpoint,
            ["split"] = t.Split,
            ["sentences"] = t.Sentences,
        };
        foreach (var timing in t.Timings)
        {
            var rate = timing.Rate;
            o[timing.Search] = new JsonObject
            {
                ["beam_size"] = timing.BeamSize,
                ["sentences_per_second"] = new JsonObject
                {
                    ["median"] = Math.Round(rate.Median, 2), ["min"] = Math.Round(rate.Min, 2), ["max"] = Math.Round(rate.Max, 2),
                },
                ["seconds"] = Numbers(timing.Seconds, 3),
            };
        }
        return o;
    }
}
