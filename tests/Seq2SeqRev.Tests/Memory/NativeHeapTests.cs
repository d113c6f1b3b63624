// NativeHeapTests: glibc keeps freed tensor memory resident (the retention found in long training runs,
// docs/MEMORY.md), NativeHeap.Trim gives it back, HeapHousekeeping trims as its policy says and writes its trace, and
// SEQ2SEQREV_MALLOC_TRIM names exactly the three policies. Runs alone (its collection disables parallelization: no
// other test allocating at the same time), because it compares the process's resident set before and after.
using Seq2SeqRev.Memory;
using Xunit;
using static TorchSharp.torch;
using Seq2SeqRev.Tests.Training;

namespace Seq2SeqRev.Tests.Memory;

[Collection(TorchRngCollection.Name)]
public sealed class NativeHeapTests
{
    private const long Mib = 1 << 20;

    [Fact]
    public void FreedTensorsStayResidentUntilTrimmed()
    {
        Assert.True(NativeHeap.IsSupported, "these tests run on Linux with glibc");
        NativeHeap.Trim();
        // 2,400 tensors of 100 KiB (below glibc's smallest mmap threshold, so they come from the heap); every 8th
        // stays alive, so the freed 7/8 lie between live blocks, where glibc never returns memory by itself.
        var blocks = Enumerable.Range(0, 2400).Select(_ => ones(25_600)).ToList();
        static bool Kept(int i) => i % 8 == 7;
        long full = ProcessMemory.ResidentBytes();
        var heapFull = NativeHeap.Info()!.Value;
        for (int i = 0; i < blocks.Count; i++) if (!Kept(i)) blocks[i].Dispose();
        long freed = ProcessMemory.ResidentBytes();
        var heapFreed = NativeHeap.Info()!.Value;
        Assert.True(NativeHeap.Trim());
        long trimmed = ProcessMemory.ResidentBytes();
        for (int i = 0; i < blocks.Count; i++) if (Kept(i)) blocks[i].Dispose();

        // 205 MiB freed: the heap's in-use bytes drop by that, the resident set does not, until trimmed.
        Assert.True(heapFull.InUseBytes - heapFreed.InUseBytes > 190 * Mib, $"in use {heapFull.InUseBytes / Mib} -> {heapFreed.InUseBytes / Mib} MiB");
        Assert.True(freed > full - 30 * Mib, $"freeing 205 MiB of tensors lowered the resident set from {full / Mib} to {freed / Mib} MiB");
        Assert.True(freed - trimmed > 150 * Mib, $"trimming lowered the resident set from {freed / Mib} to {trimmed / Mib} MiB only");
    }

    [Fact]
    public void TrimsWhenTheResidentSetGrewAndAfterEachEpochAndTracesEachCall()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "memory.tsv");
        using (var memory = new HeapHousekeeping(TrimPolicy.WhenGrown, path))
        {
            memory.AfterBatch(1);            // the first batch sets the level
            memory.AfterBatch(2);            // unchanged: no trim
            // 1.25 GiB of 100 KiB tensors, every 8th kept: 1.1 GiB freed but resident, more than TrimSlack.
            var blocks = Enumerable.Range(0, 12_800).Select(_ => ones(25_600)).ToList();
            for (int i = 0; i < blocks.Count; i++) if (i % 8 != 7) blocks[i].Dispose();
            memory.AfterBatch(3);            // grown: trim
            memory.AfterEpoch(3);            // always
            foreach (var b in blocks) b.Dispose();
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(HeapHousekeeping.TraceHeader, lines[0]);
        Assert.Equal(5, lines.Length);
        var columns = HeapHousekeeping.TraceHeader.Split('\t').Length;
        Assert.All(lines.Skip(1), l => Assert.Equal(columns, l.Split('\t').Length));
        Assert.All(lines.Skip(1), l => Assert.DoesNotContain("\t\t", l));
        var rows = lines.Skip(1).Select(l => l.Split('\t')).ToList();
        Assert.Equal(["1 batch", "2 batch", "3 batch", "3 epoch"], rows.Select(r => $"{r[1]} {r[2]}"));
        Assert.Equal([true, false, true, true], rows.Select(r => r[^1] != "-"));
        double before = double.Parse(rows[2][3], System.Globalization.CultureInfo.InvariantCulture);
        double after = double.Parse(rows[2][4], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(before - after > 900, $"trimming after batch 3: {before} -> {after} MiB");
    }

    [Fact]
    public void OffNeverTrimsAndAlwaysTrimsEveryBatch()
    {
        using var dir = new TempDir();
        foreach (var (policy, trims) in new[] { (TrimPolicy.Off, new[] { false, false, false }), (TrimPolicy.Always, new[] { true, true, true }) })
        {
            var path = Path.Combine(dir.Path, $"{policy}.tsv");
            using (var memory = new HeapHousekeeping(policy, path))
            {
                memory.AfterBatch(1);
                memory.AfterBatch(2);
                memory.AfterEpoch(2);
            }
            Assert.Equal(trims, File.ReadAllLines(path).Skip(1).Select(l => l.Split('\t')[^1] != "-"));
        }
    }

    [Theory]
    [InlineData(null, TrimPolicy.WhenGrown)]
    [InlineData("", TrimPolicy.WhenGrown)]
    [InlineData("grown", TrimPolicy.WhenGrown)]
    [InlineData("off", TrimPolicy.Off)]
    [InlineData("0", TrimPolicy.Off)]
    [InlineData(" Always ", TrimPolicy.Always)]
    [InlineData("1", null)]
    [InlineData("never", null)]
    public void TheVariableNamesThreePolicies(string? value, TrimPolicy? policy) =>
        Assert.Equal(policy, HeapHousekeeping.ParsePolicy(value));
}
