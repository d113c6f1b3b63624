// Unit tests of the Python-compatibility layer and tokenizers. Guarantees checked: expected
// strings below were produced by CPython 3.11 (str.lower, str.split, f-strings, repr) or quoted
// from sacrebleu.md's observed tokenizer examples.
using Seq2SeqRev.Scoring;
using Xunit;

namespace Seq2SeqRev.Tests.Scoring;

public class ScoringPrimitivesTests
{
    [Theory]
    [InlineData(2.5, 0, "2")]
    [InlineData(2.5, 1, "2.5")]
    [InlineData(0.125, 2, "0.12")]
    [InlineData(48.125, 2, "48.12")]
    [InlineData(0.375, 2, "0.38")]
    [InlineData(1.005, 2, "1.00")]
    [InlineData(2.675, 2, "2.67")]
    [InlineData(99.995, 2, "100.00")]
    [InlineData(99.995, 3, "99.995")]
    [InlineData(48.530827009929865, 1, "48.5")]
    [InlineData(48.530827009929865, 0, "49")]
    [InlineData(1e-7, 2, "0.00")]
    public void FixedMatchesPythonFormat(double value, int width, string expected) =>
        Assert.Equal(expected, ScoreFormatting.Fixed(value, width));

    [Theory]
    [InlineData(48.5, "48.5")]
    [InlineData(49.0, "49.0")]
    [InlineData(100.0, "100.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(12345678901234567.0, "1.2345678901234568e+16")]
    [InlineData(1e16, "1e+16")]
    [InlineData(9999999999999998.0, "9999999999999998.0")]
    [InlineData(1.5e-10, "1.5e-10")]
    [InlineData(123.456, "123.456")]
    public void FloatReprMatchesPython(double value, string expected) =>
        Assert.Equal(expected, ScoreFormatting.PythonFloatRepr(value));

    [Theory]
    [InlineData("ΟΔΟΣ", "οδος")]
    [InlineData("ΟΔΟΣ ΟΔΟΣ.", "οδος οδος.")]
    [InlineData("Σ", "σ")]
    [InlineData("ΑΣ'Α", "ασ'α")]
    [InlineData("ΣΑ", "σα")]
    [InlineData("AΣ\u0301", "aς\u0301")]
    [InlineData("İstanbul", "i\u0307stanbul")]
    [InlineData("\U00010400BC", "\U00010428bc")]
    [InlineData("ǅ", "ǆ")]
    public void LowerMatchesPython(string input, string expected) => Assert.Equal(expected, PythonText.Lower(input));

    [Fact]
    public void SplitUsesPythonWhitespace()
    {
        Assert.Equal("a b c d e f\u200bg", PythonText.NormalizeSpaces("a\u001cb\u001fc d\u00a0e\u3000f\u200bg"));
        Assert.Equal("x", PythonText.RStrip("x \u001d\r\n"));
    }

    [Theory]
    [InlineData("Hello, world! It's 3.14 and 1,000-2,000 people.", "Hello , world ! It's 3.14 and 1,000 - 2,000 people .")]
    [InlineData("The year 2017.", "The year 2017 .")]
    [InlineData("&amp;lt; &quot;x&quot; <skipped>y", "< \" x \" y")]
    [InlineData("U.S.A. costs $5/day", "U . S . A . costs $ 5 / day")]
    public void Tokenizer13aMatchesSacreBleu(string input, string expected) =>
        Assert.Equal(expected, Tokenizer13a.Instance.Tokenize(input));

    [Theory]
    [InlineData("The year 2017.", "The year 2017.")]
    [InlineData("Hello, world!", "Hello , world !")]
    [InlineData("«Ja» kostet 5€ …", "« Ja » kostet 5 € …")]
    [InlineData("smile\U0001F600now", "smile \U0001F600 now")]
    public void TokenizerIntlMatchesSacreBleu(string input, string expected) =>
        Assert.Equal(expected, TokenizerIntl.Instance.Tokenize(input));

    [Fact]
    public void CharTokenizerSplitsCodePoints() =>
        Assert.Equal("a \U0001F600 b", PythonText.NormalizeSpaces(TokenizerChar.Instance.Tokenize("a\U0001F600b")));

    [Fact]
    public void UnknownTokenizerIsRejected() =>
        Assert.Throws<ArgumentException>(() => ScoringTokenizers.Create("zh"));

    [Fact]
    public void SmoothSignatureText()
    {
        Assert.Equal("exp", SmoothMethod.Exp.SignatureText(0.5));
        Assert.Equal("floor[0.10]", SmoothMethod.Floor.SignatureText(null));
        Assert.Equal("floor[0.00]", SmoothMethod.Floor.SignatureText(0.0));
        Assert.Equal("add-k[1.00]", SmoothMethod.AddK.SignatureText(null));
    }
}
