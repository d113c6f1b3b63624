// AtomicFile: replaces a file so that readers (and a crash at any moment) see either the old complete file or
// the new complete file: write "<path>.tmp", flush to disk (fsync), rename over <path>. WriteOutput is the same for
// a user-named output file: an I/O failure becomes a one-line UserError naming it.
using Seq2SeqRev.Cli;

namespace Seq2SeqRev.Cli;

public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary><see cref="Write"/>, with an IOException or UnauthorizedAccessException (from the file or from
    /// <paramref name="write"/>) reported as the UserError "PATH: cannot write (reason)".</summary>
    public static void WriteOutput(string path, Action<Stream> write)
    {
        try { Write(path, write); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot write ({e.Message})");
        }
    }
}
