using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Seed 000 (Vodex "Trigger Call", <c>POST /api/v1/trigger-call</c>) over real HTTP.</summary>
public sealed class VodexDialectTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Path = "/api/v1/trigger-call";

    private OutdialHost Host => fixture.Host;

    /// <summary>A fresh tenant with a dburl alias and an agent whose key is its projectId; returns its raw key too.</summary>
    private Task<Tenant> NewTenantAsync() => NewTenantAsync(Host);

    private static async Task<Tenant> NewTenantAsync(OutdialHost host)
    {
        var (accountId, client) = await host.NewTenantAsync();
        var dburl = "db_" + Guid.NewGuid().ToString("N");
        var patched = await client.PatchAsJsonAsync("/v1/account", new JsonObject { ["aliases"] = new JsonObject { ["dburl"] = dburl } });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var projectId = "proj-" + Guid.NewGuid().ToString("N")[..8];
        var agent = await client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Vodex agent",
            ["key"] = projectId,
            ["prompt"] = "You are calling {firstName} {lastName} at {company}.",
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        return new Tenant(accountId, client, client.DefaultRequestHeaders.Authorization!.Parameter!, dburl, projectId);
    }

    private sealed record Tenant(string AccountId, HttpClient Client, string Key, string Dburl, string ProjectId);

    private static async Task<HttpResponseMessage> TriggerAsync(Tenant t, JsonObject body, string? authorization = null, string? dburl = null)
    {
        using var client = new HttpClient { BaseAddress = t.Client.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Authorization", authorization ?? t.Key);
        request.Headers.TryAddWithoutValidation("dburl", dburl ?? t.Dburl);
        return await client.SendAsync(request);
    }

    private static JsonObject Contact(string phone, string first = "John", string last = "Doe") =>
        new() { ["firstName"] = first, ["lastName"] = last, ["phone"] = phone };

    private static JsonObject Body(Tenant t, params JsonObject[] contacts) => new()
    {
        ["callList"] = new JsonArray(contacts),
        ["projectId"] = t.ProjectId,
        ["consentForCalls"] = true,
    };

    private static async Task<int> CountCallsAsync(Tenant t) =>
        (await t.Client.GetFromJsonAsync<JsonObject>("/v1/calls?limit=100"))!["data"]!.AsArray().Count;

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? contains = null)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.False(string.IsNullOrEmpty((string?)body["message"]));
        if (contains is not null)
        {
            Assert.Contains(contains, (string)body["message"]!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Basic_DocumentedFields_Returns200ShapeAndCallRunsToOutcome()
    {
        var t = await NewTenantAsync();
        var to = Numbers.Next();
        var response = await TriggerAsync(t, Body(t, Contact(to)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(["success", "message", "data"], body.Select(p => p.Key));
        Assert.True((bool)body["success"]!);
        Assert.Equal(1, (int)body["data"]!["callsTriggered"]!);
        Assert.Equal("basic", (string?)body["data"]!["callType"]);
        var callId = (string)body["data"]!["callIds"]!.AsArray().Single()!;

        var ended = await t.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}");
        Assert.Equal(to, (string?)ended!["to"]);
        ended = await Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended", client: t.Client);
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal("John", (string?)ended["contact"]!["firstName"]);
        Assert.Equal("Doe", (string?)ended["contact"]!["lastName"]);
        Assert.Equal("vodex_consentForCalls", (string?)ended["consent"]!["source"]);
        Assert.Null(ended["campaignId"]);
    }

    [Fact]
    public async Task DynamicFields_Campaign_Insights_AreDetectedAndStored()
    {
        var t = await NewTenantAsync();
        var to = Numbers.Next();
        var contact = Contact(to, "Jane", "Smith");
        contact["company"] = "Acme";
        contact["email"] = "jane@example.com";
        var request = Body(t, contact);
        request["campaignName"] = "Spring outreach";
        request["insights"] = new JsonArray("Is the customer interested?", "Best time to call back?");

        var response = await TriggerAsync(t, request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.JsonAsync())["data"]!;
        Assert.Equal("insights", (string?)data["callType"]);
        Assert.Equal(["dynamicFields", "campaign", "insights"], data["callTypes"]!.AsArray().Select(x => (string)x!));
        var callId = (string)data["callIds"]![0]!;

        var call = await Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended", client: t.Client);
        Assert.Equal("Acme", (string?)call["contact"]!["company"]);
        Assert.Equal("Acme", (string?)call["variables"]!["company"]);
        Assert.Equal("Jane", (string?)call["variables"]!["firstName"]);
        Assert.Equal(["Is the customer interested?", "Best time to call back?"],
            call["insightQuestions"]!.AsArray().Select(q => (string)q!["question"]!));
        var campaignId = (string)call["campaignId"]!;
        var campaign = await t.Client.GetFromJsonAsync<JsonObject>($"/v1/campaigns/{campaignId}");
        Assert.Equal("Spring outreach", (string?)campaign!["name"]);

        // The same campaignName again reuses the campaign.
        var again = await TriggerAsync(t, new JsonObject
        {
            ["callList"] = new JsonArray(Contact(Numbers.Next())), ["projectId"] = t.ProjectId, ["consentForCalls"] = true,
            ["campaignName"] = "Spring outreach",
        });
        Assert.True(again.StatusCode == HttpStatusCode.OK, await again.Content.ReadAsStringAsync());
        var second = await t.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)(await again.JsonAsync())["data"]!["callIds"]![0]!}");
        Assert.Equal(campaignId, (string?)second!["campaignId"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task ConsentNotTrue_Returns400AndStoresNothing(bool? consent)
    {
        var t = await NewTenantAsync();
        var body = Body(t, Contact(Numbers.Next()));
        body.Remove("consentForCalls");
        if (consent is { } c)
        {
            body["consentForCalls"] = c;
        }
        await AssertErrorAsync(await TriggerAsync(t, body), HttpStatusCode.BadRequest, "consentForCalls");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Fact]
    public async Task ConsentAsString_Returns400()
    {
        var t = await NewTenantAsync();
        var body = Body(t, Contact(Numbers.Next()));
        body["consentForCalls"] = "true";
        await AssertErrorAsync(await TriggerAsync(t, body), HttpStatusCode.BadRequest, "consentForCalls");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Fact]
    public async Task WrongOrForeignOrMissingDburl_Returns403AndStoresNothing()
    {
        var t = await NewTenantAsync();
        var other = await NewTenantAsync();
        await AssertErrorAsync(await TriggerAsync(t, Body(t, Contact(Numbers.Next())), dburl: "nope-" + Guid.NewGuid()), HttpStatusCode.Forbidden);
        await AssertErrorAsync(await TriggerAsync(t, Body(t, Contact(Numbers.Next())), dburl: other.Dburl), HttpStatusCode.Forbidden);
        await AssertErrorAsync(await TriggerAsync(t, Body(t, Contact(Numbers.Next())), dburl: " "), HttpStatusCode.Forbidden, "dburl");
        Assert.Equal(0, await CountCallsAsync(t));
        Assert.Equal(0, await CountCallsAsync(other));
    }

    [Theory]
    [InlineData("")]
    [InlineData("od_live_wrongwrongwrongwrongwrongwrong00")]
    [InlineData("Bearer od_live_wrongwrongwrongwrongwrongwrong00")]
    public async Task MissingOrWrongKey_Returns401(string authorization)
    {
        var t = await NewTenantAsync();
        using var client = new HttpClient { BaseAddress = t.Client.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(Body(t, Contact(Numbers.Next()))) };
        if (authorization.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        request.Headers.TryAddWithoutValidation("dburl", t.Dburl);
        await AssertErrorAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized, "Invalid API key");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Fact]
    public async Task RawKeyAndBearerKey_BothWork()
    {
        var t = await NewTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await TriggerAsync(t, Body(t, Contact(Numbers.Next())), authorization: t.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TriggerAsync(t, Body(t, Contact(Numbers.Next())), authorization: "Bearer " + t.Key)).StatusCode);
        Assert.Equal(2, await CountCallsAsync(t));
    }

    [Fact]
    public async Task UnknownProjectId_OnAStrictAccount_Returns400AndStoresNothing()
    {
        var t = await NewTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await t.Client.PatchAsJsonAsync("/v1/account", new JsonObject { ["strictAgentRefs"] = true })).StatusCode);
        var body = Body(t, Contact(Numbers.Next()));
        body["projectId"] = "no-such-project";
        await AssertErrorAsync(await TriggerAsync(t, body), HttpStatusCode.BadRequest, "projectId 'no-such-project'");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Fact]
    public async Task UnknownProjectId_OnADefaultAccount_FallsBackToTheDefaultAgent_AndRecordsTheReference()
    {
        var t = await NewTenantAsync();
        var body = Body(t, Contact(Numbers.Next()));
        body["projectId"] = "no-such-project";
        var response = await TriggerAsync(t, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var callId = (string)(await response.JsonAsync())["data"]!["callIds"]!.AsArray().Single()!;
        var call = (await t.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!;
        Assert.Equal("fallback", (string?)call["agentSource"]);
        Assert.Equal("no-such-project", (string?)call["agentRef"]);
        var agents = (await t.Client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]!.AsArray();
        Assert.Equal((string?)agents.Single(a => (bool)a!["isDefault"]!)!["id"], (string?)call["agentId"]);
    }

    [Fact]
    public async Task ProjectId_IsAnAgentsExternalReference_CallsThatAgent()
    {
        var t = await NewTenantAsync();
        var projectId = "66f1e2d3c4b5a69788" + Guid.NewGuid().ToString("N")[..6];
        var agent = await t.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Vodex project", ["prompt"] = "You are calling {firstName}.", ["externalRefs"] = new JsonArray(projectId),
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var body = Body(t, Contact(Numbers.Next()));
        body["projectId"] = projectId;
        var response = await TriggerAsync(t, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var callId = (string)(await response.JsonAsync())["data"]!["callIds"]!.AsArray().Single()!;
        var call = (await t.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!;
        Assert.Equal((string?)(await agent.JsonAsync())["id"], (string?)call["agentId"]);
        Assert.Equal("external_ref", (string?)call["agentSource"]);
        Assert.Equal(projectId, (string?)call["agentRef"]);
    }

    [Fact]
    public async Task MixedEntries_TriggersValidOnes_MessageNamesRefusedOnes()
    {
        var t = await NewTenantAsync();
        var good = Numbers.Next();
        var response = await TriggerAsync(t, Body(t, Contact(good), Contact("5551234567"), Contact(Numbers.Next()), new JsonObject { ["firstName"] = "NoPhone" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.True((bool)body["success"]!);
        var message = (string)body["message"]!;
        Assert.StartsWith("2 of 4 calls triggered", message, StringComparison.Ordinal);
        Assert.Contains("callList[1]: phone is not E.164", message, StringComparison.Ordinal);
        Assert.Contains("callList[3]: phone is required", message, StringComparison.Ordinal);
        Assert.Equal(2, (int)body["data"]!["callsTriggered"]!);
        Assert.Equal([1, 3], body["data"]!["errors"]!.AsArray().Select(e => (int)e!["index"]!));
        Assert.Equal(2, await CountCallsAsync(t));
    }

    [Fact]
    public async Task AllEntriesInvalid_Returns400WithData()
    {
        var t = await NewTenantAsync();
        var response = await TriggerAsync(t, Body(t, Contact("+1 555"), Contact("12")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.Equal(0, (int)body["data"]!["callsTriggered"]!);
        Assert.StartsWith("0 of 2 calls triggered", (string)body["message"]!, StringComparison.Ordinal);
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public async Task MalformedJson_Returns400(string raw)
    {
        var t = await NewTenantAsync();
        using var client = new HttpClient { BaseAddress = t.Client.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(raw, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", t.Key);
        request.Headers.TryAddWithoutValidation("dburl", t.Dburl);
        await AssertErrorAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, "Invalid JSON body");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Fact]
    public async Task ApiAccessDisabled_Returns403AndStoresNothing_NativeApiStillWorks()
    {
        var t = await NewTenantAsync();
        var off = await t.Client.PatchAsJsonAsync("/v1/account", new JsonObject { ["apiAccessEnabled"] = false });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        await AssertErrorAsync(await TriggerAsync(t, Body(t, Contact(Numbers.Next()))), HttpStatusCode.Forbidden, "API access is disabled");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Theory]
    [InlineData("absent")]
    [InlineData("[]")]
    [InlineData("\"+15551234567\"")]
    [InlineData("{\"phone\":\"+15551234567\"}")]
    public async Task MissingOrEmptyCallList_Returns400AndStoresNothing(string callList)
    {
        var t = await NewTenantAsync();
        var body = Body(t);
        body.Remove("callList");
        if (callList != "absent")
        {
            body["callList"] = JsonNode.Parse(callList);
        }
        await AssertErrorAsync(await TriggerAsync(t, body), HttpStatusCode.BadRequest, "callList is required");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Theory]
    [InlineData("absent")]
    [InlineData("\"\"")]
    [InlineData("\"  \"")]
    [InlineData("null")]
    [InlineData("{\"id\":\"x\"}")]
    public async Task MissingProjectId_Returns400AndStoresNothing(string projectId)
    {
        var t = await NewTenantAsync();
        var body = Body(t, Contact(Numbers.Next()));
        body.Remove("projectId");
        if (projectId != "absent")
        {
            body["projectId"] = JsonNode.Parse(projectId);
        }
        await AssertErrorAsync(await TriggerAsync(t, body), HttpStatusCode.BadRequest, "projectId is required");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("\"\"")]
    [InlineData("[\"Spring\"]")]
    [InlineData("{\"name\":\"Spring\"}")]
    public async Task CampaignNameNotANonEmptyString_Returns400AndStoresNothing(string campaignName)
    {
        var t = await NewTenantAsync();
        var body = Body(t, Contact(Numbers.Next()));
        body["campaignName"] = JsonNode.Parse(campaignName);
        await AssertErrorAsync(await TriggerAsync(t, body), HttpStatusCode.BadRequest, "campaignName must be a non-empty string");
        Assert.Equal(0, await CountCallsAsync(t));
        Assert.Empty((await t.Client.GetFromJsonAsync<JsonObject>("/v1/campaigns"))!["data"]!.AsArray());
    }

    [Theory]
    [InlineData("\"Is the customer interested?\"")]
    [InlineData("[\"Is the customer interested?\", 2]")]
    [InlineData("[{\"question\":\"Interested?\"}]")]
    [InlineData("{\"q\":\"Interested?\"}")]
    [InlineData("true")]
    public async Task InsightsNotAnArrayOfStrings_Returns400AndStoresNothing(string insights)
    {
        var t = await NewTenantAsync();
        var body = Body(t, Contact(Numbers.Next()));
        body["insights"] = JsonNode.Parse(insights);
        await AssertErrorAsync(await TriggerAsync(t, body), HttpStatusCode.BadRequest, "insights must be an array of question strings");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Fact]
    public async Task SwitchedOff_Returns404()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Dialects:Vodex:Enabled"] = "false" });
        var response = await host.Client.PostAsJsonAsync(Path, new JsonObject { ["callList"] = new JsonArray(), ["consentForCalls"] = true });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task OverTheRateLimit_Returns429InEnvelope_WithRetryAfter_AndStoresNothing()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Api:RateLimitPerMinute"] = "4" });
        var t = await NewTenantAsync(host); // two native requests (alias, agent) spend two of the key's four
        Assert.Equal(HttpStatusCode.OK, (await TriggerAsync(t, Body(t, Contact(Numbers.Next())))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TriggerAsync(t, Body(t, Contact(Numbers.Next())))).StatusCode);
        var to = Numbers.Next();
        var limited = await TriggerAsync(t, Body(t, Contact(to)));
        await AssertErrorAsync(limited, HttpStatusCode.TooManyRequests, "Rate limit exceeded");
        Assert.NotNull(limited.Headers.RetryAfter);
        var calls = host.Services.GetRequiredService<Core.Storage.ICallStore>();
        var page = await calls.ListCallsAsync(new Core.Storage.CallQuery(t.AccountId, 100), CancellationToken.None);
        Assert.Equal(2, page.Count);
        Assert.DoesNotContain(page, c => c.To == to);
    }

    [Fact]
    public async Task DncAndDuplicateEntries_AreRefusedOneByOne_OthersAreCalled()
    {
        var t = await NewTenantAsync();
        var onDnc = Numbers.Next("0000");
        Assert.Equal(HttpStatusCode.Created, (await t.Client.PostAsJsonAsync("/v1/dnc", new { number = onDnc, reason = "asked" })).StatusCode);
        var pending = Numbers.Next("0000");
        var first = await t.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = pending,
            ["notBefore"] = DateTime.UtcNow.AddDays(1).ToString("O"),
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var fine = Numbers.Next("0000");

        var response = await TriggerAsync(t, Body(t, Contact(onDnc), Contact(pending), Contact(fine)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.True((bool)body["success"]!);
        Assert.Equal(1, (int)body["data"]!["callsTriggered"]!);
        var message = (string)body["message"]!;
        Assert.Contains("1 of 3 calls triggered", message, StringComparison.Ordinal);
        Assert.Contains("callList[0]: ", message, StringComparison.Ordinal);
        Assert.Contains("do-not-call", message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("callList[1]: a call to this number is already pending", message, StringComparison.Ordinal);
        Assert.Equal(2, await CountCallsAsync(t)); // the earlier pending call and the one new call
    }

    [Fact]
    public async Task CampaignName_OfACanceledCampaign_RefusesEveryEntry_AndStoresNothing()
    {
        var t = await NewTenantAsync();
        var name = "closed-" + Guid.NewGuid().ToString("N")[..8];
        var created = await t.Client.PostAsJsonAsync("/v1/campaigns", new JsonObject { ["name"] = name });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var campaignId = (string)(await created.JsonAsync())["id"]!;
        Assert.True((await t.Client.PostAsync($"/v1/campaigns/{campaignId}/cancel", null)).IsSuccessStatusCode);

        var request = Body(t, Contact(Numbers.Next()), Contact(Numbers.Next()));
        request["campaignName"] = name;
        var response = await TriggerAsync(t, request);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "canceled");
        Assert.Equal(0, await CountCallsAsync(t));
    }

    [Fact]
    public async Task CampaignName_OfAPausedCampaign_AcceptsTheCalls_WhichWaitUntilItResumes()
    {
        var t = await NewTenantAsync();
        var name = "paused-" + Guid.NewGuid().ToString("N")[..8];
        var created = await t.Client.PostAsJsonAsync("/v1/campaigns", new JsonObject { ["name"] = name });
        var campaignId = (string)(await created.JsonAsync())["id"]!;
        Assert.True((await t.Client.PostAsync($"/v1/campaigns/{campaignId}/activate", null)).IsSuccessStatusCode);
        Assert.True((await t.Client.PostAsync($"/v1/campaigns/{campaignId}/pause", null)).IsSuccessStatusCode);

        var request = Body(t, Contact(Numbers.Next()));
        request["campaignName"] = name;
        var response = await TriggerAsync(t, request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var callId = (string)(await response.JsonAsync())["data"]!["callIds"]![0]!;
        await Task.Delay(500);
        var waiting = (await t.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}"))!;
        Assert.Equal(campaignId, (string?)waiting["campaignId"]);
        Assert.Contains((string?)waiting["status"], new[] { "scheduled", "queued" });

        Assert.True((await t.Client.PostAsync($"/v1/campaigns/{campaignId}/resume", null)).IsSuccessStatusCode);
        await Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended", client: t.Client);
    }
}
