using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.VisualBasic.FileIO;
using Outdial.Cli.Infrastructure;
using Spectre.Console;

namespace Outdial.Cli.Commands;

/// <summary><c>dnc add|import|check</c>: the account's do-not-call list (<c>/v1/dnc</c>).</summary>
public static class DncCommands
{
    /// <summary>Entries per <c>POST /v1/dnc/bulk</c> (the server's limit).</summary>
    private const int BulkSize = 10_000;

    public static Command Build() => Cmd.Group("dnc", "The account's do-not-call list", Add(), Import(), Check());

    private static Command Add()
    {
        var number = Cmd.Arg("number", "E.164 number, e.g. +15551234567");
        var reason = Cmd.Opt("--reason", "Why (free text)");
        var optOut = new Option<bool>("--opt-out") { Description = "The callee's own request: sticky, blocks even campaigns with dncEnabled false" };
        return Cmd.Leaf("add", "Add a number to the DNC list", async ctx =>
        {
            var body = new JsonObject { ["number"] = ctx.Get(number) };
            Bodies.Set(body, "reason", ctx.Get(reason));
            if (ctx.Get(optOut))
            {
                body["optOut"] = true;
            }
            using var api = ctx.Api();
            ctx.Out.Record(await api.PostAsync("v1/dnc", body, ctx.Cancellation), "number", "result", "reason", "source", "optOut", "createdAt");
            return ExitCodes.Ok;
        }, number, reason, optOut);
    }

    private static Command Import()
    {
        var file = new Argument<FileInfo>("file") { Description = "One number per line, or a CSV with a header naming 'number' (or 'phone') and optionally 'reason' and 'optOut'" };
        var reason = Cmd.Opt("--reason", "Reason for entries that have none");
        return Cmd.Leaf("import", $"Add many numbers to the DNC list ({BulkSize:N0} per request)", async ctx =>
        {
            var entries = Read(ctx.Get(file), ctx.Get(reason));
            using var api = ctx.Api();
            long added = 0, upgraded = 0, kept = 0;
            var invalid = new JsonArray();
            for (var offset = 0; offset < entries.Count; offset += BulkSize)
            {
                var chunk = entries.Skip(offset).Take(BulkSize).Select(e => (JsonNode)e.DeepClone()).ToArray();
                var result = await api.PostAsync("v1/dnc/bulk", new JsonObject { ["entries"] = new JsonArray(chunk) }, ctx.Cancellation);
                added += result["added"]?.GetValue<long>() ?? 0;
                upgraded += result["upgraded"]?.GetValue<long>() ?? 0;
                kept += result["kept"]?.GetValue<long>() ?? 0;
                foreach (var bad in result["invalid"] as JsonArray ?? [])
                {
                    var copy = bad!.DeepClone();
                    copy["index"] = (copy["index"]?.GetValue<int>() ?? 0) + offset;
                    invalid.Add(copy);
                }
            }
            var summary = new JsonObject { ["added"] = added, ["upgraded"] = upgraded, ["kept"] = kept, ["invalid"] = invalid };
            ctx.Out.Print(summary, () =>
            {
                Output.Console.MarkupLine($"{entries.Count:N0} entries: {added:N0} added, {upgraded:N0} upgraded to opt-out, {kept:N0} kept, {invalid.Count:N0} invalid");
                if (invalid.Count > 0)
                {
                    Output.Console.Write(Output.ListTable(invalid.OfType<JsonObject>(), ["index", "number", "error"]));
                }
            });
            return ExitCodes.Ok;
        }, file, reason);
    }

    private static Command Check()
    {
        var numbers = new Argument<string[]>("numbers") { Description = "E.164 numbers (up to 1,000)", Arity = ArgumentArity.OneOrMore };
        return Cmd.Leaf("check", "Check whether numbers are on the DNC list", async ctx =>
        {
            var body = new JsonObject { ["numbers"] = new JsonArray([.. ctx.Get(numbers).Select(n => (JsonNode)JsonValue.Create(n))]) };
            using var api = ctx.Api();
            var answer = await api.PostAsync("v1/dnc/check", body, ctx.Cancellation);
            ctx.Out.Print(answer, () =>
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumn("number").AddColumn("listed").AddColumn("optOut").AddColumn("reason").AddColumn("source");
                foreach (var result in (answer["results"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var entry = result["entry"];
                    table.AddRow(Markup.Escape(Output.Cell(result["number"])), Output.Cell(result["listed"]) == "true" ? "[red]yes[/]" : "[green]no[/]",
                        Markup.Escape(Output.Cell(entry?["optOut"])), Markup.Escape(Output.Cell(entry?["reason"])), Markup.Escape(Output.Cell(entry?["source"])));
                }
                Output.Console.Write(table);
            });
            return ExitCodes.Ok;
        }, numbers);
    }

    /// <summary>The file's entries as <c>{number, reason?, optOut?}</c>; exit 2 when it cannot be read or has no number column.</summary>
    private static List<JsonObject> Read(FileInfo file, string? defaultReason)
    {
        try
        {
            // RFC 4180 fields (quotes, commas inside quotes) with .NET's own parser.
            using var csv = new TextFieldParser(file.FullName) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = true };
            csv.SetDelimiters(",");
            var entries = new List<JsonObject>();
            int numberAt = 0, reasonAt = -1, optOutAt = -1;
            var first = true;
            while (!csv.EndOfData)
            {
                var row = csv.ReadFields() ?? [];
                if (row.Length == 0 || row.All(string.IsNullOrWhiteSpace))
                {
                    continue;
                }
                if (first && !row[0].StartsWith('+') && !char.IsAsciiDigit(row[0].FirstOrDefault()))
                {
                    var header = row.Select(h => h.ToLowerInvariant()).ToList();
                    numberAt = header.FindIndex(h => h is "number" or "phone");
                    reasonAt = header.IndexOf("reason");
                    optOutAt = header.FindIndex(h => h is "optout" or "opt_out");
                    first = false;
                    if (numberAt < 0)
                    {
                        throw new CliException(ExitCodes.Usage, $"error: {file.Name}: the header has no 'number' or 'phone' column");
                    }
                    continue;
                }
                first = false;
                var entry = new JsonObject { ["number"] = numberAt < row.Length ? row[numberAt] : "" };
                Bodies.Set(entry, "reason", reasonAt >= 0 && reasonAt < row.Length && row[reasonAt].Length > 0 ? row[reasonAt] : defaultReason);
                if (optOutAt >= 0 && optOutAt < row.Length && bool.TryParse(row[optOutAt], out var optOut))
                {
                    entry["optOut"] = optOut;
                }
                entries.Add(entry);
            }
            return entries;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MalformedLineException)
        {
            throw new CliException(ExitCodes.Usage, $"error: cannot read {file.FullName}: {e.Message}", e);
        }
    }
}
