// ChunkedBank: a memory bank that is never whole — read and differentiated a block of source positions at a time.
// Guarantees: Chunk(start, n) returns the bank rows start … start + n − 1 as [B, n, C] (float32, no graph, owned by the
// caller's dispose scope), the same values every time it is asked; AddGradient(start, n, grad) takes dL/d(those rows)
// [B, n, C] (consumed: it may be overwritten) and sends it where the rows came from (the source's own business: e.g. an embedding's gradient and an
// accumulator of the saved columns' gradient). Length is S, Width is C.
using static TorchSharp.torch;

namespace Seq2SeqRev.Attention;

/// <param name="Length">Source positions S.</param>
/// <param name="Width">Columns C of one bank row (the attention context size).</param>
/// <param name="Chunk">Rows start … start + n − 1 as [B, n, C], rebuilt on each call.</param>
/// <param name="AddGradient">Accepts dL/d(rows start … start + n − 1) [B, n, C] and consumes it: it may overwrite it in
/// place (so that routing it needs no copy) and does not keep it after the call.</param>
public sealed record ChunkedBank(int Length, int Width, Func<int, int, Tensor> Chunk, Action<int, int, Tensor> AddGradient);
