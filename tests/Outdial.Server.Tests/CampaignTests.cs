using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Campaigns;
using Outdial.Core.Storage;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Campaigns over real HTTP: CRUD and validation, lifecycle, contact import, dialing, completion and stats.</summary>
public sealed class CampaignTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    private static JsonObject Campaign(string name, Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["name"] = name,
            ["retry"] = new JsonObject { ["maxAttempts"] = 2, ["cooldownSec"] = new JsonObject { ["busy"] = 0, ["no_answer"] = 0 } },
            ["pacing"] = new JsonObject { ["maxConcurrentCalls"] = 20, ["callsPerSecond"] = 50 },
        };
        change?.Invoke(body);
        return body;
    }

    private static async Task<JsonObject> CreateAsync(HttpClient client, JsonObject body)
    {
        var response = await client.PostAsJsonAsync("/v1/campaigns", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.JsonAsync();
    }

    private static async Task<JsonObject> ImportCsvAsync(HttpClient client, string campaignId, string csv)
    {
        var response = await client.PostAsync($"/v1/campaigns/{campaignId}/contacts", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var import = (await client.GetFromJsonAsync<JsonObject>(location))!;
            if ((string?)import["status"] != "running")
            {
                return import;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException("import never finished");
    }

    private static async Task<JsonObject> WaitForCampaignAsync(HttpClient client, string id, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{id}"))!;
            if ((string?)last["status"] == status)
            {
                return last;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"campaign never became {status}; last {last?.ToJsonString()}");
    }

    [Fact]
    public async Task Create_Defaults_Get_List_Patch()
    {
        var created = await CreateAsync(Host.Client, Campaign("crud-" + Guid.NewGuid().ToString("N")));
        Assert.Equal("draft", (string?)created["status"]);
        Assert.Equal("fixed", (string?)created["callerIdStrategy"]);
        Assert.True((bool)created["dncEnabled"]!);
        Assert.Single(created["callerIds"]!.AsArray());
        var id = (string)created["id"]!;

        var fetched = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{id}"))!;
        Assert.Equal((string?)created["name"], (string?)fetched["name"]);
        var list = (await Host.Client.GetFromJsonAsync<JsonObject>("/v1/campaigns?status=draft&limit=100"))!;
        Assert.Contains(list["data"]!.AsArray(), c => (string?)c!["id"] == id);

        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v1/campaigns/{id}")
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["callingWindow"] = new JsonObject
                {
                    ["timeZone"] = "callee",
                    ["days"] = new JsonArray("mon", "tue", "wed", "thu", "fri"),
                    ["ranges"] = new JsonArray(new JsonObject { ["start"] = "09:00", ["end"] = "17:00" }),
                },
                ["autoDncOutcomes"] = new JsonArray("rejected"),
            }),
        };
        var patched = await (await Host.Client.SendAsync(patch)).JsonAsync();
        Assert.Equal("callee", (string?)patched["callingWindow"]!["timeZone"]);
        Assert.Equal("rejected", (string?)patched["autoDncOutcomes"]![0]);
        Assert.Equal(2, (int)patched["retry"]!["maxAttempts"]!);
    }

    [Fact]
    public async Task Create_InvalidFields_422_DuplicateName_409_OtherTenant_404()
    {
        var bad = await Host.Client.PostAsJsonAsync("/v1/campaigns", new JsonObject
        {
            ["name"] = "",
            ["callerIdStrategy"] = "nearest",
            ["callingWindow"] = new JsonObject { ["timeZone"] = "Mars/Base", ["days"] = new JsonArray("mon"), ["ranges"] = new JsonArray(new JsonObject { ["start"] = "09:00", ["end"] = "17:00" }) },
            ["pacing"] = new JsonObject { ["maxConcurrentCalls"] = 0 },
            ["retry"] = new JsonObject { ["maxAttempts"] = 20, ["cooldownSec"] = new JsonObject { ["answered"] = 5 } },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var errors = (await bad.JsonAsync())["errors"]!.AsObject();
        foreach (var field in new[] { "name", "callerIdStrategy", "callingWindow", "pacing.maxConcurrentCalls", "retry.maxAttempts", "retry.cooldownSec.answered" })
        {
            Assert.True(errors.ContainsKey(field), field + " missing in " + errors.ToJsonString());
        }

        var name = "dup-" + Guid.NewGuid().ToString("N");
        var first = await CreateAsync(Host.Client, Campaign(name));
        var again = await Host.Client.PostAsJsonAsync("/v1/campaigns", Campaign(name));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("urn:outdial:problem:campaign_name_taken", (string?)(await again.JsonAsync())["type"]);

        var (_, other) = await Host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/campaigns/{first["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/v1/campaigns/{first["id"]}/activate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/campaigns/{first["id"]}/stats")).StatusCode);
    }

    [Fact]
    public async Task Lifecycle_Transitions_AndInvalidOnes()
    {
        var id = (string)(await CreateAsync(Host.Client, Campaign("life-" + Guid.NewGuid().ToString("N"))))["id"]!;
        async Task<HttpResponseMessage> Do(string action) => await Host.Client.PostAsync($"/v1/campaigns/{id}/{action}", null);

        Assert.Equal(HttpStatusCode.Conflict, (await Do("pause")).StatusCode);
        Assert.Equal("active", (string?)(await (await Do("activate")).JsonAsync())["status"]);
        Assert.Equal(HttpStatusCode.Conflict, (await Host.Client.DeleteAsync($"/v1/campaigns/{id}")).StatusCode);
        Assert.Equal("paused", (string?)(await (await Do("pause")).JsonAsync())["status"]);
        Assert.Equal("active", (string?)(await (await Do("resume")).JsonAsync())["status"]);
        Assert.Equal("canceled", (string?)(await (await Do("cancel")).JsonAsync())["status"]);
        var resume = await Do("resume");
        Assert.Equal(HttpStatusCode.Conflict, resume.StatusCode);
        Assert.Equal("urn:outdial:problem:invalid_campaign_transition", (string?)(await resume.JsonAsync())["type"]);
        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v1/campaigns/{id}") { Content = JsonContent.Create(new JsonObject { ["name"] = "x" }) };
        Assert.Equal(HttpStatusCode.Conflict, (await Host.Client.SendAsync(patch)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/v1/campaigns/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Client.GetAsync($"/v1/campaigns/{id}")).StatusCode);
    }

    [Fact]
    public async Task CampaignFeed_IsLeftToTheNodeHoldingItsClaim_AndTakenOverWhenReleased()
    {
        // Another node ("node-elsewhere") holds the campaign's feed claim: this node's runner leaves the campaign to it.
        var (_, client) = await Host.NewTenantAsync();
        await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account") { Content = JsonContent.Create(new JsonObject { ["requireConsent"] = false }) });
        var id = (string)(await CreateAsync(client, Campaign("feed-claim-" + Guid.NewGuid().ToString("N"))))["id"]!;
        var csv = new StringBuilder("phone\n");
        for (var i = 0; i < 5; i++)
        {
            csv.Append(Numbers.Next("0001")).Append('\n');
        }
        await ImportCsvAsync(client, id, csv.ToString());
        var claims = Host.Services.GetRequiredService<IClaimStore>();
        var now = DateTimeOffset.UtcNow;
        Assert.True(await claims.TryClaimAsync(CampaignRunner.FeedScope, id, "node-elsewhere", now, now.AddMinutes(5), CancellationToken.None));
        await client.PostAsync($"/v1/campaigns/{id}/activate", null);
        var runner = Host.Services.GetRequiredService<CampaignRunner>();
        for (var pass = 0; pass < 3; pass++)
        {
            await runner.RunOnceAsync(CancellationToken.None);
        }
        Assert.Equal(5, (long)(await client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{id}/stats"))!["pending"]!);

        // The other node hands it back (or its claim lapses): this node feeds the campaign to the end.
        await claims.ReleaseClaimAsync(CampaignRunner.FeedScope, id, "node-elsewhere", CancellationToken.None);
        await WaitForCampaignAsync(client, id, "completed");
        Assert.Equal(0, (long)(await client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{id}/stats"))!["pending"]!);
    }

    [Fact]
    public async Task Import_CountsEachRow_ThenCampaignDialsEveryoneAndCompletes_StatsAddUp()
    {
        var (_, client) = await Host.NewTenantAsync();
        await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account") { Content = JsonContent.Create(new JsonObject { ["requireConsent"] = false }) });
        var id = (string)(await CreateAsync(client, Campaign("import-" + Guid.NewGuid().ToString("N"))))["id"]!;
        var dnc = Numbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/dnc", new JsonObject { ["number"] = dnc, ["reason"] = "asked" })).StatusCode);

        var answered = Enumerable.Range(0, 6).Select(_ => Numbers.Next()).ToList();
        var busy = Numbers.Next("0001");
        var csv = new StringBuilder("phone,firstName,timezone\n");
        foreach (var n in answered)
        {
            csv.Append(n).Append(",Ann,\n");
        }
        csv.Append(busy).Append(",Bob,America/Chicago\n");
        csv.Append(answered[0]).Append(",Dup,\n");          // duplicate (row 8)
        csv.Append("12345,Bad,\n");                          // invalid phone (row 9)
        csv.Append(Numbers.Next()).Append(",Zed,Mars/Base\n"); // invalid timezone (row 10)
        csv.Append(dnc).Append(",Dee,\n");                   // DNC-suppressed (row 11)

        var import = await ImportCsvAsync(client, id, csv.ToString());
        Assert.Equal("completed", (string?)import["status"]);
        Assert.Equal(11, (long)import["rowsRead"]!);
        Assert.Equal(7, (long)import["accepted"]!);
        Assert.Equal(1, (long)import["duplicate"]!);
        Assert.Equal(2, (long)import["invalid"]!);
        Assert.Equal(1, (long)import["dncSuppressed"]!);
        Assert.Equal([9L, 10L], import["errors"]!.AsArray().Select(e => (long)e!["row"]!));
        Assert.Equal(1.0, (double)import["progress"]!);

        var before = (await client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{id}/stats"))!;
        Assert.Equal(7, (long)before["pending"]!);
        Assert.Equal(1, (long)before["skippedByReason"]!["dnc_listed"]!);

        await client.PostAsync($"/v1/campaigns/{id}/activate", null);
        await WaitForCampaignAsync(client, id, "completed");

        var stats = (await client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{id}/stats"))!;
        Assert.Equal(0, (long)stats["pending"]!);
        Assert.Equal(6, (long)stats["doneByOutcome"]!["answered"]!);
        Assert.Equal(1, (long)stats["doneByOutcome"]!["busy"]!);
        Assert.Equal(8, (long)stats["attempts"]!); // 6 answered + busy twice (maxAttempts 2, cooldown 0)
        Assert.Equal(8, (long)stats["contacts"]!);  // 7 called + 1 suppressed
        var done = stats["doneByOutcome"]!.AsObject().Sum(kv => (long)kv.Value!) + stats["skippedByReason"]!.AsObject().Sum(kv => (long)kv.Value!);
        Assert.Equal((long)stats["contacts"]!, done + (long)stats["pending"]! + (long)stats["scheduled"]! + (long)stats["inProgress"]!);
        Assert.Equal(Math.Round(6.0 / 8, 4), (double)stats["pickupRate"]!);

        var calls = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls?campaignId={id}&limit=100"))!["data"]!.AsArray();
        Assert.Equal(7, calls.Count);
        var bob = calls.Single(c => (string?)c!["to"] == busy)!;
        Assert.Equal("America/Chicago", (string?)bob["timeZone"]);
        Assert.Equal("Bob", (string?)bob["variables"]!["firstName"]);
        Assert.Equal("campaign", (string?)bob["agentSource"]);
        Assert.NotEmpty(bob["decisions"]!.AsArray());
    }

    [Fact]
    public async Task CampaignCall_InheritsCampaign_DuplicateIs409_PausedCampaignDoesNotDial()
    {
        var id = (string)(await CreateAsync(Host.Client, Campaign("calls-" + Guid.NewGuid().ToString("N"))))["id"]!;
        var to = Numbers.Next();
        var body = Calls.Body(to);
        var first = await Host.Client.PostAsJsonAsync($"/v1/campaigns/{id}/calls", body);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var call = await first.JsonAsync();
        Assert.Equal(id, (string?)call["campaignId"]);
        var again = await Host.Client.PostAsJsonAsync($"/v1/campaigns/{id}/calls", body);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal((string?)call["id"], (string?)(await again.JsonAsync())["existingCall"]!["id"]);

        // The campaign is a draft: its call waits. After a moment it has still not been dialed.
        await Task.Delay(300);
        var waiting = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{call["id"]}"))!;
        Assert.Equal(0, (int)waiting["attemptCount"]!);
        await Host.Client.PostAsync($"/v1/campaigns/{id}/activate", null);
        await Host.WaitForCallAsync((string)call["id"]!, c => (string?)c["status"] == "ended");
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Client.PostAsJsonAsync("/v1/campaigns/cmp_missing/calls", body)).StatusCode);
    }

    [Fact]
    public async Task Import_JsonArray_AndMalformedJsonFailsTheImport()
    {
        var id = (string)(await CreateAsync(Host.Client, Campaign("json-" + Guid.NewGuid().ToString("N"))))["id"]!;
        var array = new JsonArray(new JsonObject { ["phone"] = Numbers.Next(), ["plan"] = "gold" }, new JsonObject { ["name"] = "no phone" });
        var response = await Host.Client.PostAsync($"/v1/campaigns/{id}/contacts", new StringContent(array.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var import = await PollAsync(Host.Client, response.Headers.Location!.ToString());
        Assert.Equal(1, (long)import["accepted"]!);
        Assert.Equal(1, (long)import["invalid"]!);

        var broken = await Host.Client.PostAsync($"/v1/campaigns/{id}/contacts", new StringContent("[{\"phone\": \"+1", Encoding.UTF8, "application/json"));
        var failed = await PollAsync(Host.Client, broken.Headers.Location!.ToString());
        Assert.Equal("failed", (string?)failed["status"]);
        Assert.False(string.IsNullOrEmpty((string?)failed["failureReason"]));

        var wrongType = await Host.Client.PostAsync($"/v1/campaigns/{id}/contacts", new StringContent("x", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
    }

    [Fact]
    public async Task Import_LargerThanTheGlobalBodyLimit_IsStreamedAndAccepted()
    {
        var id = (string)(await CreateAsync(Host.Client, Campaign("big-" + Guid.NewGuid().ToString("N"))))["id"]!;
        var csv = new StringBuilder("phone,firstName\n");
        for (var i = 0; i < 80_000; i++)
        {
            csv.Append("+1312").Append((2_000_000 + i).ToString("D7", System.Globalization.CultureInfo.InvariantCulture)).Append(",Pat\n");
        }
        Assert.True(csv.Length > 1_048_576); // over Outdial:Api:MaxRequestBodyBytes
        var import = await ImportCsvAsync(Host.Client, id, csv.ToString());
        Assert.Equal("completed", (string?)import["status"]);
        Assert.Equal(80_000, (long)import["accepted"]!);
    }

    private static async Task<JsonObject> PollAsync(HttpClient client, string location)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var import = (await client.GetFromJsonAsync<JsonObject>(location))!;
            if ((string?)import["status"] != "running")
            {
                return import;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException("import never finished");
    }
}
