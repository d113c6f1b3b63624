// Checkpoint: one self-contained training snapshot in a single file — format header and version, the resolved
// config YAML, the tokenizer pair, the model parameters, the optimizer state, the trainer state and the torch RNG
// state. Guarantees: Save is atomic (see AtomicFile), so a crash leaves the previous complete file or none; Load
// verifies magic, version, completeness and a SHA-256 over the content, and reports any problem as one
// UserError line: "<path>: not a Seq2SeqRev checkpoint", "<path>: truncated", "<path>: corrupted (...)" or
// "<path>: written by format version N, this build reads M".
using System.Security.Cryptography;
using System.Text;
using Seq2SeqRev.Cli;
using Seq2SeqRev.Model;
using Seq2SeqRev.Model.Tokenization;
using Seq2SeqRev.Runs.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Seq2SeqRev.Runs;

public sealed class Checkpoint
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "S2SRCKPT"u8.ToArray();
    private static readonly byte[] EndMagic = "S2SREND\n"u8.ToArray();
    private const int HashBytes = 32;
    private static readonly string[] Required = ["config", "tokenizer", "model", "optimizer", "trainer", "rng"];

    public required string ConfigYaml { get; init; }
    public required byte[] Tokenizer { get; init; }
    public required byte[] Model { get; init; }
    public required byte[] Optimizer { get; init; }
    public required TrainerState State { get; init; }
    /// <summary>torch.get_rng_state() bytes (CPU generator).</summary>
    public required byte[] Rng { get; init; }

    /// <summary>Snapshots the live training objects (and the current torch RNG state).</summary>
    public static Checkpoint Capture(RunConfig config, TokenizerPair tokenizers, nn.Module model,
        optim.Optimizer optimizer, TrainerState state)
    {
        using var tok = new MemoryStream();
        tokenizers.Save(tok);
        using var modelStream = new MemoryStream();
        using (var w = new BinaryWriter(modelStream, Encoding.UTF8, leaveOpen: true)) model.save(w);
        using var optStream = new MemoryStream();
        using (var w = new BinaryWriter(optStream, Encoding.UTF8, leaveOpen: true)) Helper(optimizer).save_state_dict(w);
        using var rng = torch.get_rng_state();
        return new Checkpoint
        {
            ConfigYaml = ConfigWriter.ToYaml(config),
            Tokenizer = tok.ToArray(),
            Model = modelStream.ToArray(),
            Optimizer = optStream.ToArray(),
            State = state,
            Rng = rng.bytes.ToArray(),
        };
    }

    /// <summary>Loads parameters into <paramref name="model"/> and state into <paramref name="optimizer"/> (if given).</summary>
    public void RestoreModel(nn.Module model, optim.Optimizer? optimizer = null)
    {
        using (var r = new BinaryReader(new MemoryStream(Model))) model.load(r);
        if (optimizer is not null)
            using (var r = new BinaryReader(new MemoryStream(Optimizer))) Helper(optimizer).load_state_dict(r);
    }

    /// <summary>Makes the torch RNG continue exactly as in the saved run.</summary>
    public void RestoreRng()
    {
        using var state = torch.tensor(Rng, ScalarType.Byte);
        torch.set_rng_state(state);
    }

    /// <summary>The saved tokenizer pair; unreadable tokenizer data is a UserError naming <paramref name="source"/>.</summary>
    public TokenizerPair Tokenizers(string source = "checkpoint")
    {
        using var s = new MemoryStream(Tokenizer);
        try { return TokenizerPair.Load(s, source); }
        catch (ModelDataException e) { throw new UserError(e.Message); }
    }

    /// <summary>The saved config with <paramref name="overrides"/> applied (same rules as a config file).</summary>
    public RunConfig Config(IEnumerable<string>? overrides = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "s2sr-ckpt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "checkpoint-config.yaml");
            File.WriteAllText(path, ConfigYaml);
            return ConfigLoader.Load(path, overrides);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public void Save(string path) => AtomicFile.Write(path, stream =>
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            var sections = new (string Name, byte[] Bytes)[]
            {
                ("config", Encoding.UTF8.GetBytes(ConfigYaml)), ("tokenizer", Tokenizer), ("model", Model),
                ("optimizer", Optimizer), ("trainer", Encoding.UTF8.GetBytes(State.ToJson())), ("rng", Rng),
            };
            w.Write(sections.Length);
            foreach (var (name, bytes) in sections)
            {
                w.Write(name);
                w.Write((long)bytes.Length);
                w.Write(bytes);
            }
        }
        var content = body.GetBuffer().AsSpan(0, (int)body.Length);
        stream.Write(content);
        stream.Write(SHA256.HashData(content));
        stream.Write(EndMagic);
    });

    public static Checkpoint Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new UserError($"{path}: no such checkpoint"); }
        catch (DirectoryNotFoundException) { throw new UserError($"{path}: no such checkpoint"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot read checkpoint ({e.Message})");
        }
        UserError Fail(string what) => new($"{path}: {what}");

        var head = bytes.AsSpan(0, Math.Min(bytes.Length, Magic.Length));
        if (!Magic.AsSpan(0, head.Length).SequenceEqual(head)) throw Fail("not a Seq2SeqRev checkpoint");
        if (bytes.Length < Magic.Length + 4) throw Fail("truncated");
        int version = BitConverter.ToInt32(bytes, Magic.Length);
        if (version != FormatVersion)
            throw Fail($"written by format version {version}, this build reads {FormatVersion}");
        int contentLength = bytes.Length - HashBytes - EndMagic.Length;
        if (contentLength < Magic.Length + 8 || !bytes.AsSpan(bytes.Length - EndMagic.Length).SequenceEqual(EndMagic))
            throw Fail("truncated");
        var content = bytes.AsSpan(0, contentLength);
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(bytes.AsSpan(contentLength, HashBytes)))
            throw Fail("corrupted (checksum mismatch)");

        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, contentLength), Encoding.UTF8);
            r.ReadBytes(Magic.Length + 4);
            int count = r.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadString();
                long length = r.ReadInt64();
                if (length < 0 || length > contentLength) throw new InvalidDataException($"bad length of section '{name}'");
                sections[name] = r.ReadBytes((int)length);
                if (sections[name].Length != length) throw new EndOfStreamException();
            }
            foreach (var name in Required)
                if (!sections.ContainsKey(name)) throw new InvalidDataException($"section '{name}' is missing");
            return new Checkpoint
            {
                ConfigYaml = Encoding.UTF8.GetString(sections["config"]),
                Tokenizer = sections["tokenizer"],
                Model = sections["model"],
                Optimizer = sections["optimizer"],
                State = TrainerState.FromJson(Encoding.UTF8.GetString(sections["trainer"])),
                Rng = sections["rng"],
            };
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or System.Text.Json.JsonException
                                   or IOException or ArgumentException)
        {
            throw Fail($"corrupted ({e.Message.Split('\n')[0]})");
        }
    }

    private static TorchSharp.Modules.OptimizerHelper Helper(optim.Optimizer optimizer) =>
        optimizer as TorchSharp.Modules.OptimizerHelper
        ?? throw new ArgumentException($"optimizer {optimizer.GetType().Name} cannot save its state", nameof(optimizer));
}
