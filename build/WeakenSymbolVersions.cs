// WeakenSymbolVersions: an MSBuild task (compiled by RoslynCodeTaskFactory from this file) that marks chosen symbol-version
// requirements of an ELF64 shared library as weak (VER_FLG_WEAK in the Elf64_Vernaux entry of .gnu.version_r).
// Guarantees: only the named versions under the named library are touched, and only in the files given (the project's
// own build output, never the NuGet cache or the system: the file is rewritten through a temp file and a rename, so a
// hard link to the cache would be broken, not written through); running it again changes nothing (idempotent); the
// file's timestamp is kept, so incremental copies stay incremental; a file that is not ELF64 little-endian, or lacks the
// version section, is a build error naming the file.
// Why: TorchSharp 0.107's libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13) for one symbol no relocation uses
// (std::ios_base_library_init); marked weak, glibc's loader accepts Debian 12's libstdc++ (GLIBCXX_3.4.30).
// See shared/docs/native-loading.md and README "Requirements".
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenSymbolVersions : Microsoft.Build.Utilities.Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>The libraries to patch (missing files are skipped).</summary>
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    /// <summary>The needed library whose versions are weakened, e.g. libstdc++.so.6.</summary>
    [Required] public string Library { get; set; } = "";
    /// <summary>Semicolon-separated version names, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string Versions { get; set; } = "";

    public override bool Execute()
    {
        var versions = Versions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries);
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            try
            {
                var bytes = File.ReadAllBytes(path);
                var changed = Weaken(bytes, Library, versions, path);
                if (changed == 0) continue;
                var stamp = File.GetLastWriteTimeUtc(path);
                var temp = path + ".weaken.tmp";
                File.WriteAllBytes(temp, bytes);
                File.SetLastWriteTimeUtc(temp, stamp);
                File.Replace(temp, path, null);   // rename over the old file (atomic; never writes through a link)
                Log.LogMessage(MessageImportance.Normal, $"{path}: marked {changed} version requirement(s) of {Library} weak");
            }
            catch (InvalidDataException e)
            {
                Log.LogError($"{path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>Sets VER_FLG_WEAK on the matching Elf64_Vernaux entries; returns how many flags it changed.</summary>
    public static int Weaken(byte[] elf, string library, string[] versions, string name)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a little-endian ELF64 file");
        var shoff = (long)U64(elf, 0x28);
        var shentsize = U16(elf, 0x3A);
        var shnum = U16(elf, 0x3C);
        var changed = 0;
        var found = false;
        for (var i = 0; i < shnum; i++)
        {
            var sh = shoff + (long)i * shentsize;
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            found = true;
            var offset = (long)U64(elf, sh + 0x18);
            var strtab = (long)U64(elf, shoff + (long)U32(elf, sh + 0x28) * shentsize + 0x18);
            var count = U32(elf, sh + 0x2C);
            var need = offset;
            for (var n = 0; n < count; n++)
            {
                var file = CString(elf, strtab + U32(elf, need + 4));
                var aux = need + U32(elf, need + 8);
                for (var a = 0; a < U16(elf, need + 2); a++)
                {
                    var flags = U16(elf, aux + 4);
                    var version = CString(elf, strtab + U32(elf, aux + 8));
                    if (file == library && Array.IndexOf(versions, version) >= 0 && (flags & VerFlgWeak) == 0)
                    {
                        var weak = (ushort)(flags | VerFlgWeak);
                        elf[aux + 4] = (byte)weak;
                        elf[aux + 5] = (byte)(weak >> 8);
                        changed++;
                    }
                    var next = U32(elf, aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                var nextNeed = U32(elf, need + 12);
                if (nextNeed == 0) break;
                need += nextNeed;
            }
        }
        if (!found) throw new InvalidDataException("no .gnu.version_r section (symbol versions) found");
        return changed;
    }

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
    private static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
    private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

    private static string CString(byte[] b, long o)
    {
        var end = o;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
    }
}
