// TextTables: the one renderer of the report tables printed by `memory` and `report` — GitHub markdown for docs and
// Spectre.Console tables for the terminal (plain text when standard output is redirected). Guarantees: both print
// exactly the given cells in the given order; the first `leftColumns` columns are left-aligned, the others right-
// aligned; cells are never read as Spectre markup, and a '|' inside a markdown cell is escaped.
using System.Text;
using Spectre.Console;

namespace Seq2SeqRev.Cli;

public static class TextTables
{
    /// <summary>Appends a GitHub markdown table (header, alignment row, one line per row).</summary>
    public static void Markdown(StringBuilder sb, IReadOnlyList<string> header, IEnumerable<string[]> rows, int leftColumns)
    {
        static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
        sb.AppendLine("| " + string.Join(" | ", header.Select(Cell)) + " |");
        sb.AppendLine("|" + string.Concat(header.Select((_, i) => i < leftColumns ? " --- |" : " ---: |")));
        foreach (var row in rows) sb.AppendLine("| " + string.Join(" | ", row.Select(Cell)) + " |");
    }

    /// <summary>A Spectre.Console table with a title.</summary>
    public static Table Spectre(string title, IReadOnlyList<string> header, IEnumerable<string[]> rows, int leftColumns)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) };
        for (int i = 0; i < header.Count; i++)
        {
            var column = new TableColumn(Markup.Escape(header[i]));
            if (i >= leftColumns) column.RightAligned();
            table.AddColumn(column);
        }
        foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
        return table;
    }

    /// <summary>What <paramref name="write"/> renders, as plain text (no colours) on a console of
    /// <paramref name="width"/> columns (default 400: no wrapping of the reports' tables).</summary>
    public static string PlainText(Action<IAnsiConsole> write, int width = 400)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        write(console);
        return writer.ToString();
    }
}
