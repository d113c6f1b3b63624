// Line reading for everything that scores (score, translate --ref, report). Guarantees: a file whose
// first bytes are the gzip magic (1F 8B) is decompressed, as sacreBLEU's smart_open does for .gz;
// input is decoded as strict UTF-8 (an invalid sequence throws UserError naming the source and
// 1-based line); lines are split on '\n' only (a lone '\r' never ends a line); a final '\n' does not
// start an extra line; each line is rstripped with Python's whitespace set, as sacreBLEU's CLI does.
// A missing file or corrupt gzip data throws UserError naming it.
using System.IO.Compression;
using System.Text;
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Scoring;

public static class ScoringLineReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static List<string> ReadFile(string path, string role)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
            if (bytes is [0x1F, 0x8B, ..]) bytes = Gunzip(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new UserError($"{role} file {path}: corrupt gzip data ({e.Message})");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UserError($"{role} file not found: {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"cannot read {role} file {path}: {e.Message}");
        }
        return Split(bytes, path);
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    public static List<string> ReadStream(Stream stream, string name)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Split(buffer.ToArray(), name);
    }

    private static List<string> Split(byte[] bytes, string name)
    {
        var lines = new List<string>();
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            string line;
            try
            {
                line = StrictUtf8.GetString(bytes, start, end - start);
            }
            catch (DecoderFallbackException)
            {
                throw new UserError($"{name}: line {lines.Count + 1}: invalid UTF-8");
            }
            lines.Add(PythonText.RStrip(line));
            start = end + 1;
        }
        return lines;
    }
}
