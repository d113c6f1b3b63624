// EpochCheckpoints: the per-epoch checkpoints a run keeps for averaging (training.keep_checkpoints), named
// epoch-NN.ckpt after the epoch they end. Guarantees: each is written atomically (Checkpoint.Save: temp file + rename);
// after a save only the newest `keep` of them remain (older ones are deleted, nothing else in the folder is touched);
// List returns a folder's epoch checkpoints in epoch order, ignoring any other file.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Seq2SeqRev.Runs;

public static partial class EpochCheckpoints
{
    /// <summary>The file name of the checkpoint saved after <paramref name="epoch"/> (at least two digits: epoch-07.ckpt).</summary>
    public static string FileName(int epoch) => string.Create(CultureInfo.InvariantCulture, $"epoch-{epoch:D2}.ckpt");

    /// <summary>Saves <paramref name="checkpoint"/> as the checkpoint of <paramref name="epoch"/> in
    /// <paramref name="runDir"/>, then deletes all but the newest <paramref name="keep"/> epoch checkpoints there.</summary>
    public static string Save(Checkpoint checkpoint, string runDir, int epoch, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var path = Path.Combine(runDir, FileName(epoch));
        checkpoint.Save(path);
        var all = List(runDir);
        foreach (var (_, old) in all.Take(Math.Max(0, all.Count - keep))) File.Delete(old);
        return path;
    }

    /// <summary>The epoch checkpoints in <paramref name="runDir"/> (epoch, path), oldest first.</summary>
    public static IReadOnlyList<(int Epoch, string Path)> List(string runDir) =>
        [.. Directory.EnumerateFiles(runDir, "epoch-*.ckpt")
            .Select(p => (Match: Pattern().Match(System.IO.Path.GetFileName(p)), Path: p))
            .Where(m => m.Match.Success)
            .Select(m => (int.Parse(m.Match.Groups[1].Value, CultureInfo.InvariantCulture), m.Path))
            .OrderBy(e => e.Item1)];

    [GeneratedRegex(@"^epoch-([0-9]{1,9})\.ckpt$")]
    private static partial Regex Pattern();
}
