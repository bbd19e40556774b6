using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Storage;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Seed 001 (Talkover "Make Campaign Call") over real HTTP: shapes, envelope errors, and the call it places.</summary>
public sealed class TalkoverDialectTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    private static async Task<string> NewCampaignAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/v1/campaigns", new JsonObject
        {
            ["name"] = "talkover-" + Guid.NewGuid().ToString("N"),
            ["retry"] = new JsonObject { ["maxAttempts"] = 1 },
            ["pacing"] = new JsonObject { ["maxConcurrentCalls"] = 20, ["callsPerSecond"] = 50 },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.JsonAsync())["id"]!;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string campaignId, string json) =>
        client.PostAsync($"/api/v1/campaigns/{campaignId}/call", new StringContent(json, Encoding.UTF8, "application/json"));

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string campaignId, JsonObject body) =>
        PostAsync(client, campaignId, body.ToJsonString());

    private static async Task<int> CountCallsAsync(HttpClient client, string campaignId) =>
        (await client.GetFromJsonAsync<JsonObject>($"/v1/calls?campaignId={campaignId}&limit=100"))!["data"]!.AsArray().Count;

    private static async Task<JsonObject> AssertEnvelopeAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.Equal(code, (string?)body["code"]);
        Assert.False(string.IsNullOrEmpty((string?)body["message"]));
        return body;
    }

    [Fact]
    public async Task DocumentedFields_Returns201WithDocumentedShape_AndCallRunsToItsOutcome()
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        var to = Numbers.Next();
        var response = await PostAsync(Host.Client, campaignId, new JsonObject
        {
            ["to"] = to,
            ["payload"] = new JsonObject { ["customer_name"] = "John Doe", ["appointment_count"] = 3 },
            ["context"] = new JsonObject { ["crm_id"] = "lead-42", ["source"] = "website" },
            ["unknown_field"] = "ignored",
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        var call = body["campaign_call"]!.AsObject();
        var id = (string)call["id"]!;
        Assert.Equal(campaignId, (string?)call["campaign_id"]);
        Assert.Equal(to, (string?)call["to"]);
        Assert.Equal("queued", (string?)call["status"]);
        Assert.EndsWith("Z", (string)call["scheduled_at"]!);
        Assert.EndsWith("Z", (string)call["created_at"]!);
        Assert.Equal(campaignId, (string?)body["campaign"]!["id"]);
        Assert.Equal("draft", (string?)body["campaign"]!["status"]);
        Assert.False(string.IsNullOrEmpty((string?)body["campaign"]!["name"]));

        Assert.Equal(HttpStatusCode.OK, (await Host.Client.PostAsync($"/v1/campaigns/{campaignId}/activate", null)).StatusCode);
        var ended = await Host.WaitForCallAsync(id, c => (string?)c["status"] == "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(campaignId, (string?)ended["campaignId"]);
        Assert.Equal("lead-42", (string?)ended["metadata"]!["crm_id"]);
        Assert.Equal("website", (string?)ended["metadata"]!["source"]);
        Assert.Equal("John Doe", (string?)ended["variables"]!["customer_name"]);
        Assert.Equal("3", (string?)ended["variables"]!["appointment_count"]);
        Assert.False((bool)ended["isTest"]!);
    }

    [Fact]
    public async Task SameNumberTwice_Returns409WithExistingCall_UnlessDuplicatesAllowed()
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        var to = Numbers.Next();
        var first = await PostAsync(Host.Client, campaignId, new JsonObject { ["to"] = to });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var firstId = (string)(await first.JsonAsync())["campaign_call"]!["id"]!;

        var second = await PostAsync(Host.Client, campaignId, new JsonObject { ["to"] = to });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var conflict = await second.JsonAsync();
        Assert.False((bool)conflict["success"]!);
        Assert.Equal("A call to this number already exists in this campaign", (string?)conflict["message"]);
        var existing = conflict["existing_call"]!;
        Assert.Equal(firstId, (string?)existing["id"]);
        Assert.Equal(campaignId, (string?)existing["campaign_id"]);
        Assert.Equal(to, (string?)existing["to"]);
        Assert.Equal("queued", (string?)existing["status"]);
        Assert.EndsWith("Z", (string)existing["created_at"]!);

        var allowed = await PostAsync(Host.Client, campaignId, new JsonObject { ["to"] = to, ["allow_duplicates"] = true });
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.Equal(2, await CountCallsAsync(Host.Client, campaignId));
    }

    [Theory]
    [InlineData("{\"payload\":{\"a\":\"b\"}}", "The to field is required.")]
    [InlineData("{\"to\":\"\"}", "The to field is required.")]
    [InlineData("{\"to\":\"555-123-4567\"}", "The to must be a valid phone number.")]
    [InlineData("{\"to\":\"+1 555 123 4567\"}", "The to must be a valid phone number.")]
    public async Task InvalidTo_Returns422WithSeedMessage_AndStoresNothing(string json, string message)
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        var response = await PostAsync(Host.Client, campaignId, json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.Equal("The given data was invalid.", (string?)body["message"]);
        Assert.Equal(message, (string?)body["errors"]!["to"]![0]);
        Assert.Equal(0, await CountCallsAsync(Host.Client, campaignId));
    }

    [Fact]
    public async Task MalformedJsonOrWrongTypes_Returns422Envelope_NotProblemDetails()
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        var malformed = await PostAsync(Host.Client, campaignId, "{\"to\": ");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, malformed.StatusCode);
        Assert.Equal("application/json", malformed.Content.Headers.ContentType?.MediaType);
        var body = await malformed.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.Equal("The given data was invalid.", (string?)body["message"]);

        var types = await PostAsync(Host.Client, campaignId, $"{{\"to\":\"{Numbers.Next()}\",\"payload\":\"x\",\"context\":[1],\"is_testing\":\"maybe\"}}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, types.StatusCode);
        var errors = (await types.JsonAsync())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("payload"));
        Assert.True(errors.ContainsKey("context"));
        Assert.True(errors.ContainsKey("is_testing"));
        Assert.Equal(0, await CountCallsAsync(Host.Client, campaignId));
    }

    [Fact]
    public async Task UnknownOrOtherTenantsCampaign_Returns404CampaignNotFound()
    {
        await AssertEnvelopeAsync(await PostAsync(Host.Client, "cmp_doesnotexist", new JsonObject { ["to"] = Numbers.Next() }),
            HttpStatusCode.NotFound, "CAMPAIGN_NOT_FOUND");

        var (_, other) = await Host.NewTenantAsync();
        var theirs = await NewCampaignAsync(other);
        await AssertEnvelopeAsync(await PostAsync(Host.Client, theirs, new JsonObject { ["to"] = Numbers.Next() }),
            HttpStatusCode.NotFound, "CAMPAIGN_NOT_FOUND");
        Assert.Equal(0, await CountCallsAsync(other, theirs));
    }

    [Fact]
    public async Task MissingOrWrongKey_Returns401_DisabledApiAccess_Returns403()
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        var body = new JsonObject { ["to"] = Numbers.Next() };
        using var anonymous = Host.NewClient(null);
        await AssertEnvelopeAsync(await PostAsync(anonymous, campaignId, body), HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        using var wrong = Host.NewClient("od_live_wrongwrongwrongwrongwrongwrong00");
        await AssertEnvelopeAsync(await PostAsync(wrong, campaignId, body), HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        using var basic = Host.NewClient(null);
        basic.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", OutdialHost.BootstrapKey); // the key without "Bearer "
        await AssertEnvelopeAsync(await PostAsync(basic, campaignId, body), HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        Assert.Equal(0, await CountCallsAsync(Host.Client, campaignId));

        // A separate tenant, so that switching its API access off leaves the shared host's account alone.
        var (accountId, other) = await Host.NewTenantAsync();
        var theirs = await NewCampaignAsync(other);
        var store = Host.Services.GetRequiredService<IAccountStore>();
        var account = (await store.GetAccountAsync(accountId, CancellationToken.None))!;
        Assert.True(await store.UpdateAccountAsync(account with { ApiAccessEnabled = false }, CancellationToken.None));
        var forbidden = await AssertEnvelopeAsync(await PostAsync(other, theirs, body), HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.Equal("API access is disabled", (string?)forbidden["message"]);
        Assert.Equal(0, await CountCallsAsync(other, theirs));
    }

    [Fact]
    public async Task TestCall_IsMarkedTest_AndLeftOutOfCampaignStats()
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        var test = await PostAsync(Host.Client, campaignId, new JsonObject { ["to"] = Numbers.Next(), ["is_testing"] = true });
        Assert.Equal(HttpStatusCode.Created, test.StatusCode);
        var testId = (string)(await test.JsonAsync())["campaign_call"]!["id"]!;
        var real = await PostAsync(Host.Client, campaignId, new JsonObject { ["to"] = Numbers.Next() });
        Assert.Equal(HttpStatusCode.Created, real.StatusCode);

        var call = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{testId}"))!;
        Assert.True((bool)call["isTest"]!);
        var stats = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{campaignId}/stats"))!;
        Assert.Equal(1, (long)stats["contacts"]!);
        Assert.Equal(1, (long)stats["inProgress"]!);
    }

    [Fact]
    public async Task OverTheRateLimit_Returns429Envelope_AndStoresNothing()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Api:RateLimitPerMinute"] = "2" });
        var (accountId, client) = await host.NewTenantAsync(); // created in the store: no request spent
        var campaignId = await NewCampaignAsync(client); // the native API and the dialect share one budget per key
        var first = await PostAsync(client, campaignId, new JsonObject { ["to"] = Numbers.Next() });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var to = Numbers.Next();
        var limited = await PostAsync(client, campaignId, new JsonObject { ["to"] = to });
        await AssertEnvelopeAsync(limited, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        Assert.NotNull(limited.Headers.RetryAfter);
        // The key's budget is spent, so the count is read from the store rather than through the native API.
        var calls = await host.Services.GetRequiredService<ICallStore>()
            .ListCallsAsync(new CallQuery(accountId, 100, CampaignId: campaignId), CancellationToken.None);
        Assert.Single(calls);
        Assert.DoesNotContain(calls, c => c.To == to);
    }

    [Fact]
    public async Task NumberOnDnc_Returns422NumberOnDnc_AndStoresNothing()
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        var to = Numbers.Next("0000");
        Assert.Equal(HttpStatusCode.Created, (await Host.Client.PostAsJsonAsync("/v1/dnc", new { number = to, reason = "asked" })).StatusCode);
        var response = await PostAsync(Host.Client, campaignId, new JsonObject { ["to"] = to });
        await AssertEnvelopeAsync(response, HttpStatusCode.UnprocessableEntity, "NUMBER_ON_DNC");
        Assert.Equal(0, await CountCallsAsync(Host.Client, campaignId));
    }

    [Fact]
    public async Task CanceledCampaign_Returns422CampaignFinished_AndStoresNothing()
    {
        var campaignId = await NewCampaignAsync(Host.Client);
        Assert.True((await Host.Client.PostAsync($"/v1/campaigns/{campaignId}/cancel", null)).IsSuccessStatusCode);
        var response = await PostAsync(Host.Client, campaignId, new JsonObject { ["to"] = Numbers.Next() });
        await AssertEnvelopeAsync(response, HttpStatusCode.UnprocessableEntity, "CAMPAIGN_FINISHED");
        Assert.Equal(0, await CountCallsAsync(Host.Client, campaignId));
    }

    [Fact]
    public async Task SwitchedOff_PathAnswers404()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Dialects:Talkover:Enabled"] = "false" });
        var campaignId = await NewCampaignAsync(host.Client);
        var response = await PostAsync(host.Client, campaignId, new JsonObject { ["to"] = Numbers.Next() });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await CountCallsAsync(host.Client, campaignId));
    }

    [Fact]
    public async Task TheSeedNamesNoAgent_TheCampaignsAgentCalls_EvenOnAStrictAccount()
    {
        // Seed 001 has no agent reference ("each call inherits the campaign's configuration (agent, ...)"): a field such as
        // agent_id is not part of it and is ignored, so the account's rule for unknown references never applies here.
        var (_, client) = await Host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsJsonAsync("/v1/account", new JsonObject { ["strictAgentRefs"] = true })).StatusCode);
        var campaignId = await NewCampaignAsync(client);
        var response = await PostAsync(client, campaignId, new JsonObject { ["to"] = Numbers.Next(), ["agent_id"] = "no-such-agent" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (string)(await response.JsonAsync())["campaign_call"]!["id"]!;
        var call = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
        var campaign = (await client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{campaignId}"))!;
        Assert.Equal("campaign", (string?)call["agentSource"]);
        Assert.Equal((string?)campaign["agentId"], (string?)call["agentId"]);
        Assert.Null(call["agentRef"]);
    }
}
