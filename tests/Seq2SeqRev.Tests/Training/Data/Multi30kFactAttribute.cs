// Multi30kFact: a fact that needs the real Multi30K corpus. It runs when TestFiles.FindMulti30k() finds the corpus
// (SEQ2SEQREV_CORPORA, else the download cache) and is reported as skipped, with the reason, when it does not: a
// clone without the corpus still passes, and the skip says how to run it.
using Xunit;

namespace Seq2SeqRev.Tests.Training.Data;

[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class Multi30kFactAttribute : FactAttribute
{
    public Multi30kFactAttribute()
    {
        if (TestFiles.FindMulti30k() is null) Skip = TestFiles.Multi30kSkipReason;
    }
}
