// AllocTrace: the probe's side of scripts/alloc-trace (an LD_PRELOAD census of the native heap at a step's peak).
// Guarantees: inert unless SEQ2SEQREV_ALLOC_TRACE names an output file and SEQ2SEQREV_ALLOC_TRACE_LIB the preloaded
// library; then Window(...) opens the census before the measured step and closes it after (writing the file), and every
// native allocation in between is labelled with the innermost training phase (PhaseProfiler, switched on for the window).
using System.Runtime.InteropServices;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Training;

namespace Seq2SeqRev.Memory;

internal sealed class AllocTrace : IDisposable
{
    public const string OutputVariable = "SEQ2SEQREV_ALLOC_TRACE", LibraryVariable = "SEQ2SEQREV_ALLOC_TRACE_LIB";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void Begin();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void End([MarshalAs(UnmanagedType.LPUTF8Str)] string path);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void Label([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    private readonly string _output;
    private readonly End _end;
    private readonly Label _label;
    private readonly Dictionary<Phase, string> _names = Enum.GetValues<Phase>().ToDictionary(p => p, p => p.ToString());

    private AllocTrace(string output, IntPtr library)
    {
        _output = output;
        _end = Marshal.GetDelegateForFunctionPointer<End>(NativeLibrary.GetExport(library, "at_end"));
        _label = Marshal.GetDelegateForFunctionPointer<Label>(NativeLibrary.GetExport(library, "at_label"));
        var begin = Marshal.GetDelegateForFunctionPointer<Begin>(NativeLibrary.GetExport(library, "at_begin"));
        _label("Step");
        PhaseProfiler.PhaseChanged = p => _label(p is { } phase ? _names[phase] : "Step");
        PhaseProfiler.Enabled = true;
        begin();
    }

    /// <summary>The census window when the environment asks for one, else null.</summary>
    public static AllocTrace? Window()
    {
        var output = Environment.GetEnvironmentVariable(OutputVariable);
        var library = Environment.GetEnvironmentVariable(LibraryVariable);
        if (string.IsNullOrEmpty(output) || string.IsNullOrEmpty(library)) return null;
        return new AllocTrace(output, NativeLibrary.Load(library));
    }

    public void Dispose()
    {
        PhaseProfiler.Enabled = false;
        PhaseProfiler.PhaseChanged = null;
        _end(_output);
        PhaseProfiler.Take();
    }
}
