// LineReader: reads a plain or gzip-compressed text file as raw byte lines and decodes them strictly as UTF-8.
// Guarantees: gzip is detected by its magic bytes (1F 8B), not the file name; lines end at '\n' only; one '\r'
// directly before a '\n' (or at the end of the file) is stripped, any other '\r' stays inside the line; a final
// line without '\n' is still a line, and a file ending in '\n' has no extra empty line; a UTF-8 BOM at the start
// of the file is dropped; invalid UTF-8 never throws here: TryDecode reports it and the caller decides. An already
// open stream (standard input) and an unseekable file (a FIFO, /dev/stdin) are read as plain text, without gzip
// detection. A pipe, terminal or FIFO is Interactive: LineWaiting says whether the next line can be read without
// waiting for more input (it reads what has arrived, never blocks), and a wait for input ends with
// OperationCanceledException when the reader's cancellation token fires (so Ctrl-C stops an idle `translate`).
using System.IO.Compression;
using System.Text;
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Runs.Data;

public sealed class LineReader : IDisposable
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    /// <summary>How long a wait for interactive input sleeps between looks at the cancellation token.</summary>
    private const int WaitSliceMs = 200;

    private readonly Stream _stream;
    private readonly FileStream? _file;
    private readonly InteractiveInput? _interactive;
    private readonly CancellationToken _cancel;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private bool _eof, _first = true;
    private byte[] _line = new byte[256];

    /// <param name="cancel">Ends a wait for interactive input (pipe, terminal, FIFO) with OperationCanceledException.</param>
    public LineReader(string path, CancellationToken cancel = default)
    {
        Path = path;
        _cancel = cancel;
        try
        {
            // Unbuffered: this reader has its own buffer, and no input may hide where poll(2) cannot see it.
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            _file = file;
            _stream = file;
            if (!file.CanSeek)
            {
                _interactive = InteractiveInput.For(file);
                return;
            }
            Span<byte> magic = stackalloc byte[2];
            int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (n == 2 && magic[0] == 0x1F && magic[1] == 0x8B) _stream = new GZipStream(file, CompressionMode.Decompress);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot open ({e.Message})");
        }
    }

    /// <summary>Reads an already open stream (e.g. standard input) as plain text; <paramref name="name"/> names it in errors.</summary>
    /// <param name="cancel">Ends a wait for interactive input (pipe, terminal, FIFO) with OperationCanceledException.</param>
    public LineReader(Stream stream, string name, CancellationToken cancel = default)
    {
        Path = name;
        _stream = stream;
        _cancel = cancel;
        _interactive = InteractiveInput.For(stream);
    }

    public string Path { get; }

    /// <summary>The input is a pipe, terminal or FIFO: lines may arrive one at a time while a user or program waits
    /// for answers (see <see cref="LineWaiting"/>).</summary>
    public bool Interactive => _interactive is not null;

    /// <summary>
    /// True when <see cref="ReadLine"/> would return without waiting for more input: a whole line (or the end of the
    /// input) has arrived. Reads what is already there, never blocks. Always true for files and in-memory streams,
    /// and while a line longer than the read buffer is arriving (only its end is left to wait for).
    /// </summary>
    public bool LineWaiting()
    {
        if (_interactive is null) return true;
        while (true)
        {
            if (_eof || _buffer.AsSpan(_start, _end - _start).Contains((byte)'\n')) return true;
            if (_start == 0 && _end == _buffer.Length) return true;
            if (!_interactive.Ready(0)) return false;
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            int n = Read(_end);
            if (n == 0) _eof = true;
            _end += n;
        }
    }

    /// <summary>Approximate fraction of a file consumed so far (by compressed bytes for gzip); null for a stream.</summary>
    public double? Fraction => _file is { } f && f.CanSeek && f.Length > 0 ? (double)f.Position / f.Length : null;

    /// <summary>1-based number of the line last returned by <see cref="ReadLine"/>.</summary>
    public int LineNumber { get; private set; }

    /// <summary>Next line's bytes (valid until the next call), or false at end of file.</summary>
    public bool ReadLine(out ReadOnlySpan<byte> line)
    {
        int length = 0;
        bool any = false;
        while (true)
        {
            if (_start == _end && !Fill()) break; // end of file: a last line without '\n' still counts
            any = true;
            var chunk = _buffer.AsSpan(_start, _end - _start);
            int nl = chunk.IndexOf((byte)'\n');
            Append(ref length, nl < 0 ? chunk : chunk[..nl]);
            _start += nl < 0 ? chunk.Length : nl + 1;
            if (nl >= 0) break;
        }
        if (!any) { line = default; return false; }
        var span = _line.AsSpan(0, length);
        if (span.Length > 0 && span[^1] == (byte)'\r') span = span[..^1];
        if (_first)
        {
            _first = false;
            if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        }
        LineNumber++;
        line = span;
        return true;
    }

    /// <summary>Strict UTF-8 decoding; false (and null) when the bytes are not valid UTF-8.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string? text)
    {
        try { text = s_strict.GetString(bytes); return true; }
        catch (DecoderFallbackException) { text = null; return false; }
    }

    /// <summary>Counts the lines not read yet (used to report both counts of mismatched files).</summary>
    public int CountRemaining()
    {
        int n = 0;
        while (ReadLine(out _)) n++;
        return n;
    }

    private void Append(ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > _line.Length)
            Array.Resize(ref _line, Math.Max(_line.Length * 2, length + bytes.Length));
        bytes.CopyTo(_line.AsSpan(length));
        length += bytes.Length;
    }

    private bool Fill()
    {
        if (_eof) return false;
        if (_interactive is not null)
            while (!_interactive.Ready(WaitSliceMs)) _cancel.ThrowIfCancellationRequested();
        _start = 0;
        _end = Read(0);
        if (_end == 0) _eof = true;
        return _end > 0;
    }

    /// <summary>Reads into the buffer from <paramref name="at"/>; 0 at the end of the input.</summary>
    private int Read(int at)
    {
        try
        {
            return _stream.Read(_buffer, at, _buffer.Length - at);
        }
        catch (InvalidDataException e)
        {
            throw new UserError($"{Path}: corrupt gzip data after line {LineNumber} ({e.Message})");
        }
    }

    public void Dispose() => _stream.Dispose();
}
