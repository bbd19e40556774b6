using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Outdial.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Outdial.Cli.Commands;

/// <summary>
/// <c>campaigns import ID FILE</c>: uploads a CSV (<c>text/csv</c>) or JSON array (<c>.json</c>) of contacts to
/// <c>POST /v1/campaigns/{id}/contacts</c>, then polls <c>GET …/imports/{importId}</c> every 250 ms and shows a progress
/// bar (the server's byte progress), rows read per second and the time left, until the import is <c>completed</c>
/// (exit 0) or <c>failed</c> (exit 1, with its <c>failureReason</c>); then the import's counts and the overall rate (rows
/// per second since the upload started). With <c>--json</c>: no bar, only the final import resource.
/// </summary>
public static class CampaignImport
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(250);

    public static Command Build()
    {
        var id = Cmd.Arg("id", "The campaign's id (cmp_…)");
        var file = new Argument<FileInfo>("file") { Description = "Contacts: CSV with a header row and a 'phone' column (other columns become fields), or a .json array" };
        return Cmd.Leaf("import", "Import contacts from a CSV or JSON file, with a progress bar (rows/s, time left)", async ctx =>
        {
            var campaign = ctx.Get(id);
            var source = ctx.Get(file);
            if (!source.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"error: {source.FullName} does not exist");
            }
            using var api = ctx.Api();
            var clock = Stopwatch.StartNew();
            var started = await UploadAsync(api, campaign, source, ctx.Cancellation);
            var path = $"v1/campaigns/{Cmd.Path(campaign)}/imports/{Cmd.Path(Output.Cell(started["id"]))}";
            var final = ctx.Json
                ? await PollAsync(api, path, started, _ => { }, ctx.Cancellation)
                : await WithProgressBarAsync(api, path, started, clock, ctx.Cancellation);
            var rows = final["rowsRead"]?.GetValue<long>() ?? 0;
            ctx.Out.Line($"{rows.ToString("N0", CultureInfo.InvariantCulture)} rows in {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s, "
                + $"{Rate(rows, clock.Elapsed).ToString("N0", CultureInfo.InvariantCulture)} rows/s");
            ctx.Out.Record(final, "id", "status", "rowsRead", "accepted", "duplicate", "invalid", "dncSuppressed", "errors", "failureReason", "createdAt", "finishedAt");
            if (Output.Cell(final["status"]) == "failed")
            {
                throw new CliException(ExitCodes.Refused, $"error: the import failed: {Output.Cell(final["failureReason"])}");
            }
            return ExitCodes.Ok;
        }, id, file);
    }

    private static async Task<JsonNode> UploadAsync(ApiClient api, string campaign, FileInfo source, CancellationToken ct)
    {
        var stream = source.OpenRead();
        var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue(source.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase) ? "application/json" : "text/csv");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/campaigns/{Cmd.Path(campaign)}/contacts") { Content = content };
        return await api.SendAsync(request, null, ct);
    }

    private static async Task<JsonNode> PollAsync(ApiClient api, string path, JsonNode import, Action<JsonNode> report, CancellationToken ct)
    {
        while (Output.Cell(import["status"]) is not ("completed" or "failed"))
        {
            report(import);
            await Task.Delay(PollEvery, ct);
            import = await api.GetAsync(path, ct);
        }
        report(import);
        return import;
    }

    private static double Rate(long rows, TimeSpan elapsed) => elapsed > TimeSpan.Zero ? rows / elapsed.TotalSeconds : 0;

    private static Task<JsonNode> WithProgressBarAsync(ApiClient api, string path, JsonNode started, Stopwatch clock, CancellationToken ct) =>
        Output.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RowsPerSecondColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("Importing", maxValue: 100);
                // Piped output shows only the description and the percentage, so the rate goes into the description there.
                var interactive = Output.Console.Profile.Capabilities.Interactive;
                return await PollAsync(api, path, started, import =>
                {
                    var rows = import["rowsRead"]?.GetValue<long>() ?? 0;
                    var rate = Rate(rows, clock.Elapsed);
                    task.Description = $"{rows.ToString("N0", CultureInfo.InvariantCulture)} rows"
                        + (interactive ? "" : $", {rate.ToString("N0", CultureInfo.InvariantCulture)} rows/s");
                    task.State.Update<double>(RowsPerSecondColumn.Key, _ => rate);
                    task.Value = 100 * (import["progress"]?.GetValue<double>() ?? 0);
                }, ct);
            });

    /// <summary>Rows read per second since the upload finished, from the task's state.</summary>
    private sealed class RowsPerSecondColumn : ProgressColumn
    {
        public const string Key = "rowsPerSecond";

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text($"{task.State.Get<double>(Key).ToString("N0", CultureInfo.InvariantCulture)} rows/s", new Style(Color.Grey));
    }
}
