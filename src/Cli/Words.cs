// Words: counts in messages read as English ("1 epoch", "2 epochs", "1 search batch"). Guarantees: the singular is
// used exactly when the count is 1; the plural is the given one, else the singular plus "s".
namespace Seq2SeqRev.Cli;

public static class Words
{
    /// <summary>"1 epoch", "0 epochs"; <paramref name="plural"/> for irregular nouns ("search batches").</summary>
    public static string Count(long n, string singular, string? plural = null) =>
        $"{n} {(n == 1 ? singular : plural ?? singular + "s")}";
}
