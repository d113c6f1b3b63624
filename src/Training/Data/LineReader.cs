// LineReader: reads a plain or gzip-compressed text file as raw byte lines and decodes them strictly as UTF-8.
// Guarantees: gzip is detected by its magic bytes (1F 8B), not the file name; lines end at '\n' only; one '\r'
// directly before a '\n' (or at the end of the file) is stripped, any other '\r' stays inside the line; a final
// line without '\n' is still a line, and a file ending in '\n' has no extra empty line; a UTF-8 BOM at the start
// of the file is dropped; invalid UTF-8 never throws here: TryDecode reports it and the caller decides. An already
// open stream (standard input) is read as plain text, without gzip detection.
using System.IO.Compression;
using System.Text;
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Training.Data;

public sealed class LineReader : IDisposable
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Stream _stream;
    private readonly FileStream? _file;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private bool _eof, _first = true;
    private byte[] _line = new byte[256];

    public LineReader(string path)
    {
        Path = path;
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> magic = stackalloc byte[2];
            int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            _file = file;
            _stream = n == 2 && magic[0] == 0x1F && magic[1] == 0x8B
                ? new GZipStream(file, CompressionMode.Decompress) : file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot open ({e.Message})");
        }
    }

    /// <summary>Reads an already open stream (e.g. standard input) as plain text; <paramref name="name"/> names it in errors.</summary>
    public LineReader(Stream stream, string name)
    {
        Path = name;
        _stream = stream;
    }

    public string Path { get; }

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
        try
        {
            _start = 0;
            _end = _stream.Read(_buffer, 0, _buffer.Length);
        }
        catch (InvalidDataException e)
        {
            throw new UserError($"{Path}: corrupt gzip data after line {LineNumber} ({e.Message})");
        }
        if (_end == 0) _eof = true;
        return _end > 0;
    }

    public void Dispose() => _stream.Dispose();
}
