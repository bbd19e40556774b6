using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Storage;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Seed 003 (BuildVoiceAI "Trigger Call", <c>POST /api/v1/calls/trigger</c>) over real HTTP.</summary>
public sealed class BuildVoiceDialectTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Path = "/api/v1/calls/trigger";

    private OutdialHost Host => fixture.Host;

    private static Task<HttpResponseMessage> TriggerAsync(HttpClient client, JsonObject body) => client.PostAsJsonAsync(Path, body);

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.Equal(error, (string?)body["error"]);
    }

    private static async Task<int> CountCallsAsync(HttpClient client, string to) =>
        (await client.GetFromJsonAsync<JsonObject>($"/v1/calls?to={Uri.EscapeDataString(to)}"))!["data"]!.AsArray().Count;

    private async Task<string> CreateAgentAsync(Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["name"] = "BuildVoice " + Guid.NewGuid().ToString("N")[..8],
            ["prompt"] = "You are calling {name} ({email}).",
        };
        change?.Invoke(body);
        var response = await Host.Client.PostAsJsonAsync("/v1/agents", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.JsonAsync())["id"]!;
    }

    [Fact]
    public async Task Trigger_SeedExample_Returns200InitiatedAndCallRunsWithContactAndMetadata()
    {
        var agents = await Host.Client.GetFromJsonAsync<JsonObject>("/v1/agents");
        Assert.NotEmpty(agents!["data"]!.AsArray());
        var agentId = await CreateAgentAsync();
        var to = Numbers.Next();
        var response = await TriggerAsync(Host.Client, new JsonObject
        {
            ["phone_number"] = to,
            ["agent_id"] = agentId,
            ["name"] = "Jane Smith",
            ["email"] = "jane@example.com",
            ["metadata"] = new JsonObject { ["source"] = "hubspot", ["deal_id"] = "deal_12345" },
            ["unknown_field"] = 42,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(["success", "call_id", "status"], body.Select(p => p.Key));
        Assert.True((bool)body["success"]!);
        Assert.Equal("initiated", (string?)body["status"]);
        var callId = (string)body["call_id"]!;

        var ended = await OutdialHost.WaitForStatusAsync(Host, callId, "ended");
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(to, (string?)ended["to"]);
        Assert.Equal(agentId, (string?)ended["agentId"]);
        Assert.Equal("request", (string?)ended["agentSource"]);
        Assert.Equal("Jane Smith", (string?)ended["contact"]!["name"]);
        Assert.Equal("jane@example.com", (string?)ended["contact"]!["email"]);
        Assert.Equal("hubspot", (string?)ended["metadata"]!["source"]);
        Assert.Equal("deal_12345", (string?)ended["metadata"]!["deal_id"]);
        Assert.Equal("buildvoice_api", (string?)ended["consent"]!["source"]);
    }

    /// <summary>The seed's example request body, byte for byte (its number is a real E.164 number, not a placeholder).</summary>
    private const string SeedExampleJson = """
        {
        "phone_number": "+15551234567",
        "agent_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "name": "Jane Smith",
        "email": "jane@example.com",
        "metadata": {
        "source": "hubspot",
        "deal_id": "deal_12345"
        }
        }
        """;

    [Fact]
    public async Task Trigger_SeedExampleVerbatim_InAFreshTenant_Returns200DocumentedShape()
    {
        var (_, client) = await Host.NewTenantAsync();
        var created = await client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Seed agent",
            ["key"] = "a1b2c3d4-e5f6-7890-abcd-ef1234567890", // the seed's agent_id
            ["prompt"] = "You are calling {name} ({email}).",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agentId = (string)(await created.JsonAsync())["id"]!;

        var response = await client.PostAsync(Path, new StringContent(SeedExampleJson, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(["success", "call_id", "status"], body.Select(p => p.Key));
        Assert.True((bool)body["success"]!);
        Assert.Equal("initiated", (string?)body["status"]);
        var callId = (string)body["call_id"]!;
        Assert.False(string.IsNullOrEmpty(callId));

        var ended = await Host.WaitForCallAsync(callId, c => (string?)c["status"] == "ended", client: client);
        Assert.Equal("+15551234567", (string?)ended["to"]);
        Assert.Equal(agentId, (string?)ended["agentId"]);
        Assert.Equal("Jane Smith", (string?)ended["contact"]!["name"]);
        Assert.Equal("jane@example.com", (string?)ended["contact"]!["email"]);
        Assert.Equal("hubspot", (string?)ended["metadata"]!["source"]);
        Assert.Equal("deal_12345", (string?)ended["metadata"]!["deal_id"]);
        Assert.Equal(1, await CountCallsAsync(client, "+15551234567"));
    }

    [Fact]
    public async Task Trigger_WithoutAgentId_UsesAccountDefaultAgent()
    {
        var response = await TriggerAsync(Host.Client, new JsonObject { ["phone_number"] = Numbers.Next() });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)(await response.JsonAsync())["call_id"]!}");
        Assert.Equal("account_default", (string?)call!["agentSource"]);
    }

    [Theory]
    [InlineData("5551234567")]
    [InlineData("+1 555 123 4567")]
    [InlineData("+1-555-123-4567")]
    [InlineData("")]
    public async Task Trigger_WithNonE164Number_Returns400InvalidPhoneNumberFormatAndStoresNothing(string phone)
    {
        var response = await TriggerAsync(Host.Client, new JsonObject { ["phone_number"] = phone });
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "Invalid phone number format");
        if (phone.Length > 0)
        {
            Assert.Equal(0, await CountCallsAsync(Host.Client, phone));
        }
    }

    [Fact]
    public async Task Trigger_WithoutPhoneNumber_Returns400InvalidPhoneNumberFormat() =>
        await AssertErrorAsync(await TriggerAsync(Host.Client, new JsonObject { ["name"] = "Jane" }), HttpStatusCode.BadRequest, "Invalid phone number format");

    [Fact]
    public async Task Trigger_WithUnknownAgent_OnAStrictAccount_Returns400AgentNotFoundAndStoresNothing()
    {
        var (_, client) = await Host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsJsonAsync("/v1/account", new JsonObject { ["strictAgentRefs"] = true })).StatusCode);
        var to = Numbers.Next();
        var response = await TriggerAsync(client, new JsonObject { ["phone_number"] = to, ["agent_id"] = "a1b2c3d4-e5f6-7890-abcd-ef1234567890" });
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "Agent not found");
        Assert.Equal(0, await CountCallsAsync(client, to));
    }

    [Fact]
    public async Task Trigger_WithUnknownAgent_OnADefaultAccount_FallsBackToTheDefaultAgent_AndRecordsTheReference()
    {
        var (_, client) = await Host.NewTenantAsync();
        var to = Numbers.Next();
        var response = await TriggerAsync(client, new JsonObject { ["phone_number"] = to, ["agent_id"] = "a1b2c3d4-e5f6-7890-abcd-ef1234567890" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)(await response.JsonAsync())["call_id"]!}"))!;
        Assert.Equal("fallback", (string?)call["agentSource"]);
        Assert.Equal("a1b2c3d4-e5f6-7890-abcd-ef1234567890", (string?)call["agentRef"]);
        var agents = (await client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]!.AsArray();
        Assert.Equal((string?)agents.Single(a => (bool)a!["isDefault"]!)!["id"], (string?)call["agentId"]);
    }

    [Fact]
    public async Task Trigger_WithAnAgentsExternalReference_CallsThatAgent()
    {
        var reference = "a1b2c3d4-" + Guid.NewGuid().ToString("N")[..8];
        var agentId = await CreateAgentAsync(b => b["externalRefs"] = new JsonArray(reference));
        var to = Numbers.Next();
        var response = await TriggerAsync(Host.Client, new JsonObject { ["phone_number"] = to, ["agent_id"] = reference });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = (await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)(await response.JsonAsync())["call_id"]!}"))!;
        Assert.Equal(agentId, (string?)call["agentId"]);
        Assert.Equal("external_ref", (string?)call["agentSource"]);
    }

    [Fact]
    public async Task Trigger_AccountWithoutDefaultAgent_Returns400NoDefaultAgent()
    {
        // The native API never unsets the default agent; the row is reachable only through the store.
        var (accountId, client) = await Host.NewTenantAsync();
        var store = Host.Services.GetRequiredService<IAgentStore>();
        var agent = (await store.GetDefaultAgentAsync(accountId, CancellationToken.None))!;
        Assert.Equal(UpsertResult.Ok, await store.UpdateAgentAsync(agent with { IsDefault = false }, CancellationToken.None));
        Assert.Null(await store.GetDefaultAgentAsync(accountId, CancellationToken.None));

        var to = Numbers.Next();
        await AssertErrorAsync(await TriggerAsync(client, new JsonObject { ["phone_number"] = to }),
            HttpStatusCode.BadRequest, "No agent specified and no default agent configured");
        Assert.Equal(0, await CountCallsAsync(client, to));
    }

    [Fact]
    public async Task Trigger_AgentWithoutNumberInAccountWithoutNumbers_Returns400AgentHasNoPhoneNumber()
    {
        var (accountId, client) = await Host.NewTenantAsync();
        var store = Host.Services.GetRequiredService<IAgentStore>();
        var agent = (await store.GetDefaultAgentAsync(accountId, CancellationToken.None))!;
        Assert.Equal(UpsertResult.Ok, await store.UpdateAgentAsync(agent with { PhoneNumberId = null }, CancellationToken.None));
        foreach (var number in await store.ListPhoneNumbersAsync(accountId, CancellationToken.None))
        {
            Assert.True(await store.DeletePhoneNumberAsync(accountId, number.Id, CancellationToken.None));
        }

        var to = Numbers.Next();
        await AssertErrorAsync(await TriggerAsync(client, new JsonObject { ["phone_number"] = to, ["agent_id"] = agent.Id }),
            HttpStatusCode.BadRequest, "Agent has no phone number assigned");
        Assert.Equal(0, await CountCallsAsync(client, to));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer od_live_wrongwrongwrongwrongwrongwrong00")]
    [InlineData("Basic Zm9vOmJhcg==")]
    [InlineData("Bearer ")]
    public async Task Trigger_WithMissingOrWrongKey_Returns401InvalidApiKey(string? authorization)
    {
        var (_, tenant) = await Host.NewTenantAsync();
        using var client = Host.NewClient(null);
        var to = Numbers.Next();
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(new JsonObject { ["phone_number"] = to }) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        await AssertErrorAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized, "Invalid API key");
        Assert.Equal(0, await CountCallsAsync(Host.Client, to));
        Assert.Equal(0, await CountCallsAsync(tenant, to));

        // The tenant's own key in a non-Bearer scheme is refused too.
        var raw = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(new JsonObject { ["phone_number"] = to }) };
        raw.Headers.TryAddWithoutValidation("Authorization", tenant.DefaultRequestHeaders.Authorization!.Parameter!);
        await AssertErrorAsync(await client.SendAsync(raw), HttpStatusCode.Unauthorized, "Invalid API key");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Trigger_WithApiAccessDisabled_Returns403AndStoresNothing_NativeApiStillWorks()
    {
        var (accountId, client) = await Host.NewTenantAsync();
        var store = Host.Services.GetRequiredService<IAccountStore>();
        var account = (await store.GetAccountAsync(accountId, CancellationToken.None))!;
        Assert.True(await store.UpdateAccountAsync(account with { ApiAccessEnabled = false }, CancellationToken.None));
        Assert.False((await store.GetAccountAsync(accountId, CancellationToken.None))!.ApiAccessEnabled);

        var to = Numbers.Next();
        await AssertErrorAsync(await TriggerAsync(client, new JsonObject { ["phone_number"] = to }), HttpStatusCode.Forbidden, "API access is disabled");
        Assert.Equal(0, await CountCallsAsync(client, to));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public async Task Trigger_WithMalformedJson_Returns400InvalidJsonBody_AndStoresNothing(string raw)
    {
        var (_, client) = await Host.NewTenantAsync();
        var response = await client.PostAsync(Path, new StringContent(raw, Encoding.UTF8, "application/json"));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "Invalid JSON body");
        Assert.Empty((await client.GetFromJsonAsync<JsonObject>("/v1/calls?limit=100"))!["data"]!.AsArray());
    }

    [Fact]
    public async Task Trigger_OutsideWindow_RejectAgentRefusesInEnvelope_QueueAgentSchedules()
    {
        var day = DateTime.UtcNow.Date.AddDays(2);
        var window = new JsonObject
        {
            ["timeZone"] = "Etc/UTC",
            ["days"] = new JsonArray(day.DayOfWeek.ToString()[..3].ToLowerInvariant()),
            ["ranges"] = new JsonArray(new JsonObject { ["start"] = "09:00", ["end"] = "10:00" }),
        };
        var rejectAgent = await CreateAgentAsync(b => { b["callingWindow"] = window.DeepClone(); b["outsideWindow"] = "reject"; });
        var to = Numbers.Next();
        var refused = await TriggerAsync(Host.Client, new JsonObject { ["phone_number"] = to, ["agent_id"] = rejectAgent });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var error = await refused.JsonAsync();
        Assert.False((bool)error["success"]!);
        Assert.Contains("outside its calling window", (string)error["error"]!, StringComparison.Ordinal);
        Assert.Equal(0, await CountCallsAsync(Host.Client, to));

        var queueAgent = await CreateAgentAsync(b => { b["callingWindow"] = window.DeepClone(); b["outsideWindow"] = "queue"; });
        var accepted = await TriggerAsync(Host.Client, new JsonObject { ["phone_number"] = Numbers.Next(), ["agent_id"] = queueAgent });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var body = await accepted.JsonAsync();
        Assert.Equal("initiated", (string?)body["status"]);
        var call = await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)body["call_id"]!}");
        Assert.Equal("scheduled", (string?)call!["status"]);
        Assert.Equal("outside_window", (string?)call["decision"]!["reason"]);
    }

    [Fact]
    public async Task Trigger_MoreThan100RequestsInAMinute_Returns429InEnvelope()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var host = await OutdialHost.StartAsync(clock: clock);
        for (var i = 0; i < 100; i++)
        {
            var ok = await TriggerAsync(host.Client, new JsonObject { ["phone_number"] = "not-a-number" });
            Assert.Equal(HttpStatusCode.BadRequest, ok.StatusCode);
        }
        // The 101st request is a valid call: refused, and not stored.
        var to = Numbers.Next();
        var limited = await TriggerAsync(host.Client, new JsonObject { ["phone_number"] = to });
        await AssertErrorAsync(limited, HttpStatusCode.TooManyRequests, "Rate limit exceeded");
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(0, await CountCallsAsync(host.Client, to));

        clock.Advance(TimeSpan.FromMinutes(1));
        var again = await TriggerAsync(host.Client, new JsonObject { ["phone_number"] = "not-a-number" });
        await AssertErrorAsync(again, HttpStatusCode.BadRequest, "Invalid phone number format");
    }

    [Fact]
    public async Task Trigger_IsNotCountedByTheNativeRateLimiter_SoItsRefusalsStayInTheEnvelope()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Api:RateLimitPerMinute"] = "3" });
        for (var i = 0; i < 5; i++)
        {
            var response = await TriggerAsync(host.Client, new JsonObject { ["phone_number"] = "not-a-number" });
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "Invalid phone number format");
        }
    }

    [Fact]
    public async Task Trigger_WhenDialectSwitchedOff_Returns404()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Dialects:BuildVoice:Enabled"] = "false" });
        var response = await TriggerAsync(host.Client, new JsonObject { ["phone_number"] = Numbers.Next() });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Trigger_NumberOnDnc_Returns422InEnvelope_AndStoresNothing()
    {
        var to = Numbers.Next("0000");
        Assert.Equal(HttpStatusCode.Created, (await Host.Client.PostAsJsonAsync("/v1/dnc", new { number = to, reason = "asked" })).StatusCode);
        var response = await TriggerAsync(Host.Client, new JsonObject { ["phone_number"] = to });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.Contains("do-not-call", (string)body["error"]!, StringComparison.Ordinal);
        Assert.Equal(0, await CountCallsAsync(Host.Client, to));
    }

    [Fact]
    public async Task Trigger_SecondCallToAPendingNumber_Returns409WithTheExistingCall_AndStoresNothing()
    {
        var to = Numbers.Next("0000");
        var first = await Host.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = to,
            ["notBefore"] = DateTime.UtcNow.AddDays(1).ToString("O"),
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var existing = (string)(await first.JsonAsync())["id"]!;

        var response = await TriggerAsync(Host.Client, new JsonObject { ["phone_number"] = to });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False((bool)body["success"]!);
        Assert.Equal("A call to this number is already pending or in progress", (string?)body["error"]);
        Assert.Equal(existing, (string?)body["call_id"]);
        Assert.Equal(1, await CountCallsAsync(Host.Client, to));
    }
}
