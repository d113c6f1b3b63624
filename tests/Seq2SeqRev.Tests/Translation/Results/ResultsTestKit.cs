// ResultsTestKit: two tiny finished training runs for the `report` tests, trained once per test process with the
// real trainer and model factory — a RevGRU (Emb+4H) and a GRU (16H), 2 epochs of 2 steps each — on a small gzip
// corpus ("tiny": 64 training pairs, 8 validation pairs and two test splits of 6 sentences, cut from corpora/sample)
// whose manifest sits in the runs' data.corpora_dir, so the report finds it in-process and in the executable alike.
// The report over both runs (beam 2) is computed once as well. Everything is deleted when the process exits.
using System.IO.Compression;
using System.Text;
using Seq2SeqRev.Runs.Config;
using Seq2SeqRev.Tests.Training;
using Seq2SeqRev.Training;
using Seq2SeqRev.Translation.Results;

namespace Seq2SeqRev.Tests.Translation.Results;

public sealed class TinyRunsFixture
{
    public const int Beam = 2;
    public static readonly string[] TestSplits = ["test", "test2"];

    private static readonly Lazy<(string Root, string[] Runs)> s_runs = new(TrainRuns);
    private static readonly Lazy<ResultsReport> s_report = new(() => ResultsRunner.Run(new ResultsOptions { RunDirs = s_runs.Value.Runs, Beam = Beam }));

    /// <summary>The folder holding tiny.yaml and tiny/.</summary>
    public string CorporaDir => s_runs.Value.Root;
    public IReadOnlyList<string> Runs => s_runs.Value.Runs;
    public ResultsReport Report => s_report.Value;

    public string CorpusFile(string split, string lang) => Path.Combine(CorporaDir, "tiny", $"{split}.{lang}.gz");

    private static (string, string[]) TrainRuns()
    {
        var dir = new TempDir();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        WriteCorpus(dir.Path);
        string[] common =
        [
            "data.corpus=tiny", $"data.corpora_dir={dir.Path}", "data.test=[test, test2]", "data.max_length=40",
            "tokenizer.vocab_size=300", "model.embedding=16", "model.hidden=16", "training.epochs=2", "training.batch_size=32",
            "training.optimizer=adam", "training.learning_rate=0.01", "training.valid_max_sentences=8", "training.log_every=10",
        ];
        string[][] variants = [["name=tiny-revgru", "model.slice=4"], ["name=tiny-gru", "model.cell=gru", "model.memory_bank=hidden", "model.slice=0"]];
        var runs = variants.Select(v =>
        {
            var config = ConfigLoader.Load(TrainingTestKit.QuickYaml, [.. common, .. v]);
            var runDir = Path.Combine(dir.Path, "runs", config.Name);
            Trainer.Run(new TrainerOptions { Config = config, RunDir = runDir });
            return runDir;
        }).ToArray();
        return (dir.Path, runs);
    }

    private static void WriteCorpus(string root)
    {
        File.WriteAllText(Path.Combine(root, "tiny.yaml"),
            "name: tiny\nlanguages: [en, de]\nsplits: [train, val, test, test2]\nfile_pattern: \"{split}.{lang}.gz\"\nlocal_dir: tiny\n");
        string Sample(string file) => Path.Combine(TestFiles.RepoRoot, "corpora", "sample", file);
        foreach (var lang in new[] { "en", "de" })
        {
            var test = File.ReadLines(Sample($"test.{lang}")).Take(12).ToArray();
            Gzip(root, "train", lang, File.ReadLines(Sample($"train.{lang}")).Take(64));
            Gzip(root, "val", lang, File.ReadLines(Sample($"val.{lang}")).Take(8));
            Gzip(root, "test", lang, test[..6]);
            Gzip(root, "test2", lang, test[6..]);
        }
    }

    private static void Gzip(string root, string split, string lang, IEnumerable<string> lines)
    {
        var path = Path.Combine(root, "tiny", $"{split}.{lang}.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gz.Write(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))));
    }

    /// <summary>The lines of a gzip text file.</summary>
    public static string[] ReadGzipLines(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gz, Encoding.UTF8);
        var text = reader.ReadToEnd();
        return text.EndsWith('\n') ? text[..^1].Split('\n') : text.Split('\n');
    }
}
