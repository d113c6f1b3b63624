// InteractiveInput: tells whether a read from a pipe, a terminal or a FIFO would return at once, so that a reader can
// act on what has arrived instead of waiting for more (translate answers each line a program or a person sends while
// they wait). Guarantees: only unseekable FileStreams are watched (regular files and in-memory streams are never
// "interactive": their readers keep reading full batches); Ready never consumes input (poll(2) on the descriptor);
// an error from poll, or a platform without it, counts as "ready", so a read reports the problem instead of a hang;
// OpenStandardInput gives fd 0 as an unbuffered FileStream (no bytes hidden in a managed buffer where poll cannot see
// them), falling back to Console.OpenStandardInput when fd 0 cannot be wrapped.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Seq2SeqRev.Cli;

public sealed class InteractiveInput
{
    private const short PollIn = 0x001;
    private const int EINTR = 4;
    private static bool s_unavailable;

    private readonly SafeFileHandle _handle;

    private InteractiveInput(SafeFileHandle handle) => _handle = handle;

    /// <summary>A watcher for <paramref name="stream"/> when it is a pipe, terminal or FIFO (an unseekable
    /// FileStream, which must be unbuffered); null otherwise.</summary>
    public static InteractiveInput? For(Stream stream) =>
        !s_unavailable && OperatingSystem.IsLinux() && stream is FileStream { CanSeek: false } file ? new(file.SafeFileHandle) : null;

    /// <summary>Standard input as an unbuffered stream (fd 0 not closed on dispose).</summary>
    public static Stream OpenStandardInput()
    {
        if (OperatingSystem.IsLinux())
        {
            try { return new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0); }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { }
        }
        return Console.OpenStandardInput();
    }

    /// <summary>True when a read would return without waiting (data, end of input or an error is there), waiting at
    /// most <paramref name="timeoutMs"/> milliseconds for it (0: just look).</summary>
    public bool Ready(int timeoutMs)
    {
        if (s_unavailable || _handle.IsClosed) return true;
        var fd = new PollFd { Fd = (int)_handle.DangerousGetHandle(), Events = PollIn };
        int n;
        try { n = Poll(ref fd, 1, timeoutMs); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return true;
        }
        if (n > 0) return true;
        if (n == 0) return false;
        return Marshal.GetLastPInvokeError() != EINTR; // interrupted by a signal: not ready yet (the caller looks again)
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [DllImport("libc.so.6", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollFd fds, nuint count, int timeoutMs);
}
