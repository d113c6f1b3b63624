// RunLog: the plain-text train.log of a run (appended across resumes, one timestamped line per event, flushed
// per line so a killed run keeps its log) with optional echo of the same lines to a console writer.
using System.Globalization;

namespace Seq2SeqRev.Training;

public sealed class RunLog : IDisposable
{
    private readonly StreamWriter _file;
    private readonly TextWriter? _echo;

    public RunLog(string path, TextWriter? echo)
    {
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true, NewLine = "\n" };
        _echo = echo;
    }

    /// <summary>Writes <paramref name="line"/> to train.log, and to the echo writer unless <paramref name="echo"/> is false.</summary>
    public void Line(string line, bool echo = true)
    {
        _file.WriteLine($"{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {line}");
        if (echo) _echo?.WriteLine(line);
    }

    public void Dispose() => _file.Dispose();
}
