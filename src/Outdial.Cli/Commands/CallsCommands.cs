using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Outdial.Cli.Infrastructure;
using Spectre.Console;

namespace Outdial.Cli.Commands;

/// <summary><c>calls create|get|list|cancel|watch|transcript</c>: the native call API (<c>/v1/calls</c>).</summary>
public static class CallsCommands
{
    /// <summary>The columns of a call in tables (list and watch).</summary>
    internal static readonly string[] Columns = ["id", "to", "status", "outcome", "attemptCount", "createdAt", "updatedAt"];

    public static Command Build() => Cmd.Group("calls", "Trigger, inspect and cancel calls",
        Create(), Get(), List(), Cancel(), CallsWatch.Build(), Transcript());

    private static Command Create()
    {
        var to = Cmd.Required("--to", "Callee, strict E.164 (+ then 8-15 digits)");
        var from = Cmd.Opt("--from", "Caller ID: phone number id, label or E.164 number of the account");
        var agent = Cmd.Opt("--agent", "Agent id, key or external reference (default: the account's default agent)");
        var campaign = Cmd.Opt("--campaign", "Campaign id to place the call in");
        var consent = Cmd.Opt("--consent", "Consent evidence source, e.g. web_form: sends consent {obtained: true, source} (needed unless the account sets requireConsent false)");
        var notBefore = Cmd.Opt("--not-before", "Do not dial before this ISO-8601 time with offset, e.g. 2026-12-01T09:00:00Z");
        var vars = Cmd.Pairs("--var", "Prompt variable");
        var contact = Cmd.Pairs("--contact", "Contact field");
        var metadata = Cmd.Pairs("--metadata", "Metadata echoed in every event");
        var replies = new Option<string[]>("--sandbox-reply") { Description = "What the sandbox's simulated callee says, in order (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var allowDuplicates = new Option<bool>("--allow-duplicates") { Description = "Skip the duplicate guard" };
        var idempotencyKey = Cmd.Opt("--idempotency-key", "Idempotency-Key header: the same key and body within 24 h answer the original response");
        var body = Cmd.Opt("--body", "A JSON file with the POST /v1/calls body to start from ('-' = stdin); the options above override its fields");
        return Cmd.Leaf("create", "Trigger a call (POST /v1/calls)", async ctx =>
        {
            var request = Bodies.Load(ctx.Get(body));
            request["to"] = ctx.Get(to);
            Bodies.Set(request, "from", ctx.Get(from));
            Bodies.Set(request, "agentId", ctx.Get(agent));
            Bodies.Set(request, "campaignId", ctx.Get(campaign));
            Bodies.Set(request, "notBefore", ctx.Get(notBefore));
            if (ctx.Get(consent) is { } source)
            {
                request["consent"] = new JsonObject { ["obtained"] = true, ["source"] = source };
            }
            Bodies.SetPairs(request, "variables", ctx.Get(vars), "--var");
            Bodies.SetPairs(request, "contact", ctx.Get(contact), "--contact");
            Bodies.SetPairs(request, "metadata", ctx.Get(metadata), "--metadata");
            if (ctx.Get(replies) is { Length: > 0 } said)
            {
                request["sandbox"] = new JsonObject { ["replies"] = new JsonArray([.. said.Select(r => (JsonNode)JsonValue.Create(r))]) };
            }
            if (ctx.Get(allowDuplicates))
            {
                request["allowDuplicates"] = true;
            }
            using var api = ctx.Api();
            using var message = new HttpRequestMessage(HttpMethod.Post, "v1/calls")
            {
                Content = new StringContent(request.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            if (ctx.Get(idempotencyKey) is { } key)
            {
                message.Headers.Add("Idempotency-Key", key);
            }
            var call = await api.SendAsync(message, null, ctx.Cancellation);
            ctx.Out.Print(call, () =>
            {
                Output.Console.Write(Output.RecordTable(call, "id", "to", "from", "status", "agentId", "campaignId", "createdAt"));
                if (call["decision"] is JsonObject decision)
                {
                    Output.Console.MarkupLine($"Decision: {Markup.Escape(Output.Cell(decision["action"]))}, dial at {Markup.Escape(Output.Cell(decision["scheduledFor"]))}");
                }
            });
            return ExitCodes.Ok;
        }, to, from, agent, campaign, consent, notBefore, vars, contact, metadata, replies, allowDuplicates, idempotencyKey, body);
    }

    private const string IdHelp = "The call's id (call_…)";

    private static Command Get() => Cmd.ForId("get", "Show a call", IdHelp, (api, id, ct) => api.GetAsync("v1/calls/" + id, ct),
        "id", "to", "from", "status", "statusReason", "outcome", "outcomeDetail", "agentId", "campaignId",
        "attemptCount", "metadata", "decision", "createdAt", "updatedAt", "endedAt");

    private static Command List()
    {
        var filters = new (string Name, Option<string?> Option)[]
        {
            ("status", Cmd.Opt("--status", "Only calls in this status (scheduled, queued, dialing, ringing, in_progress, ended, canceled, expired, blocked)")),
            ("outcome", Cmd.Opt("--outcome", "Only calls with this outcome (answered, voicemail, busy, no_answer, rejected, …)")),
            ("campaignId", Cmd.Opt("--campaign", "Only calls of this campaign")),
            ("agentId", Cmd.Opt("--agent", "Only calls of this agent")),
            ("to", Cmd.Opt("--to", "Only calls to this number")),
        };
        var limit = AdminCommands.Limit();
        var cursor = AdminCommands.Cursor();
        return Cmd.Leaf("list", "List calls, newest first", async ctx =>
        {
            using var api = ctx.Api();
            var query = filters.Select(f => (f.Name, ctx.Get(f.Option)))
                .Append(("limit", ctx.Get(limit)?.ToString(CultureInfo.InvariantCulture)))
                .Append(("cursor", ctx.Get(cursor)));
            ctx.Out.List(await api.GetAsync(Query.Of("v1/calls", [.. query]), ctx.Cancellation), Columns, "No calls.");
            return ExitCodes.Ok;
        }, [.. filters.Select(f => (Symbol)f.Option), limit, cursor]);
    }

    private static Command Cancel() => Cmd.ForId("cancel", "Cancel a pending or active call (an active one is hung up); cancelling twice is fine", IdHelp,
        (api, id, ct) => api.PostAsync($"v1/calls/{id}/cancel", null, ct), "id", "to", "status", "statusReason", "updatedAt");

    private static Command Transcript()
    {
        var id = Cmd.Arg("id", IdHelp);
        return Cmd.Leaf("transcript", "Print a call's transcript (a readable script; the turns as JSON with --json)", async ctx =>
        {
            using var api = ctx.Api();
            var path = "v1/calls/" + Cmd.Path(ctx.Get(id)) + "/transcript";
            if (ctx.Json)
            {
                ctx.Out.Print(await api.GetAsync(path, ctx.Cancellation), () => { });
            }
            else
            {
                Console.Out.Write(await api.GetTextAsync(path, ctx.Cancellation));
            }
            return ExitCodes.Ok;
        }, id);
    }
}
