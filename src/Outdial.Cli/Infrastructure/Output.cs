using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Outdial.Cli.Infrastructure;

/// <summary>
/// Standard output of a command: the server's JSON as it came (indented, <c>+</c> left unescaped) with <c>--json</c>, else
/// Spectre tables. Every value from the server is escaped before it reaches Spectre's markup.
/// </summary>
public sealed class Output(bool json)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public bool IsJson { get; } = json;

    /// <summary>
    /// Spectre's console. When stdout is not a terminal (a pipe, a file, a test), tables are laid out for <c>COLUMNS</c>
    /// characters, else 200, instead of Spectre's 80, so that ids and times are not wrapped mid-value.
    /// </summary>
    public static IAnsiConsole Console { get; } = Create();

    private static IAnsiConsole Create()
    {
        var console = AnsiConsole.Console;
        if (System.Console.IsOutputRedirected)
        {
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), CultureInfo.InvariantCulture, out var columns) && columns > 20 ? columns : 200;
        }
        return console;
    }

    /// <summary>The JSON text of <paramref name="node"/> as <c>--json</c> prints it.</summary>
    public static string JsonText(JsonNode? node, bool indented = true) =>
        node?.ToJsonString(indented ? Indented : new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";

    /// <summary>Prints <paramref name="node"/> with <c>--json</c>; otherwise calls <paramref name="human"/>.</summary>
    public void Print(JsonNode node, Action human)
    {
        if (IsJson)
        {
            System.Console.Out.WriteLine(JsonText(node));
        }
        else
        {
            human();
        }
    }

    /// <summary>A two-column table of <paramref name="obj"/>'s fields (<paramref name="fields"/> when given, else every one); nested values as compact JSON.</summary>
    public void Record(JsonNode obj, params string[] fields) => Print(obj, () => Console.Write(RecordTable(obj, fields)));

    /// <summary>A table of <paramref name="page"/>'s items (the <c>data</c> array of a list answer, or an array) with one column per field of <paramref name="columns"/>.</summary>
    public void List(JsonNode page, string[] columns, string? empty = null) => Print(page, () =>
    {
        var items = Items(page);
        if (items.Count == 0)
        {
            Console.MarkupLine($"[grey]{Markup.Escape(empty ?? "Nothing to show.")}[/]");
            return;
        }
        Console.Write(ListTable(items, columns));
        if (page["nextCursor"] is JsonValue cursor)
        {
            Console.MarkupLine($"[grey]More: --cursor {Markup.Escape(cursor.ToString())}[/]");
        }
    });

    /// <summary>A message for people (suppressed with <c>--json</c>, where stdout is for the JSON only).</summary>
    public void Line(string markup)
    {
        if (!IsJson)
        {
            Console.MarkupLine(markup);
        }
    }

    public static IReadOnlyList<JsonObject> Items(JsonNode page) =>
        (page is JsonArray array ? array : page["data"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    public static Table RecordTable(JsonNode obj, params string[] fields)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("field").AddColumn("value");
        var names = fields.Length > 0 ? fields : obj.AsObject().Select(p => p.Key).ToArray();
        foreach (var name in names)
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(Cell(obj[name])));
        }
        return table;
    }

    public static Table ListTable(IEnumerable<JsonObject> items, string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(column);
        }
        foreach (var item in items)
        {
            table.AddRow(columns.Select(c => Markup.Escape(Cell(item[c]))).ToArray());
        }
        return table;
    }

    /// <summary>How one value reads in a cell: strings as they are, times as <c>yyyy-MM-dd HH:mm:ss</c> UTC, null as empty, the rest as compact JSON.</summary>
    public static string Cell(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) =>
            s.Length >= 20 && s[4] == '-' && s[10] == 'T' && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
                ? t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z"
                : s,
        _ => JsonText(value, indented: false),
    };
}
