// FittedTable: a table printed as text fits the width it is given (no line longer), shows every cell whatever the
// layout, and keeps the ordinary one-row-per-item table whenever that fits.
using Seq2SeqRev.Cli;
using Xunit;

namespace Seq2SeqRev.Tests.Cli;

public class FittedTableTests
{
    private static readonly string[] Header =
        ["run", "cell", .. Enumerable.Range(0, 4).SelectMany(i => new[] { $"test_201{i}_flickr BLEU", $"test_201{i}_flickr chrF2" })];

    private static readonly string[][] Rows =
    [
        ["revgru-emb+20h-3bit", "revgru", .. Enumerable.Range(0, 8).Select(i => (1234.5678 + i).ToString("F4", System.Globalization.CultureInfo.InvariantCulture))],
        ["gru", "gru", .. Enumerable.Range(0, 8).Select(i => (31.25 + i).ToString("F2", System.Globalization.CultureInfo.InvariantCulture))],
    ];

    private static string[] Render(int width) =>
        TextTables.PlainText(c => FittedTable.Write(c, "results", Header, Rows, 2), width).Split('\n');

    [Theory]
    [InlineData(400)]
    [InlineData(200)]
    [InlineData(120)]
    [InlineData(80)]
    [InlineData(50)]
    public void NoLineIsWiderThanTheWidthAndEveryCellIsShown(int width)
    {
        var lines = Render(width);
        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));
        var text = string.Join("\n", lines);
        foreach (var cell in Header.Concat(Rows.SelectMany(r => r))) Assert.Contains(cell, text);
    }

    [Fact]
    public void KeepsTheTableWhenItFitsThenTransposesThenBlocks()
    {
        int natural = FittedTable.NaturalWidth(TextTables.Spectre("results", Header, Rows, 2));
        Assert.True(natural > 200, $"the sample table should be wide, is {natural}");
        Assert.Single(FittedTable.Layout("results", Header, Rows, 2, natural));
        Assert.Contains(Render(natural), l => l.Contains("test_2010_flickr BLEU") && l.Contains("test_2013_flickr chrF2"));

        var transposed = Render(80);  // one column per run, one row per field
        Assert.Contains(transposed, l => l.Contains("revgru-emb+20h-3bit") && l.Contains("gru"));
        Assert.Contains(transposed, l => l.Contains("test_2012_flickr chrF2") && l.Contains("1239.5678") && l.Contains("36.25"));

        var blocks = FittedTable.Layout("results", Header, Rows, 2, 30);  // too narrow for both runs side by side
        Assert.Equal(Rows.Length, blocks.Count);
    }

    [Theory]
    [InlineData("100", 100)]
    [InlineData(null, 120)]
    [InlineData("abc", 120)]
    [InlineData("0", 120)]
    public void RedirectedOutputFollowsColumns(string? columns, int expected) =>
        Assert.Equal(expected, FittedTable.RedirectedWidth(name => name == "COLUMNS" ? columns : null));
}
