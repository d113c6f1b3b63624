// ReversibleLm: a tiny word-level language model trained by reversal with the Seq2SeqRev.Reversible package.
// Embeddings → a one-layer RevGRU stack (64 units, at most 3 bits forgotten per unit and step) → a linear layer that
// predicts the next word. The forward pass keeps no per-step activations, only the final state and the information
// buffer; the backward pass rebuilds each step's state exactly from the one after it and backpropagates that step's
// loss. Prints the loss (nats per word) as training goes and the memory the forward pass held.
//
//   dotnet run -- [CORPUS] [STEPS]     (default: ../../corpora/sample/train.en, 60 steps)
using Seq2SeqRev.Reversible;
using TorchSharp;
using static TorchSharp.torch;

var corpus = args.Length > 0 ? args[0] : Path.Combine("..", "..", "corpora", "sample", "train.en");
if (!File.Exists(corpus)) return Fail($"corpus {corpus}: no such file (one sentence per line, words separated by spaces)");
int steps = 60;
if (args.Length > 1 && (!int.TryParse(args[1], out steps) || steps < 1)) return Fail($"STEPS: expected a positive integer, got '{args[1]}'");
const int Batch = 16, EmbeddingSize = 32, HiddenSize = 64;

// Words as ids: 0 pads, 1 ends a sentence (and starts the next).
var sentences = File.ReadLines(corpus)
    .Select(line => line.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
    .Where(words => words.Length > 0).ToList();
var vocabulary = new Dictionary<string, int> { ["<pad>"] = 0, ["</s>"] = 1 };
foreach (var word in sentences.SelectMany(s => s)) vocabulary.TryAdd(word, vocabulary.Count);
var ids = sentences.Select(s => s.Select(w => (long)vocabulary[w]).ToArray()).ToList();
Console.WriteLine($"{corpus}: {ids.Count} sentences, {vocabulary.Count} words");

// Tensors of 16 × 64 gain nothing from intra-op threads; on a busy machine waiting threads only cost time.
torch.set_num_threads(1);
manual_seed(1);
var embedding = nn.Embedding(vocabulary.Count, EmbeddingSize);
var rnn = new ReversibleRnn("lm", ReversibleCellKind.RevGRU, EmbeddingSize, HiddenSize, layers: 1, limit: new ForgetLimit(3));
var generator = nn.Linear(HiddenSize, vocabulary.Count);
var optimizer = optim.Adam(embedding.parameters().Concat(rnn.parameters()).Concat(generator.parameters()), lr: 0.01);

for (int step = 1; step <= steps; step++)
{
    using var scope = NewDisposeScope();
    // A batch of sentences, time-major: the input is [</s>, w1 .. wn], the target [w1 .. wn, </s>], padded with 0.
    var batch = Enumerable.Range(0, Batch).Select(i => ids[(step * Batch + i) % ids.Count]).ToArray();
    int length = batch.Max(s => s.Length) + 1;
    var input = new long[length * Batch];
    var target = new long[length * Batch];
    for (int b = 0; b < Batch; b++)
    {
        input[b] = 1;
        for (int t = 0; t < batch[b].Length; t++)
        {
            input[(t + 1) * Batch + b] = batch[b][t];
            target[t * Batch + b] = batch[b][t];
        }
        target[batch[b].Length * Batch + b] = 1;
    }
    var x = tensor(input).view(length, Batch);
    var y = tensor(target).view(length, Batch);
    var lengths = tensor(batch.Select(s => (long)s.Length + 1).ToArray());
    var words = batch.Sum(s => s.Length + 1);
    double lossSum = 0;

    // <snippet>
    // The input of step t, recomputed from token ids whenever the stack asks for it (forward and backward).
    Tensor InputAt(int t) => embedding.forward(x[t]);

    // Forward without graph: only the final state and the information buffer are kept, not the T hidden states.
    using var tape = rnn.Forward(InputAt, length, lengths, rnn.ZeroState(Batch));
    long keptBits = tape.Bits.ActualBits + tape.Bits.FinalStateBits, backpropBits = tape.Bits.BaselineBits;

    // Backward by reversal: from the last step to the first, the stack rebuilds the previous state bit for bit and
    // backpropagates the loss of that step's top output (here: next-word cross-entropy, summed over the batch).
    optimizer.zero_grad();
    rnn.Backward(tape, InputAt, (t, top) =>
    {
        var loss = nn.functional.cross_entropy(generator.forward(top), y[t], ignore_index: 0, reduction: nn.Reduction.Sum);
        lossSum += loss.item<float>();
        return loss;
    });
    optimizer.step();
    // </snippet>

    if (step == 1)
        Console.WriteLine($"memory: the forward pass kept {keptBits:N0} bits (information buffer and final state) instead of "
            + $"the {backpropBits:N0} bits of hidden states backprop keeps ({(double)backpropBits / keptBits:F1}x less)");
    if (step == 1 || step % 5 == 0)
        Console.WriteLine($"step {step} loss {lossSum / words:F4}");
}
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 2;
}
