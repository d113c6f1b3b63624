// TrainingProgress: per-epoch progress display. Live: a Spectre.Console bar on stderr (tokens/s, loss, lr,
// remaining time), used only when stderr is a terminal. Otherwise nothing is drawn and the trainer's periodic
// log lines (every training.log_every batches) are echoed instead, so redirected output stays plain text.
using Spectre.Console;

namespace Seq2SeqRev.Training;

public readonly record struct ProgressInfo(int BatchesDone, double TokensPerSecond, double Loss, double LearningRate);

public interface ITrainingProgress
{
    /// <summary>True when a live display owns the terminal (periodic lines then go only to train.log).</summary>
    bool IsLive { get; }

    /// <summary>Runs <paramref name="body"/> (the batches of one epoch), which reports progress through its argument.</summary>
    void RunEpoch(int epoch, int totalBatches, int startBatch, Action<Action<ProgressInfo>> body);
}

public sealed class NoProgress : ITrainingProgress
{
    public bool IsLive => false;
    public void RunEpoch(int epoch, int totalBatches, int startBatch, Action<Action<ProgressInfo>> body) => body(_ => { });
}

public sealed class LiveProgress(TextWriter stderr) : ITrainingProgress
{
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });

    public bool IsLive => true;

    public void RunEpoch(int epoch, int totalBatches, int startBatch, Action<Action<ProgressInfo>> body) =>
        _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"epoch {epoch}", maxValue: Math.Max(1, totalBatches));
                task.Value = startBatch;
                body(info =>
                {
                    task.Value = info.BatchesDone;
                    task.Description = Markup.Escape(
                        $"epoch {epoch} {info.BatchesDone}/{totalBatches}  {info.TokensPerSecond:F0} tok/s  loss {info.Loss:F3}  lr {info.LearningRate:G4}");
                });
                task.Value = task.MaxValue;
            });
}
