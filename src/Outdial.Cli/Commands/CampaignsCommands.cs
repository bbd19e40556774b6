using System.CommandLine;
using System.Text.Json.Nodes;
using Outdial.Cli.Infrastructure;

namespace Outdial.Cli.Commands;

/// <summary><c>campaigns create|list|start|pause|stats|import</c>: the campaign API (<c>/v1/campaigns</c>).</summary>
public static class CampaignsCommands
{
    private static readonly string[] AllDays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    public static Command Build() => Cmd.Group("campaigns", "Create, run and watch campaigns",
        Create(), List(), Start(), Pause(), Stats(), CampaignImport.Build());

    private static Command Create()
    {
        var name = Cmd.Required("--name", "Campaign name, unique in the account (1-200 characters)");
        var agent = Cmd.Opt("--agent", "Agent id or key (default: the account's default agent)");
        var timeZone = Cmd.Opt("--time-zone", "Calling window's IANA zone, or 'callee' for each callee's own zone");
        var days = Cmd.Opt("--days", "Calling window's days, comma-separated (default mon,tue,wed,thu,fri,sat,sun)");
        var hours = new Option<string[]>("--hours") { Description = "Calling window's time range HH:mm-HH:mm (repeatable; default 09:00-17:00)", Arity = ArgumentArity.ZeroOrMore };
        var maxConcurrent = new Option<int?>("--max-concurrent-calls") { Description = "Calls of the campaign at once (1-1000; default 10)" };
        var cps = new Option<double?>("--calls-per-second") { Description = "New dials per second (0.01-100; default 1)" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Attempts per contact (1-10; default 3)" };
        var body = Cmd.Opt("--body", "A JSON file with the POST /v1/campaigns body to start from ('-' = stdin); the options above override its fields");
        return Cmd.Leaf("create", "Create a campaign (status draft; 'campaigns start' activates it)", async ctx =>
        {
            var request = Bodies.Load(ctx.Get(body));
            request["name"] = ctx.Get(name);
            Bodies.Set(request, "agentId", ctx.Get(agent));
            if (ctx.Get(timeZone) is not null || ctx.Get(days) is not null || ctx.Get(hours) is { Length: > 0 })
            {
                request["callingWindow"] = Window(ctx.Get(timeZone), ctx.Get(days), ctx.Get(hours));
            }
            if (ctx.Get(maxConcurrent) is not null || ctx.Get(cps) is not null)
            {
                var pacing = request["pacing"] as JsonObject ?? new JsonObject();
                Bodies.Set(pacing, "maxConcurrentCalls", ctx.Get(maxConcurrent));
                Bodies.Set(pacing, "callsPerSecond", ctx.Get(cps));
                request["pacing"] = pacing;
            }
            if (ctx.Get(maxAttempts) is { } attempts)
            {
                var retry = request["retry"] as JsonObject ?? new JsonObject();
                retry["maxAttempts"] = attempts;
                request["retry"] = retry;
            }
            using var api = ctx.Api();
            ctx.Out.Record(await api.PostAsync("v1/campaigns", request, ctx.Cancellation), Fields);
            return ExitCodes.Ok;
        }, name, agent, timeZone, days, hours, maxConcurrent, cps, maxAttempts, body);
    }

    private static readonly string[] Fields = ["id", "name", "status", "agentId", "callerIds", "callingWindow", "pacing", "retry", "createdAt"];

    private static JsonObject Window(string? timeZone, string? days, string[]? hours)
    {
        var ranges = new JsonArray();
        foreach (var range in hours is { Length: > 0 } ? hours : ["09:00-17:00"])
        {
            var parts = range.Split('-', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
            {
                throw new CliException(ExitCodes.Usage, $"error: --hours '{range}' is not HH:mm-HH:mm");
            }
            ranges.Add(new JsonObject { ["start"] = parts[0], ["end"] = parts[1] });
        }
        var dayList = days is null ? AllDays : days.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return new JsonObject
        {
            ["timeZone"] = timeZone ?? "callee",
            ["days"] = new JsonArray([.. dayList.Select(d => (JsonNode)JsonValue.Create(d))]),
            ["ranges"] = ranges,
        };
    }

    private static Command List()
    {
        var status = Cmd.Opt("--status", "Only campaigns in this status (draft, active, paused, completed, canceled)");
        var limit = AdminCommands.Limit();
        var cursor = AdminCommands.Cursor();
        return Cmd.Leaf("list", "List campaigns, newest first", async ctx =>
        {
            using var api = ctx.Api();
            var page = await api.GetAsync(Query.Of("v1/campaigns", ("status", ctx.Get(status)),
                ("limit", ctx.Get(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("cursor", ctx.Get(cursor))), ctx.Cancellation);
            ctx.Out.List(page, ["id", "name", "status", "agentId", "createdAt"], "No campaigns.");
            return ExitCodes.Ok;
        }, status, limit, cursor);
    }

    private const string IdHelp = "The campaign's id (cmp_…)";

    private static Command Start() => Cmd.ForId("start", "Start a campaign: activate a draft, resume a paused one", IdHelp, async (api, id, ct) =>
    {
        var campaign = await api.GetAsync("v1/campaigns/" + id, ct);
        var verb = Output.Cell(campaign["status"]) == "paused" ? "resume" : "activate";
        return await api.PostAsync($"v1/campaigns/{id}/{verb}", null, ct);
    }, Fields);

    private static Command Pause() => Cmd.ForId("pause", "Pause an active campaign (its calls not yet dialed wait)", IdHelp,
        (api, id, ct) => api.PostAsync($"v1/campaigns/{id}/pause", null, ct), Fields);

    private static Command Stats() => Cmd.ForId("stats", "A campaign's statistics: contacts by state, outcomes, attempts, pickup rate", IdHelp,
        (api, id, ct) => api.GetAsync($"v1/campaigns/{id}/stats", ct));
}
