using System.CommandLine;
using System.Text.Json.Nodes;
using Outdial.Cli.Infrastructure;
using Spectre.Console;

namespace Outdial.Cli.Commands;

/// <summary><c>admin accounts create|list</c>: the operator's <c>/v1/admin/accounts</c>, with the operator key.</summary>
public static class AdminCommands
{
    public static Command Build()
    {
        var name = Cmd.Required("--name", "Account name (1-200 characters)");
        var callerId = Cmd.Opt("--caller-id", "The account's sandbox caller ID, E.164 (default: the server's Outdial:BootstrapCallerId)");
        var maxConcurrent = new Option<int?>("--max-concurrent-calls") { Description = "Calls of the account at once (1-10000; default 10)" };
        var noConsent = new Option<bool>("--no-require-consent") { Description = "Accept calls without consent evidence (requireConsent: false)" };
        var create = Cmd.Leaf("create", "Create an account with its default agent, sandbox caller ID and first API key (shown once)", async ctx =>
        {
            using var api = ctx.Admin();
            var body = new JsonObject { ["name"] = ctx.Get(name) };
            if (ctx.Get(callerId) is { } c)
            {
                body["callerId"] = c;
            }
            if (ctx.Get(maxConcurrent) is { } m)
            {
                body["maxConcurrentCalls"] = m;
            }
            if (ctx.Get(noConsent))
            {
                body["requireConsent"] = false;
            }
            var created = await api.PostAsync("v1/admin/accounts", body, ctx.Cancellation);
            ctx.Out.Print(created, () =>
            {
                var account = created["account"] ?? new JsonObject();
                Output.Console.Write(Output.RecordTable(account, "id", "name", "requireConsent", "maxConcurrentCalls", "createdAt"));
                Output.Console.MarkupLine($"Default agent: {Markup.Escape(Output.Cell(created["agentId"]))}, caller ID: {Markup.Escape(Output.Cell(created["phoneNumberId"]))}");
                Output.Console.MarkupLine($"API key (shown only this once, store it now): [bold]{Markup.Escape(Output.Cell(created["apiKey"]?["key"]))}[/]");
            });
            return ExitCodes.Ok;
        }, name, callerId, maxConcurrent, noConsent);

        var limit = Limit();
        var cursor = Cursor();
        var list = Cmd.Leaf("list", "List accounts, newest first", async ctx =>
        {
            using var api = ctx.Admin();
            var page = await api.GetAsync(Query.Of("v1/admin/accounts", ("limit", ctx.Get(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("cursor", ctx.Get(cursor))), ctx.Cancellation);
            ctx.Out.List(page, ["id", "name", "requireConsent", "maxConcurrentCalls", "createdAt", "disabledAt"], "No accounts.");
            return ExitCodes.Ok;
        }, limit, cursor);

        return Cmd.Group("admin", "Operator commands (need --admin-key or OUTDIAL_ADMIN_KEY)",
            Cmd.Group("accounts", "Accounts of this server", create, list));
    }

    /// <summary><c>--limit</c>: page size 1-100 (server default 20).</summary>
    public static Option<int?> Limit() => new("--limit") { Description = "Page size, 1-100 (default 20)" };

    /// <summary><c>--cursor</c>: the previous page's <c>nextCursor</c>.</summary>
    public static Option<string?> Cursor() => Cmd.Opt("--cursor", "The previous page's nextCursor");
}
