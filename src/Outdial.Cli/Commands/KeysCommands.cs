using System.CommandLine;
using System.Text.Json.Nodes;
using Outdial.Cli.Infrastructure;
using Spectre.Console;

namespace Outdial.Cli.Commands;

/// <summary><c>keys create|list|revoke</c>: the account's API keys (<c>/v1/api-keys</c>).</summary>
public static class KeysCommands
{
    public static Command Build()
    {
        var name = Cmd.Opt("--name", "A name for the key (at most 100 characters)");
        var create = Cmd.Leaf("create", "Create an API key; its secret is shown only this once", async ctx =>
        {
            using var api = ctx.Api();
            var body = new JsonObject();
            if (ctx.Get(name) is { } n)
            {
                body["name"] = n;
            }
            var created = await api.PostAsync("v1/api-keys", body, ctx.Cancellation);
            ctx.Out.Print(created, () =>
            {
                Output.Console.Write(Output.RecordTable(created, "id", "name", "prefix", "createdAt"));
                Output.Console.MarkupLine($"API key (shown only this once, store it now): [bold]{Markup.Escape(Output.Cell(created["key"]))}[/]");
            });
            return ExitCodes.Ok;
        }, name);

        var list = Cmd.Leaf("list", "List the account's API keys (prefixes only, never the secrets)", async ctx =>
        {
            using var api = ctx.Api();
            ctx.Out.List(await api.GetAsync("v1/api-keys", ctx.Cancellation), ["id", "name", "prefix", "createdAt", "revokedAt"], "No API keys.");
            return ExitCodes.Ok;
        });

        var id = Cmd.Arg("id", "The key's id (key_…)");
        var revoke = Cmd.Leaf("revoke", "Revoke an API key (at once on the server that answers; within the key cache time on others)", async ctx =>
        {
            using var api = ctx.Api();
            var keyId = ctx.Get(id);
            await api.DeleteAsync("v1/api-keys/" + Cmd.Path(keyId), ctx.Cancellation);
            ctx.Out.Print(new JsonObject { ["id"] = keyId, ["revoked"] = true }, () => Output.Console.MarkupLine($"Revoked {Markup.Escape(keyId)}."));
            return ExitCodes.Ok;
        }, id);

        return Cmd.Group("keys", "The account's API keys", create, list, revoke);
    }
}
