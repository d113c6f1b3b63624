// FittedTable: a report table laid out to fit a text width (a terminal's columns). Layouts, first that fits: the
// table as given (one row per item); transposed (one column per item, labelled by its first cell, one row per
// field); one two-column block per item (field, value). Guarantees: every layout prints every cell of the given
// table (nothing is dropped, only rearranged); a layout is chosen only if its widest rendered line fits the width,
// the per-item blocks being the last resort (Spectre wraps a single cell only if it alone is wider than the width).
// `--markdown` and `--json` outputs do not go through here and keep the full table.
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Seq2SeqRev.Cli;

public static class FittedTable
{
    /// <summary>Width for text written to a pipe or file: $COLUMNS when it is a positive number, else 120.</summary>
    public static int RedirectedWidth(Func<string, string?>? env = null) =>
        int.TryParse((env ?? Environment.GetEnvironmentVariable)("COLUMNS"), out int c) && c > 0 ? c : 120;

    /// <summary>The renderables that show the table within <paramref name="width"/> columns.</summary>
    public static IReadOnlyList<IRenderable> Layout(string title, IReadOnlyList<string> header, IEnumerable<string[]> rows,
        int leftColumns, int width)
    {
        var items = rows.ToList();
        var wide = TextTables.Spectre(title, header, items, leftColumns);
        if (NaturalWidth(wide) <= width) return [wide];
        var transposed = Transposed(title, header, items);
        if (NaturalWidth(transposed) <= width) return [transposed];
        return items.Select(row => (IRenderable)Block($"{title}: {header[0]} {row[0]}", header, row)).ToList();
    }

    /// <summary>Writes the fitted table to <paramref name="console"/>, at its width.</summary>
    public static void Write(IAnsiConsole console, string title, IReadOnlyList<string> header, IEnumerable<string[]> rows, int leftColumns)
    {
        foreach (var part in Layout(title, header, rows, leftColumns, console.Profile.Width)) console.Write(part);
    }

    /// <summary>The widest line of <paramref name="renderable"/> when nothing constrains it.</summary>
    public static int NaturalWidth(IRenderable renderable)
    {
        string text = TextTables.PlainText(console => console.Write(renderable), width: 100_000);
        return text.Split('\n').Max(line => line.TrimEnd('\r').Length);
    }

    private static Table Transposed(string title, IReadOnlyList<string> header, List<string[]> items)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) };
        table.AddColumn(new TableColumn(Markup.Escape(header[0])));
        foreach (var row in items) table.AddColumn(new TableColumn(Markup.Escape(row[0])).RightAligned());
        for (int i = 1; i < header.Count; i++)
            table.AddRow([Markup.Escape(header[i]), .. items.Select(row => Markup.Escape(row[i]))]);
        return table;
    }

    private static Table Block(string title, IReadOnlyList<string> header, string[] row)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)), ShowHeaders = false };
        table.AddColumn(new TableColumn("field"));
        table.AddColumn(new TableColumn("value"));
        for (int i = 1; i < header.Count; i++) table.AddRow(Markup.Escape(header[i]), Markup.Escape(row[i]));
        return table;
    }
}
