// ModelDataException: the model assembly's error for saved data it cannot read (a tokenizer file or stream that is
// missing, not JSON or not the expected format). Guarantees: the message is one line naming the file or stream; the
// executables report it like a user error (one `error:` line, exit 2), and Runs turns it into a UserError where it
// reads a checkpoint.
namespace Seq2SeqRev.Model;

/// <summary>Saved model data (e.g. a tokenizer) that cannot be read; the message names the source.</summary>
public sealed class ModelDataException(string message) : Exception(message);
