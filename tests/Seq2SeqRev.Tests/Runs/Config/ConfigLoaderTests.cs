// ConfigLoader tests: strict keys, types, enums and ranges; cross-key rules; one-line errors
// naming key, file and line; base chains and cycles; key=value overrides.
using Seq2SeqRev.Model;
using Seq2SeqRev.Reversible;
using Seq2SeqRev.Runs.Config;
using Xunit;
using static Seq2SeqRev.Tests.Runs.Config.ConfigTestFiles;

namespace Seq2SeqRev.Tests.Runs.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();
    public void Dispose() => _files.Dispose();

    [Fact]
    public void EmptyFileGivesDefaultsNamedAfterFile()
    {
        var path = _files.Write("my-run.yaml", "# nothing\n");
        Assert.Equal(RunConfig.Default with { Name = "my-run" }, ConfigLoader.Load(path, []));
    }

    [Fact]
    public void ReadsNestedValues()
    {
        var path = _files.Write("x.yaml", "seed: 7\nmodel:\n  cell: revlstm\n  dropout:\n    hidden: 0.25\ndata:\n  test: [a, b]\n  corpora_dir: /c\n");
        var c = ConfigLoader.Load(path, []);
        Assert.Equal(7, c.Seed);
        Assert.Equal(CellKind.RevLstm, c.Model.Cell);
        Assert.Equal(0.25, c.Model.Dropout.Hidden);
        Assert.Equal(0.4, c.Model.Dropout.Output);
        Assert.Equal(["a", "b"], c.Data.Test);
        Assert.Equal("/c", c.Data.CorporaDir);
        Assert.Equal(TrainingMemory.Reversal, c.Training.Memory);
        Assert.Equal(3, c.Model.MaxForgetBits.Bits);
    }

    [Fact]
    public void UnknownTopLevelKey()
    {
        var path = _files.Write("x.yaml", "seed: 1\nmodle:\n  cell: gru\n");
        AssertUserError(() => ConfigLoader.Load(path, []), $"{path}:2: unknown key 'modle'", "allowed: base, name, seed, device, data, tokenizer, model, training");
    }

    [Fact]
    public void UnknownNestedKey()
    {
        var path = _files.Write("x.yaml", "model:\n  cell: revgru\n  dropout:\n    hiden: 0.1\n");
        AssertUserError(() => ConfigLoader.Load(path, []), $"{path}:4: unknown key 'model.dropout.hiden'", "allowed: embedding, hidden, output, slice)");
        path = _files.Write("y.yaml", "model:\n  hiden: 10\n");
        AssertUserError(() => ConfigLoader.Load(path, []), $"{path}:2: unknown key 'model.hiden'", "(allowed: cell, embedding, hidden, layers,");
    }

    [Fact]
    public void BadEnum()
    {
        var path = _files.Write("x.yaml", "model:\n  max_forget_bits: 4\n");
        var message = AssertUserError(() => ConfigLoader.Load(path, []));
        Assert.Equal($"{path}:2: model.max_forget_bits = 4 is not allowed (allowed: 1, 2, 3, 5, none)", message);
        path = _files.Write("y.yaml", "model:\n  cell: GRU\n");
        AssertUserError(() => ConfigLoader.Load(path, []), $"{path}:2: model.cell = GRU is not allowed (allowed: gru, lstm, revgru, revlstm)");
    }

    [Theory]
    [InlineData("training:\n  epochs: 0\n", "training.epochs = 0 is out of range (allowed: integer >= 1)")]
    [InlineData("model:\n  dropout:\n    output: 1.0\n", "model.dropout.output = 1.0 is out of range (allowed: 0 <= x < 1)")]
    [InlineData("training:\n  lr_decay: 0\n", "training.lr_decay = 0 is out of range (allowed: 0 < x <= 1)")]
    [InlineData("training:\n  learning_rate: -1\n", "training.learning_rate = -1 is out of range (allowed: number > 0)")]
    public void BadRange(string yaml, string expected)
    {
        var path = _files.Write("x.yaml", yaml);
        AssertUserError(() => ConfigLoader.Load(path, []), $"{path}:", expected);
    }

    /// <summary>The tokenizer needs its 4 specials and 256 byte symbols: a smaller vocabulary is a config error
    /// naming key, file and line and the allowed range (it used to crash the trainer inside the BPE learner).</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(255)]
    [InlineData(259)]
    public void VocabSizeBelowSpecialsPlusBytesIsOutOfRange(int vocab)
    {
        var path = _files.Write("x.yaml", $"tokenizer:\n  vocab_size: {vocab}\n");
        var message = AssertUserError(() => ConfigLoader.Load(path, []));
        Assert.Equal($"{path}:2: tokenizer.vocab_size = {vocab} is out of range (allowed: integer >= 260)", message);
        var empty = _files.Write("y.yaml", "");
        AssertUserError(() => ConfigLoader.Load(empty, [$"tokenizer.vocab_size={vocab}"]),
            $"override 'tokenizer.vocab_size={vocab}': tokenizer.vocab_size = {vocab} is out of range (allowed: integer >= 260)");
        Assert.Equal(260, ConfigLoader.Load(empty, ["tokenizer.vocab_size=260"]).Tokenizer.VocabSize);
    }

    [Theory]
    [InlineData("training:\n  epochs: ten\n", ":2: training.epochs = ten is not an integer (allowed: integer >= 1)")]
    [InlineData("training:\n  epochs: 1.5\n", ":2: training.epochs = 1.5 is not an integer")]
    [InlineData("training:\n  epochs: \"3\"\n", ":2: training.epochs = 3 is not an integer")]
    [InlineData("data:\n  lowercase: yes\n", ":2: data.lowercase = yes is not a boolean (allowed: true, false)")]
    [InlineData("data:\n  test: test_2016\n", ":2: data.test = test_2016 is not a list")]
    [InlineData("model:\n  hidden: [1, 2]\n", ":2: model.hidden = a list is not a single value")]
    [InlineData("model:\n  hidden:\n", ":2: model.hidden is empty")]
    [InlineData("model: revgru\n", ":1: 'model' must be a section of keys (allowed: cell, embedding,")]
    [InlineData("training:\n  clip_grad_norm: abc\n", "training.clip_grad_norm = abc is not a number (allowed: number >= 0)")]
    public void BadType(string yaml, string expected)
    {
        var path = _files.Write("x.yaml", yaml);
        AssertUserError(() => ConfigLoader.Load(path, []), path, expected);
    }

    [Theory]
    [InlineData("model:\n  hidden: 301\n", ":2: model.hidden = 301 must be even for model.cell = revgru")]
    [InlineData("model:\n  cell: gru\n", ":2: model.memory_bank = emb+slice is not allowed for model.cell = gru (allowed: hidden)")]
    [InlineData("model:\n  memory_bank: emb\n", ":2: model.slice = 20 is not allowed with model.memory_bank = emb (allowed: 0)")]
    [InlineData("model:\n  slice: 400\n", ":2: model.slice = 400 is not allowed with model.memory_bank = emb+slice and model.hidden = 300 (allowed: 1..300)")]
    [InlineData("model:\n  cell: lstm\n  memory_bank: hidden\n  slice: 0\ntraining:\n  memory: reversal\n",
        ":6: training.memory = reversal is not allowed for model.cell = lstm (allowed: backprop, checkpoint, auto)")]
    [InlineData("data:\n  tgt_lang: en\n", ":2: data.tgt_lang = en equals data.src_lang")]
    [InlineData("training:\n  min_learning_rate: 0.5\n", ":2: training.min_learning_rate = 0.5 is not allowed with training.learning_rate = 0.2")]
    [InlineData("training:\n  loss_shard: 5\n  loss_head: autograd\n", ":3: training.loss_head = autograd is not allowed with training.loss_shard = 5")]
    public void CrossKeyRules(string yaml, string expected)
    {
        var path = _files.Write("x.yaml", yaml);
        AssertUserError(() => ConfigLoader.Load(path, []), path + expected);
    }

    [Fact]
    public void MemoryResolvesFromCell()
    {
        var path = _files.Write("x.yaml", "model:\n  cell: gru\n  memory_bank: hidden\n  slice: 0\n");
        Assert.Equal(TrainingMemory.Backprop, ConfigLoader.Load(path, []).Training.Memory);
        Assert.Equal(TrainingMemory.Checkpoint, ConfigLoader.Load(path, ["training.memory=checkpoint"]).Training.Memory);
        Assert.Equal(TrainingMemory.Reversal, ConfigLoader.LoadDefault().Training.Memory);
    }

    [Fact]
    public void MissingFileAndBadYaml()
    {
        var missing = Path.Combine(_files.Dir, "nope.yaml");
        Assert.Equal($"config file not found: {missing}", AssertUserError(() => ConfigLoader.Load(missing, [])));
        var bad = _files.Write("bad.yaml", "model:\n  cell: [gru\n");
        AssertUserError(() => ConfigLoader.Load(bad, []), $"{bad}:", "invalid YAML");
        var dup = _files.Write("dup.yaml", "seed: 1\nseed: 2\n");
        AssertUserError(() => ConfigLoader.Load(dup, []), $"{dup}:", "seed");
        var list = _files.Write("list.yaml", "- a\n- b\n");
        AssertUserError(() => ConfigLoader.Load(list, []), $"{list}:1: a config file must be a mapping");
    }

    [Fact]
    public void BaseChainDeepMergesAndKeepsOwnName()
    {
        _files.Write("a.yaml", "name: from-a\nseed: 5\nmodel:\n  hidden: 200\n  dropout:\n    hidden: 0.1\ntraining:\n  epochs: 3\n");
        _files.Write("sub/b.yaml", "base: ../a.yaml\nmodel:\n  embedding: 100\n  dropout:\n    output: 0.2\n");
        var c = _files.Write("sub/deeper/c.yaml", "base: ../b.yaml\nmodel:\n  hidden: 100\ntraining:\n  lr_decay: 0.7\n");
        var config = ConfigLoader.Load(c, []);
        Assert.Equal("c", config.Name);
        Assert.Equal(5, config.Seed);
        Assert.Equal(100, config.Model.Hidden);
        Assert.Equal(100, config.Model.Embedding);
        Assert.Equal(0.1, config.Model.Dropout.Hidden);
        Assert.Equal(0.2, config.Model.Dropout.Output);
        Assert.Equal(3, config.Training.Epochs);
        Assert.Equal(0.7, config.Training.LrDecay);
        Assert.Equal("from-a", ConfigLoader.Load(Path.Combine(_files.Dir, "a.yaml"), []).Name);
    }

    [Fact]
    public void BaseErrors()
    {
        _files.Write("a.yaml", "base: b.yaml\n");
        _files.Write("b.yaml", "seed: 2\nbase: c.yaml\n");
        _files.Write("c.yaml", "base: a.yaml\n");
        AssertUserError(() => ConfigLoader.Load(Path.Combine(_files.Dir, "a.yaml"), []), "c.yaml:1: base chain has a cycle", "a.yaml -> ", "b.yaml -> ", "c.yaml -> ");
        var self = _files.Write("self.yaml", "base: self.yaml\n");
        AssertUserError(() => ConfigLoader.Load(self, []), $"{self}:1: base chain has a cycle");
        var missing = _files.Write("m.yaml", "seed: 3\nbase: gone.yaml\n");
        AssertUserError(() => ConfigLoader.Load(missing, []), $"{missing}:2: base file not found:", "gone.yaml");
        var badInBase = _files.Write("child.yaml", "base: parent.yaml\n");
        var parent = _files.Write("parent.yaml", "training:\n  epocs: 1\n");
        AssertUserError(() => ConfigLoader.Load(badInBase, []), $"{parent}:2: unknown key 'training.epocs'");
    }

    [Fact]
    public void OverridesApplyInOrderWithYamlScalars()
    {
        var path = _files.Write("x.yaml", "training:\n  epochs: 5\n");
        var c = ConfigLoader.Load(path, ["training.epochs=1", "model.cell=revlstm", "data.corpora_dir=/x", "data.test=[a, b]",
            "model.max_forget_bits=none", "name=\"123\"", "data.lowercase=true", "seed=9", "seed=10", "data.corpora_dir=~"]);
        Assert.Equal(1, c.Training.Epochs);
        Assert.Equal(CellKind.RevLstm, c.Model.Cell);
        Assert.Equal(["a", "b"], c.Data.Test);
        Assert.Equal(ForgetLimit.None, c.Model.MaxForgetBits);
        Assert.Equal("123", c.Name);
        Assert.True(c.Data.Lowercase);
        Assert.Equal(10, c.Seed);
        Assert.Null(c.Data.CorporaDir);
        Assert.Equal("/x", ConfigLoader.LoadDefault(["data.corpora_dir=/x"]).Data.CorporaDir);
    }

    [Fact]
    public void OverrideErrorsNameTheOverride()
    {
        var path = _files.Write("x.yaml", "");
        AssertUserError(() => ConfigLoader.Load(path, ["training.epocs=1"]), "override 'training.epocs=1': unknown key 'training.epocs' (allowed: epochs,");
        AssertUserError(() => ConfigLoader.Load(path, ["training.epochs=x"]), "override 'training.epochs=x': training.epochs = x is not an integer");
        AssertUserError(() => ConfigLoader.Load(path, ["model.max_forget_bits=4"]), "override 'model.max_forget_bits=4': model.max_forget_bits = 4 is not allowed (allowed: 1, 2, 3, 5, none)");
        AssertUserError(() => ConfigLoader.Load(path, ["epochs"]), "override 'epochs': expected key=value");
        AssertUserError(() => ConfigLoader.Load(path, ["base=other.yaml"]), "override 'base=other.yaml': unknown key 'base'");
        AssertUserError(() => ConfigLoader.Load(path, ["model=gru"]), "override 'model=gru': 'model' must be a section");
        AssertUserError(() => ConfigLoader.Load(path, ["model.cell=gru"]), "override 'model.cell=gru': model.memory_bank = emb+slice is not allowed for model.cell = gru");
        AssertUserError(() => ConfigLoader.LoadDefault(["model.hidden=[1"]), "override 'model.hidden=[1': invalid YAML value");
    }
}
