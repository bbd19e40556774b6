using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Outdial.Cli.Infrastructure;
using Spectre.Console;

namespace Outdial.Cli.Commands;

/// <summary>
/// <c>calls watch</c>: the account's newest calls and their states, polled from <c>GET /v1/calls</c> every <c>--interval</c>
/// seconds. On a terminal: a live Spectre table redrawn in place. Otherwise (output piped) one line per change, and with
/// <c>--json</c> one compact JSON call per change (NDJSON). Ends on Ctrl+C (exit 0) or, with <c>--until-settled</c>, once
/// every call shown is in a terminal status (ended, canceled, expired, blocked).
/// </summary>
public static class CallsWatch
{
    private static readonly HashSet<string> Terminal = new(StringComparer.Ordinal) { "ended", "canceled", "expired", "blocked" };

    public static Command Build()
    {
        var limit = new Option<int>("--limit") { Description = "How many of the newest calls to show (1-100)", DefaultValueFactory = _ => 20 };
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes (0.1-60)", DefaultValueFactory = _ => 1.0 };
        var campaign = Cmd.Opt("--campaign", "Only calls of this campaign");
        var untilSettled = new Option<bool>("--until-settled") { Description = "Exit once every call shown has reached a terminal status" };
        return Cmd.Leaf("watch", "Watch the account's calls and their states live (Ctrl+C to stop)", async ctx =>
        {
            var every = TimeSpan.FromSeconds(ctx.Get(interval));
            if (every < TimeSpan.FromMilliseconds(100) || every > TimeSpan.FromSeconds(60))
            {
                throw new CliException(ExitCodes.Usage, "error: --interval must be between 0.1 and 60 seconds");
            }
            using var api = ctx.Api();
            var path = Query.Of("v1/calls", ("limit", ctx.Get(limit).ToString(CultureInfo.InvariantCulture)), ("campaignId", ctx.Get(campaign)));
            var settle = ctx.Get(untilSettled);
            try
            {
                if (!ctx.Json && Output.Console.Profile.Capabilities.Interactive)
                {
                    await LiveAsync(api, path, every, settle, ctx.Cancellation);
                }
                else
                {
                    await ChangesAsync(api, path, every, settle, ctx.Json, ctx.Cancellation);
                }
            }
            catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
            {
                // Ctrl+C is how a watch ends.
            }
            return ExitCodes.Ok;
        }, limit, interval, campaign, untilSettled);
    }

    private static async Task LiveAsync(ApiClient api, string path, TimeSpan every, bool settle, CancellationToken ct)
    {
        var calls = Output.Items(await api.GetAsync(path, ct));
        await Output.Console.Live(Render(calls)).AutoClear(false).StartAsync(async live =>
        {
            while (!(settle && Settled(calls)))
            {
                await Task.Delay(every, ct);
                calls = Output.Items(await api.GetAsync(path, ct));
                live.UpdateTarget(Render(calls));
            }
        });
    }

    private static async Task ChangesAsync(ApiClient api, string path, TimeSpan every, bool settle, bool json, CancellationToken ct)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            var calls = Output.Items(await api.GetAsync(path, ct));
            // Oldest first, so that the lines read in the order things happened.
            foreach (var call in calls.AsEnumerable().Reverse())
            {
                var id = Output.Cell(call["id"]);
                var state = Output.Cell(call["status"]) + "/" + Output.Cell(call["outcome"]);
                if (seen.TryGetValue(id, out var before) && before == state)
                {
                    continue;
                }
                seen[id] = state;
                Console.Out.WriteLine(json
                    ? Output.JsonText(call, indented: false)
                    : string.Join("  ", CallsCommands.Columns.Select(c => Output.Cell(call[c]))));
            }
            if (settle && Settled(calls))
            {
                return;
            }
            await Task.Delay(every, ct);
        }
    }

    private static bool Settled(IReadOnlyList<JsonObject> calls) => calls.All(c => Terminal.Contains(Output.Cell(c["status"])));

    private static Table Render(IReadOnlyList<JsonObject> calls)
    {
        var table = Output.ListTable(calls, CallsCommands.Columns);
        var active = calls.Count(c => !Terminal.Contains(Output.Cell(c["status"])));
        table.Caption($"{calls.Count} calls, {active} not settled · {DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}Z · Ctrl+C to stop");
        return table;
    }
}
