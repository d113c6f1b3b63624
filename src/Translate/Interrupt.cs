// Interrupt: turns the first SIGINT/SIGTERM into a cancellation request, so a command stops cleanly at its next
// check (no partial output file: outputs are written atomically); a second signal gets the default action.
using System.Runtime.InteropServices;

namespace Seq2SeqRev.Translate;

internal sealed class Interrupt : IDisposable
{
    public const int ExitCode = 130;

    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    public Interrupt()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _cancel.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (_cancel.IsCancellationRequested) return; // second signal: default action
        context.Cancel = true;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _cancel.Dispose();
    }
}
