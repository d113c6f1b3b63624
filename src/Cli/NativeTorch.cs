// NativeTorch: checks, before TorchSharp's own loader runs, that this program's copy of TorchSharp's native shim loads.
// Guarantees: on success nothing changes (the library stays loaded, TorchSharp finds it); on failure it returns one line
// saying what is missing and how to fix it, instead of TorchSharp's multi-page trace and its fallback that copies
// ~600 MB of unpatched natives from the NuGet cache beside the program. Commands that need no TorchSharp (score) never
// call it. The shim is made loadable on a stock Debian 12 by the build (build/NativeShim.targets).
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Seq2SeqRev.Cli;

public static partial class NativeTorch
{
    public const string ShimName = "libLibTorchSharp.so";

    /// <summary>Loads the shim next to this program; throws a one-line <see cref="UserError"/> when it cannot.</summary>
    public static void EnsureLoadable()
    {
        if (Describe(AppContext.BaseDirectory) is { } problem) throw new UserError(problem);
    }

    /// <summary>Null when the shim under <paramref name="appDir"/> loads, else the one-line diagnosis.</summary>
    public static string? Describe(string appDir)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var path = Path.Combine(appDir, "runtimes", "linux-x64", "native", ShimName);
        if (!File.Exists(path))
            return $"TorchSharp's native library {path} is missing (incomplete build output); rebuild with ./seq2seqrev setup";
        try
        {
            NativeLibrary.Load(path);
            return null;
        }
        catch (DllNotFoundException e)
        {
            return Diagnose(path, e.Message);
        }
    }

    /// <summary>The one-line diagnosis of a loader message (dlerror text) for the shim at <paramref name="path"/>.</summary>
    public static string Diagnose(string path, string loaderMessage)
    {
        var flat = string.Join(' ', loaderMessage.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var version = MissingVersion().Match(flat);
        if (version.Success)
        {
            var (lib, name) = (version.Groups["lib"].Value, version.Groups["version"].Value);
            var fix = name == "GLIBCXX_3.4.32"
                ? "this copy was not patched by the build; rebuild with ./seq2seqrev setup (it marks that one version weak)"
                : $"install a libstdc++ that provides {name} (Debian 12 or newer) or put one first on LD_LIBRARY_PATH";
            return $"TorchSharp's native library cannot load: {lib} lacks {name} (required by {path}); {fix}";
        }
        var missing = MissingFile().Match(flat);
        if (missing.Success)
            return $"TorchSharp's native library cannot load: {missing.Groups["lib"].Value} is not found (needed by {path}); " +
                   "rebuild with ./seq2seqrev setup, or install that library";
        return $"TorchSharp's native library cannot load: {path}: {flat}";
    }

    [GeneratedRegex(@"(?<lib>\S+): version [`'](?<version>[A-Z_]+[0-9.]+)' not found")]
    private static partial Regex MissingVersion();

    [GeneratedRegex(@"(?<lib>[^\s:]+\.so[0-9.]*): cannot open shared object file")]
    private static partial Regex MissingFile();
}
