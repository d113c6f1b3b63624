// InteractiveLineReaderTests: LineReader over a real pipe — it says whether a whole line has arrived without blocking
// (a partial line is not one; the end of the input is), keeps a partial line across looks, and a wait for input ends
// when its cancellation token fires; a FIFO given by path (translate --input FIFO) is interactive too; files and in-memory
// streams are never interactive.
using System.IO.Pipes;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Seq2SeqRev.Runs.Data;
using Xunit;

namespace Seq2SeqRev.Tests.Runs.Data;

public sealed class InteractiveLineReaderTests
{
    /// <summary>A pipe: the write end, and the read end as an unbuffered FileStream (as standard input is opened).</summary>
    private static (AnonymousPipeServerStream Writer, FileStream Reader) Pipe()
    {
        var writer = new AnonymousPipeServerStream(PipeDirection.Out);
        var reader = new FileStream(new SafeFileHandle(writer.ClientSafePipeHandle.DangerousGetHandle(), ownsHandle: false),
            FileAccess.Read, bufferSize: 0);
        return (writer, reader);
    }

    private static void Send(Stream writer, string text)
    {
        writer.Write(Encoding.UTF8.GetBytes(text));
        writer.Flush();
    }

    private static string Next(LineReader reader)
    {
        Assert.True(reader.ReadLine(out var bytes));
        return Encoding.UTF8.GetString(bytes);
    }

    [Fact]
    public void SaysWhetherAWholeLineHasArrived()
    {
        var (writer, stream) = Pipe();
        using var pipeEnd = stream;
        using var reader = new LineReader(stream, "<pipe>");
        Assert.True(reader.Interactive);
        Assert.False(reader.LineWaiting());
        Send(writer, "one\ntw");
        Assert.True(reader.LineWaiting());
        Assert.Equal("one", Next(reader));
        Assert.False(reader.LineWaiting());          // "tw" is not a line yet
        Send(writer, "o\nthree");
        Assert.True(reader.LineWaiting());
        Assert.Equal("two", Next(reader));
        Assert.False(reader.LineWaiting());
        writer.Dispose();                             // end of input: the partial last line is a line
        Assert.True(reader.LineWaiting());
        Assert.Equal("three", Next(reader));
        Assert.True(reader.LineWaiting());
        Assert.False(reader.ReadLine(out _));
    }

    [Fact]
    public void AWaitForInputEndsWhenCancelled()
    {
        var (writer, stream) = Pipe();
        using var writeEnd = writer;
        using var readEnd = stream;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        using var reader = new LineReader(stream, "<pipe>", cancel.Token);
        var waiting = Task.Run(() => reader.ReadLine(out _));
        Assert.True(((IAsyncResult)waiting).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the wait did not end");
        Assert.IsType<OperationCanceledException>(waiting.Exception?.InnerException);
    }

    [Fact]
    public void FilesAndMemoryAreNotInteractive()
    {
        using var dir = new TempDir();
        using var file = new LineReader(dir.File("a.txt", "x\ny"));
        using var memory = new LineReader(new MemoryStream(Encoding.UTF8.GetBytes("x")), "<memory>");
        Assert.False(file.Interactive);
        Assert.False(memory.Interactive);
        Assert.True(file.LineWaiting());
        Assert.Equal("x", Next(file));
        Assert.True(memory.LineWaiting());
    }

    [Fact]
    public async Task AFifoGivenByPathIsInteractive()
    {
        using var dir = new TempDir();
        var fifo = Path.Combine(dir.Path, "in.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo), "mkfifo failed");
        // Opening a FIFO for reading waits for a writer: open both ends at once.
        var opening = Task.Run(() => new LineReader(fifo));
        using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        using var reader = await opening.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(reader.Interactive);
        Assert.False(reader.LineWaiting());
        Send(writer, "one\n");
        Assert.True(reader.LineWaiting());
        Assert.Equal("one", Next(reader));
        Assert.False(reader.LineWaiting());
        writer.Dispose();
        Assert.True(reader.LineWaiting());
        Assert.False(reader.ReadLine(out _));
    }
}
