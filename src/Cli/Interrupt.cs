// Interrupt: the one signal handler of both executables. Turns the first SIGINT/SIGTERM into a cancellation request,
// so a command stops cleanly at its next check (outputs are written atomically: no partial file); a second signal
// gets the default action (terminate). Optionally tells the user, on the first signal, what will happen.
using System.Runtime.InteropServices;

namespace Seq2SeqRev.Cli;

public sealed class Interrupt : IDisposable
{
    /// <summary>The exit code of a command stopped by a signal (128 + SIGINT).</summary>
    public const int ExitCode = 130;

    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private readonly Action<PosixSignal>? _onFirst;

    /// <param name="onFirst">Called once, with the signal, when the first signal arrives (e.g. to say what happens next).</param>
    public Interrupt(Action<PosixSignal>? onFirst = null)
    {
        _onFirst = onFirst;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _cancel.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (_cancel.IsCancellationRequested) return; // second signal: default action
        context.Cancel = true;
        _onFirst?.Invoke(context.Signal);
        _cancel.Cancel();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _cancel.Dispose();
    }
}
