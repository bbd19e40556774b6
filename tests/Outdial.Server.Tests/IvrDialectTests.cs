using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outdial.Server.Dialects.Ivr;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Seed 002 (IVR "Outbound Call Trigger", <c>/v2/call</c> and <c>/v2/callresult</c>) over real HTTP.</summary>
public sealed class IvrDialectTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    /// <summary>A fresh account with a tenant alias, a sandbox number labelled "200", and its API key.</summary>
    private sealed record Tenant(string AccountId, HttpClient Client, string Name, string Token, string LabelledNumber, string LabelledNumberId);

    private static async Task<Tenant> NewTenantAsync(OutdialHost host)
    {
        var (accountId, client) = await host.NewTenantAsync();
        var name = "tenant-" + Guid.NewGuid().ToString("N");
        var patch = await client.PatchAsJsonAsync("/v1/account", new JsonObject { ["aliases"] = new JsonObject { ["tenant"] = name } });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var number = Numbers.Next("0200");
        var created = await client.PostAsJsonAsync("/v1/phone-numbers",
            new JsonObject { ["number"] = number, ["label"] = "200", ["provider"] = "sandbox", ["callsPerSecond"] = 50 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)(await created.JsonAsync())["id"]!;
        return new Tenant(accountId, client, name, client.DefaultRequestHeaders.Authorization!.Parameter!, number, id);
    }

    /// <summary>The seed's example request, placeholders filled.</summary>
    private static JsonObject SeedExample(Tenant tenant, string destination, string conversationId = "conv-1") => new()
    {
        ["Project"] = "collections",
        ["ConversationId"] = conversationId,
        ["AccessToken"] = tenant.Token,
        ["ScenarioPath"] = "default",
        ["OrchestratorUrl"] = "https://orchestrator.example.com/api",
        ["Tenant"] = tenant.Name,
        ["EndUser"] = new JsonObject { ["Name"] = "John Doe", ["Phone"] = "5551234567", ["Email"] = "johndoe@example.com" },
        ["Locale"] = "en-US",
        ["ScenarioInputParameters"] = new JsonArray(
            new JsonObject { ["Name"] = "_DisplayNumber", ["Value"] = "200" },
            new JsonObject { ["Name"] = "_Destination", ["Value"] = destination },
            new JsonObject { ["Name"] = "invoice", ["Value"] = "INV-7" },
            new JsonObject { ["Name"] = "amount", ["Value"] = 42 }),
        ["SendResultImmediately"] = false,
    };

    private static Task<HttpResponseMessage> CallAsync(OutdialHost host, JsonObject body) =>
        host.NewClient(null).PostAsJsonAsync("/v2/call", body);

    /// <summary>The seed's <c>/v2/call</c> example body, copied verbatim (its <c>{{...}}</c> placeholders are filled by <see cref="Fill"/>).</summary>
    private const string SeedCallJson = """
        {
        "Project": "{{project_name}}",
        "ConversationId": "{{conversation_Id}}",
        "AccessToken": "{{token}}",
        "ScenarioPath": "{{scenario_path}}",
        "OrchestratorUrl": "{{orchestrator_url}}",
        "Tenant": "Default",
        "EndUser": {
        "Name": "John Doe",
        "Phone": "5xxxxxxxxx",
        "Email": "johndoe@xxx.com"
        },
        "Locale": "{{locale}}",
        "ScenarioInputParameters": [
        {
        "Name": "_DisplayNumber",
        "Value": "200"
        },
        {
        "Name": "_Destination",
        "Value": "{{DestinationNumber}}"
        },
        {
        "Name": "{{variable1}}",
        "Value": "{{value1}}"
        },
        {
        "Name": "{{variable2}}",
        "Value": "{{value2}"
        }
        ],
        "ResultDestination": "{{result_destination_address}}",
        "SendResultImmediately": false
        }
        """;

    /// <summary>The seed's <c>/v2/callresult</c> example body, copied verbatim: it carries no AccessToken.</summary>
    private const string SeedCallResultJson = """
        {
        "UniqueIds": [
        "{{Unique_Id}}"
        ]
        }
        """;

    /// <summary>Replaces each <c>{{name}}</c> placeholder (and the seed's unclosed <c>{{value2}</c>) with its value; fails on any left over.</summary>
    private static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        var text = template;
        foreach (var (name, value) in values)
        {
            var filled = text.Replace("{{" + name + "}}", value, StringComparison.Ordinal);
            filled = filled.Replace("{{" + name + "}", value, StringComparison.Ordinal);
            Assert.NotEqual(text, filled);
            text = filled;
        }
        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
        return text;
    }

    private static string SeedCallText(Tenant tenant, string destination, string conversationId) => Fill(SeedCallJson, new Dictionary<string, string>
    {
        ["project_name"] = "collections",
        ["conversation_Id"] = conversationId,
        ["token"] = tenant.Token,
        ["scenario_path"] = "default",
        ["orchestrator_url"] = "https://orchestrator.example.com/api",
        ["locale"] = "en-US",
        ["DestinationNumber"] = destination,
        ["variable1"] = "invoice",
        ["value1"] = "INV-7",
        ["variable2"] = "amount",
        ["value2"] = "42",
        ["result_destination_address"] = "https://93.184.215.14/results",
    });

    private static Task<HttpResponseMessage> PostRawAsync(OutdialHost host, string path, string json) =>
        host.NewClient(null).PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    private static Task<HttpResponseMessage> CallResultAsync(OutdialHost host, JsonObject body) =>
        host.NewClient(null).PostAsJsonAsync("/v2/callresult", body);

    private static async Task<JsonObject> ResultsAsync(OutdialHost host, Tenant tenant, params string[] ids)
    {
        var response = await host.NewClient(null).PostAsJsonAsync("/v2/callresult", new JsonObject
        {
            ["UniqueIds"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]),
            ["AccessToken"] = tenant.Token,
            ["Tenant"] = tenant.Name,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private static async Task<string> PlaceAsync(OutdialHost host, Tenant tenant, JsonObject body)
    {
        var response = await CallAsync(host, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.Single(json);
        return (string)json["UniqueId"]!;
    }

    private static async Task<int> CountCallsAsync(Tenant tenant) =>
        (await tenant.Client.GetFromJsonAsync<JsonObject>("/v1/calls?limit=100"))!["data"]!.AsArray().Count;

    private static async Task<JsonObject> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? field)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.False(string.IsNullOrEmpty((string?)body["Error"]));
        Assert.Equal(field, (string?)body["Field"]);
        return body;
    }

    [Fact]
    public async Task SeedExample_ReturnsUniqueId_CallRunsToItsOutcome_AndCallResultShowsAnswered()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var id = await PlaceAsync(Host, tenant, SeedExample(tenant, to, "conv-answered"));

        var ended = await Host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", client: tenant.Client);
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(to, (string?)ended["to"]);
        Assert.Equal(tenant.LabelledNumber, (string?)ended["from"]);
        Assert.Equal("John Doe", (string?)ended["contact"]!["name"]);
        Assert.Equal("johndoe@example.com", (string?)ended["contact"]!["email"]);
        Assert.Equal("INV-7", (string?)ended["variables"]!["invoice"]);
        Assert.Equal("42", (string?)ended["variables"]!["amount"]);
        var ivr = ended["metadata"]!["ivr"]!;
        Assert.Equal("collections", (string?)ivr["project"]);
        Assert.Equal("conv-answered", (string?)ivr["conversationId"]);
        Assert.Equal("https://orchestrator.example.com/api", (string?)ivr["orchestratorUrl"]);
        Assert.Equal("en-US", (string?)ivr["locale"]);

        var results = (await ResultsAsync(Host, tenant, id))["CallResults"]!.AsArray();
        var row = Assert.Single(results)!;
        Assert.Equal(id, (string?)row["UniqueId"]);
        Assert.Equal("conv-answered", (string?)row["CallRequestId"]);
        Assert.Equal("Answered", (string?)row["CallState"]);
    }

    [Fact]
    public async Task SeedExampleVerbatim_WithTenantDefault_ReturnsUniqueId_AndCallRunsToItsOutcome()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var response = await PostRawAsync(Host, "/v2/call", SeedCallText(tenant, to, "conv-seed"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(["UniqueId"], body.Select(p => p.Key));
        var id = (string)body["UniqueId"]!;
        Assert.False(string.IsNullOrEmpty(id));

        var ended = await Host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", client: tenant.Client);
        Assert.Equal("answered", (string?)ended["outcome"]);
        Assert.Equal(to, (string?)ended["to"]);
        Assert.Equal(tenant.LabelledNumber, (string?)ended["from"]);
        Assert.Equal("John Doe", (string?)ended["contact"]!["name"]);
        Assert.Equal("5xxxxxxxxx", (string?)ended["contact"]!["phone"]);
        Assert.Equal("johndoe@xxx.com", (string?)ended["contact"]!["email"]);
        Assert.Equal("INV-7", (string?)ended["variables"]!["invoice"]);
        Assert.Equal("42", (string?)ended["variables"]!["amount"]);
        var ivr = ended["metadata"]!["ivr"]!;
        Assert.Equal("Default", (string?)ivr["tenant"]);
        Assert.Equal("conv-seed", (string?)ivr["conversationId"]);
        Assert.Equal("https://93.184.215.14/results", (string?)ivr["resultDestination"]);
        Assert.False((bool)ivr["sendResultImmediately"]!);

        // The same tenant name answers /v2/callresult for this account.
        var results = await CallResultAsync(Host, new JsonObject
        {
            ["UniqueIds"] = new JsonArray(id), ["AccessToken"] = tenant.Token, ["Tenant"] = "Default",
        });
        Assert.Equal(HttpStatusCode.OK, results.StatusCode);
        var row = Assert.Single((await results.JsonAsync())["CallResults"]!.AsArray())!;
        Assert.Equal(["UniqueId", "CallRequestId", "CallState"], row.AsObject().Select(p => p.Key));
        Assert.Equal(id, (string?)row["UniqueId"]);
        Assert.Equal("conv-seed", (string?)row["CallRequestId"]);
        Assert.Equal("Answered", (string?)row["CallState"]);
    }

    [Fact]
    public async Task CallResultSeedExample_WithoutAccessToken_AnswersExactlyTheSeedsThreeFields_AndChangesNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var id = await PlaceAsync(Host, tenant, SeedExample(tenant, Numbers.Next("0001"), "conv-noauth"));
        var ended = await Host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", client: tenant.Client);
        // The id is the credential: 125 random bits after the prefix, never a time-ordered id.
        Assert.True(Core.Common.Ids.IsSecret(id, "call"), id);
        Assert.Equal("call_".Length + 35, id.Length);

        var response = await PostRawAsync(Host, "/v2/callresult", Fill(SeedCallResultJson, new Dictionary<string, string> { ["Unique_Id"] = id }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(["CallResults"], body.Select(p => p.Key));
        var row = Assert.Single(body["CallResults"]!.AsArray())!.AsObject();
        Assert.Equal(["UniqueId", "CallRequestId", "CallState"], row.Select(p => p.Key));
        Assert.Equal(id, (string?)row["UniqueId"]);
        Assert.Equal("conv-noauth", (string?)row["CallRequestId"]);
        Assert.Equal("Busy", (string?)row["CallState"]);
        Assert.Equal(1, await CountCallsAsync(tenant));
        var after = (await tenant.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
        Assert.True(JsonNode.DeepEquals(ended, after));
    }

    [Fact]
    public async Task CallResultWithoutAccessToken_AnswersOnlyIdsThisDialectIssued_OthersAreUnknown()
    {
        var tenant = await NewTenantAsync(Host);
        var ivrId = await PlaceAsync(Host, tenant, SeedExample(tenant, Numbers.Next(), "conv-mixed"));
        // A call of the same account placed through the native API has a time-ordered id and no IVR request: not answered.
        var native = await tenant.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = Numbers.Next(),
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.True(native.IsSuccessStatusCode, await native.Content.ReadAsStringAsync());
        var nativeId = (string)(await native.JsonAsync())["id"]!;
        var guessed = "call_" + new string('a', 35);

        var response = await CallResultAsync(Host, new JsonObject { ["UniqueIds"] = new JsonArray(nativeId, ivrId, guessed, "") });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = (await response.JsonAsync())["CallResults"]!.AsArray();
        Assert.Equal([nativeId, ivrId, guessed, ""], rows.Select(r => (string)r!["UniqueId"]!));
        Assert.Equal(["Unknown", "Unknown", "Unknown"], new[] { rows[0], rows[2], rows[3] }.Select(r => (string)r!["CallState"]!));
        Assert.All(new[] { rows[0], rows[2], rows[3] }, r => Assert.Equal("", (string?)r!["CallRequestId"]));
        Assert.Equal("conv-mixed", (string?)rows[1]!["CallRequestId"]);
        Assert.NotEqual("Unknown", (string?)rows[1]!["CallState"]);

        // With the account's key as a Bearer header instead, the request is scoped to the account: the native call is answered.
        var scoped = await tenant.Client.PostAsJsonAsync("/v2/callresult", new JsonObject { ["UniqueIds"] = new JsonArray(nativeId) });
        Assert.Equal(HttpStatusCode.OK, scoped.StatusCode);
        Assert.NotEqual("Unknown", (string?)(await scoped.JsonAsync())["CallResults"]![0]!["CallState"]);
        // Another account's key sees neither.
        var other = await NewTenantAsync(Host);
        var foreign = await other.Client.PostAsJsonAsync("/v2/callresult", new JsonObject { ["UniqueIds"] = new JsonArray(nativeId, ivrId) });
        Assert.Equal(["Unknown", "Unknown"], (await foreign.JsonAsync())["CallResults"]!.AsArray().Select(r => (string)r!["CallState"]!));
    }

    [Fact]
    public async Task CallResultWithoutAccessToken_IsLimitedPerClientAddress_429InTheErrorShape()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { [IvrDialect.AnonymousResultsPerMinuteSetting] = "2" });
        var tenant = await NewTenantAsync(host);
        var id = await PlaceAsync(host, tenant, SeedExample(tenant, Numbers.Next(), "conv-limit"));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await CallResultAsync(host, new JsonObject { ["UniqueIds"] = new JsonArray(id) })).StatusCode);
        }
        var limited = await CallResultAsync(host, new JsonObject { ["UniqueIds"] = new JsonArray(id) });
        var error = await AssertErrorAsync(limited, HttpStatusCode.TooManyRequests, null);
        Assert.Null(error["CallResults"]);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        // The token-carrying form spends the key's budget, not the address's.
        Assert.Single((await ResultsAsync(host, tenant, id))["CallResults"]!.AsArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("[]")]
    [InlineData("\"call_x\"")]
    [InlineData("[1]")]
    [InlineData("[\"call_x\", null]")]
    [InlineData("[{\"UniqueId\":\"call_x\"}]")]
    [InlineData("too-many")]
    public async Task CallResult_BadUniqueIds_Returns400UniqueIds_AndStoresNothing(string? uniqueIds)
    {
        var tenant = await NewTenantAsync(Host);
        var body = new JsonObject { ["AccessToken"] = tenant.Token, ["Tenant"] = tenant.Name };
        if (uniqueIds == "too-many")
        {
            body["UniqueIds"] = new JsonArray([.. Enumerable.Range(0, IvrDialect.MaxUniqueIds + 1).Select(i => (JsonNode)$"call_{i}")]);
        }
        else if (uniqueIds is not null)
        {
            body["UniqueIds"] = JsonNode.Parse(uniqueIds);
        }
        await AssertErrorAsync(await CallResultAsync(Host, body), HttpStatusCode.BadRequest, "UniqueIds");
        Assert.Equal(0, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task CallResult_MalformedBody_Returns400()
    {
        var tenant = await NewTenantAsync(Host);
        await AssertErrorAsync(await PostRawAsync(Host, "/v2/callresult", "{\"UniqueIds\":"), HttpStatusCode.BadRequest, null);
        await AssertErrorAsync(await PostRawAsync(Host, "/v2/callresult", "[\"call_x\"]"), HttpStatusCode.BadRequest, null);
        Assert.Equal(0, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task CallResult_OtherOrUnknownTenant_Returns403Tenant_AndRevealsNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var other = await NewTenantAsync(Host);
        var id = await PlaceAsync(Host, tenant, SeedExample(tenant, Numbers.Next(), "conv-403"));
        foreach (var name in new[] { other.Name, "no-such-tenant-" + Guid.NewGuid().ToString("N") })
        {
            var response = await CallResultAsync(Host, new JsonObject { ["UniqueIds"] = new JsonArray(id), ["AccessToken"] = tenant.Token, ["Tenant"] = name });
            var error = await AssertErrorAsync(response, HttpStatusCode.Forbidden, "Tenant");
            Assert.DoesNotContain(id, error.ToJsonString(), StringComparison.Ordinal);
        }
        Assert.Equal(1, await CountCallsAsync(tenant));
        Assert.Equal(0, await CountCallsAsync(other));
    }

    [Fact]
    public async Task ApiAccessDisabled_CallAndCallResult_Return403_AndStoreNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var id = await PlaceAsync(Host, tenant, SeedExample(tenant, Numbers.Next(), "conv-before"));
        var off = await tenant.Client.PatchAsJsonAsync("/v1/account", new JsonObject { ["apiAccessEnabled"] = false });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);

        var call = await AssertErrorAsync(await CallAsync(Host, SeedExample(tenant, Numbers.Next(), "conv-after")), HttpStatusCode.Forbidden, null);
        Assert.Equal("API access is disabled.", (string?)call["Error"]);
        var seedTenant = await PostRawAsync(Host, "/v2/call", SeedCallText(tenant, Numbers.Next(), "conv-after-default"));
        await AssertErrorAsync(seedTenant, HttpStatusCode.Forbidden, null);

        var withTenant = await CallResultAsync(Host, new JsonObject { ["UniqueIds"] = new JsonArray(id), ["AccessToken"] = tenant.Token, ["Tenant"] = tenant.Name });
        await AssertErrorAsync(withTenant, HttpStatusCode.Forbidden, null);
        var withoutTenant = await AssertErrorAsync(
            await CallResultAsync(Host, new JsonObject { ["UniqueIds"] = new JsonArray(id), ["AccessToken"] = tenant.Token }), HttpStatusCode.Forbidden, null);
        Assert.Equal("API access is disabled.", (string?)withoutTenant["Error"]);

        Assert.Equal(1, await CountCallsAsync(tenant)); // only the call placed before the switch
    }

    [Fact]
    public async Task CallResult_OverTheRateLimit_Returns429InTheErrorShape()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Api:RateLimitPerMinute"] = "3" });
        var tenant = await NewTenantAsync(host); // alias and phone number spend two of the key's three
        var ok = await CallResultAsync(host, new JsonObject { ["UniqueIds"] = new JsonArray("call_x"), ["AccessToken"] = tenant.Token });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var limited = await CallResultAsync(host, new JsonObject { ["UniqueIds"] = new JsonArray("call_x"), ["AccessToken"] = tenant.Token });
        var error = await AssertErrorAsync(limited, HttpStatusCode.TooManyRequests, null);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Null(error["CallResults"]);
        var calls = await host.Services.GetRequiredService<Core.Storage.ICallStore>()
            .ListCallsAsync(new Core.Storage.CallQuery(tenant.AccountId, 100), CancellationToken.None);
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData("0001", "busy", "Busy")]
    [InlineData("0002", "no_answer", "No Answer")]
    [InlineData("0003", "rejected", "Rejected")]
    [InlineData("0004", "invalid_number", "Invalid Number")]
    [InlineData("0005", "unreachable", "Temporarily Unavailable")]
    [InlineData("0007", "error", "Error")]
    public async Task Outcome_IsMappedToSeedState(string suffix, string outcome, string state)
    {
        var tenant = await NewTenantAsync(Host);
        var id = await PlaceAsync(Host, tenant, SeedExample(tenant, Numbers.Next(suffix), "conv-" + suffix));
        var ended = await Host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", client: tenant.Client);
        Assert.Equal(outcome, (string?)ended["outcome"]);
        var row = (await ResultsAsync(Host, tenant, id))["CallResults"]![0]!;
        Assert.Equal(state, (string?)row["CallState"]);
        Assert.Equal("conv-" + suffix, (string?)row["CallRequestId"]);
    }

    [Theory]
    [InlineData("Project")]
    [InlineData("Tenant")]
    [InlineData("ConversationId")]
    [InlineData("AccessToken")]
    [InlineData("ScenarioPath")]
    [InlineData("OrchestratorUrl")]
    [InlineData("ScenarioInputParameters")]
    [InlineData("_DisplayNumber")]
    [InlineData("_Destination")]
    public async Task MissingRequiredField_Returns400WithField_AndStoresNothing(string field)
    {
        var tenant = await NewTenantAsync(Host);
        var body = SeedExample(tenant, Numbers.Next());
        if (field.StartsWith('_'))
        {
            var parameters = body["ScenarioInputParameters"]!.AsArray();
            parameters.Remove(parameters.First(p => (string?)p!["Name"] == field));
        }
        else
        {
            body.Remove(field);
        }
        await AssertErrorAsync(await CallAsync(Host, body), HttpStatusCode.BadRequest, field);
        Assert.Equal(0, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task BadValues_Return400WithField_AndStoreNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var unknownCallerId = SeedExample(tenant, Numbers.Next());
        unknownCallerId["ScenarioInputParameters"]![0]!["Value"] = "999";
        await AssertErrorAsync(await CallAsync(Host, unknownCallerId), HttpStatusCode.BadRequest, "_DisplayNumber");

        var badDestination = SeedExample(tenant, "12ab");
        await AssertErrorAsync(await CallAsync(Host, badDestination), HttpStatusCode.BadRequest, "_Destination");

        // The default host's SSRF guard refuses loopback result destinations.
        var privateDestination = SeedExample(tenant, Numbers.Next());
        privateDestination["ResultDestination"] = "http://127.0.0.1:9/results";
        await AssertErrorAsync(await CallAsync(Host, privateDestination), HttpStatusCode.BadRequest, "ResultDestination");

        var malformed = await Host.NewClient(null).PostAsync("/v2/call", new StringContent("{\"Project\":", System.Text.Encoding.UTF8, "application/json"));
        await AssertErrorAsync(malformed, HttpStatusCode.BadRequest, null);
        Assert.Equal(0, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task PublicResultDestination_IsStoredWithTheCall()
    {
        var tenant = await NewTenantAsync(Host);
        var body = SeedExample(tenant, Numbers.Next());
        body["ResultDestination"] = "https://93.184.215.14/results";
        body["SendResultImmediately"] = true;
        var id = await PlaceAsync(Host, tenant, body);
        var call = (await tenant.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
        Assert.Equal("https://93.184.215.14/results", (string?)call["metadata"]!["ivr"]!["resultDestination"]);
        Assert.True((bool)call["metadata"]!["ivr"]!["sendResultImmediately"]!);
    }

    private static async Task<List<ReceivedWebhook>> WaitForRowsAsync(WebhookReceiver receiver, int rows, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (receiver.Accepted.Sum(p => p.Json["CallResults"]!.AsArray().Count) < rows && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        return [.. receiver.Accepted];
    }

    [Fact]
    public async Task SendResultImmediately_PostsTheResultRowToResultDestination_WhenTheCallEnds()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>(WebhookTests.Loopback)
        {
            [IvrDialect.ResultBatchIntervalSetting] = "3600", // would hold a batched row for up to an hour
        });
        var tenant = await NewTenantAsync(host);
        var body = SeedExample(tenant, Numbers.Next("0001"), "conv-now");
        body["ResultDestination"] = receiver.Url("/ivr-results");
        body["SendResultImmediately"] = true;
        var id = await PlaceAsync(host, tenant, body);

        var posts = await WaitForRowsAsync(receiver, 1, TimeSpan.FromSeconds(20));
        var post = Assert.Single(posts);
        Assert.Equal("/ivr-results", post.Path);
        var row = Assert.Single(post.Json["CallResults"]!.AsArray())!;
        Assert.Equal(id, (string?)row["UniqueId"]);
        Assert.Equal("conv-now", (string?)row["CallRequestId"]);
        Assert.Equal("Busy", (string?)row["CallState"]);
        // The push equals what /v2/callresult answers for the same id.
        var polled = Assert.Single((await ResultsAsync(host, tenant, id))["CallResults"]!.AsArray())!;
        Assert.True(JsonNode.DeepEquals(polled, row));
        // One final event, one delivery: the intermediate events (queued, dialing, ringing, ...) are not pushed.
        var log = (await tenant.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-deliveries?callId={id}"))!["data"]!.AsArray();
        var delivery = Assert.Single(log)!;
        Assert.Equal("succeeded", (string?)delivery["status"]);
        Assert.Equal(receiver.Url("/ivr-results"), (string?)delivery["url"]);
    }

    [Fact]
    public async Task BatchedResults_WaitForTheInterval_AndArriveTogetherInOnePost()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>(WebhookTests.Loopback)
        {
            [IvrDialect.ResultBatchIntervalSetting] = "4",
        });
        var tenant = await NewTenantAsync(host);
        var ids = new List<string>();
        foreach (var (suffix, conversation) in new[] { ("0000", "b-1"), ("0002", "b-2"), ("0003", "b-3") })
        {
            var body = SeedExample(tenant, Numbers.Next(suffix), conversation);
            body["ResultDestination"] = receiver.Url("/batch");
            ids.Add(await PlaceAsync(host, tenant, body)); // SendResultImmediately: false
        }
        foreach (var id in ids)
        {
            await host.WaitForCallAsync(id, c => (string?)c["status"] == "ended", client: tenant.Client);
        }
        var endedAt = DateTimeOffset.UtcNow;

        var posts = await WaitForRowsAsync(receiver, 3, TimeSpan.FromSeconds(20));
        var rows = posts.SelectMany(p => p.Json["CallResults"]!.AsArray()).ToList();
        Assert.Equal(ids.Order(), rows.Select(r => (string)r!["UniqueId"]!).Order());
        Assert.Equal(["Answered", "No Answer", "Rejected"], ids.Select(id => (string)rows.Single(r => (string)r!["UniqueId"]! == id)!["CallState"]!));
        // Three calls ending within a fraction of a second share a batch (at most two when they straddle a 4-second tick)...
        Assert.True(posts.Count <= 2, $"{posts.Count} posts for 3 batched results");
        // ...and nothing is posted before a tick: each post is at a multiple of 4 s of Unix time (plus the poll delay).
        foreach (var post in posts)
        {
            var ms = post.At.ToUnixTimeMilliseconds() % 4000;
            Assert.True(ms < 1500, $"posted {ms} ms after a batch tick");
        }
        Assert.True(posts.Max(p => p.At) >= endedAt.AddMilliseconds(-1500));
    }

    [Fact]
    public async Task ResultDestination_DownAtFirst_ResultIsRetried_NotLost()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failures = 2;
        receiver.Respond = _ => Interlocked.Decrement(ref failures) >= 0 ? 503 : 200;
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>(WebhookTests.Loopback)
        {
            ["Outdial:Webhooks:RetryDelaysSec:0"] = "1",
            ["Outdial:Webhooks:RetryDelaysSec:1"] = "1",
            ["Outdial:Webhooks:RetryDelaysSec:2"] = "1",
        });
        var tenant = await NewTenantAsync(host);
        var body = SeedExample(tenant, Numbers.Next("0000"), "conv-retry");
        body["ResultDestination"] = receiver.Url("/flaky");
        body["SendResultImmediately"] = true;
        var id = await PlaceAsync(host, tenant, body);

        var posts = await WaitForRowsAsync(receiver, 1, TimeSpan.FromSeconds(20));
        var row = Assert.Single(Assert.Single(posts).Json["CallResults"]!.AsArray())!;
        Assert.Equal(id, (string?)row["UniqueId"]);
        Assert.Equal(3, receiver.Received.Count); // two 503s, then the accepted post
    }

    [Fact]
    public async Task WrongAccessToken_Returns401_TenantMismatch_Returns403_AndStoreNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var other = await NewTenantAsync(Host);

        var wrongToken = SeedExample(tenant, Numbers.Next());
        wrongToken["AccessToken"] = "od_live_wrongwrongwrongwrongwrongwrong00";
        await AssertErrorAsync(await CallAsync(Host, wrongToken), HttpStatusCode.Unauthorized, "AccessToken");

        var othersTenant = SeedExample(tenant, Numbers.Next());
        othersTenant["Tenant"] = other.Name;
        await AssertErrorAsync(await CallAsync(Host, othersTenant), HttpStatusCode.Forbidden, "Tenant");

        var unknownTenant = SeedExample(tenant, Numbers.Next());
        unknownTenant["Tenant"] = "no-such-tenant-" + Guid.NewGuid().ToString("N");
        await AssertErrorAsync(await CallAsync(Host, unknownTenant), HttpStatusCode.Forbidden, "Tenant");

        Assert.Equal(0, await CountCallsAsync(tenant));
        Assert.Equal(0, await CountCallsAsync(other));

        var results = await Host.NewClient(null).PostAsJsonAsync("/v2/callresult", new JsonObject
        {
            ["UniqueIds"] = new JsonArray("call_x"),
            ["AccessToken"] = "od_live_wrongwrongwrongwrongwrongwrong00",
        });
        await AssertErrorAsync(results, HttpStatusCode.Unauthorized, "AccessToken");
    }

    [Theory]
    [InlineData("({0}) {1}-{2}")]
    [InlineData("0{0}{1}{2}")]
    [InlineData("001{0}{1}{2}")]
    [InlineData("{0}-{1}-{2}")]
    public async Task NationalDestination_IsNormalisedWithTheDefaultCallingCode(string format)
    {
        var tenant = await NewTenantAsync(Host);
        // A national number not starting with 0 (Numbers.Next's counter digits start with 0s).
        var e164 = "+19" + Numbers.Next()[3..];
        var national = e164[2..];
        var written = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, national[..3], national[3..6], national[6..]);
        var id = await PlaceAsync(Host, tenant, SeedExample(tenant, written));
        var call = (await tenant.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
        Assert.Equal(e164, (string?)call["to"]);
        Assert.Equal(written, (string?)call["metadata"]!["ivr"]!["destination"]);
    }

    [Fact]
    public async Task UnknownOrOtherAccountsUniqueId_IsReportedUnknown_NotDropped()
    {
        var tenant = await NewTenantAsync(Host);
        var other = await NewTenantAsync(Host);
        var mine = await PlaceAsync(Host, tenant, SeedExample(tenant, Numbers.Next(), "conv-mine"));
        var theirs = await PlaceAsync(Host, other, SeedExample(other, Numbers.Next(), "conv-theirs"));

        var rows = (await ResultsAsync(Host, tenant, "call_doesnotexist", theirs, mine))["CallResults"]!.AsArray();
        Assert.Equal(3, rows.Count);
        Assert.Equal("call_doesnotexist", (string?)rows[0]!["UniqueId"]);
        Assert.Equal("Unknown", (string?)rows[0]!["CallState"]);
        Assert.Equal("", (string?)rows[0]!["CallRequestId"]);
        Assert.Equal(theirs, (string?)rows[1]!["UniqueId"]);
        Assert.Equal("Unknown", (string?)rows[1]!["CallState"]);
        Assert.Equal("", (string?)rows[1]!["CallRequestId"]);
        Assert.Equal(mine, (string?)rows[2]!["UniqueId"]);
        Assert.Equal("conv-mine", (string?)rows[2]!["CallRequestId"]);
        Assert.Contains((string?)rows[2]!["CallState"], new[] { "Pending", "In Progress", "Answered" });
    }

    [Fact]
    public async Task SwitchedOff_PathsAnswer404()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Dialects:Ivr:Enabled"] = "false" });
        var tenant = await NewTenantAsync(host);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(host, SeedExample(tenant, Numbers.Next()))).StatusCode);
        var results = await host.NewClient(null).PostAsJsonAsync("/v2/callresult",
            new JsonObject { ["UniqueIds"] = new JsonArray("call_x"), ["AccessToken"] = tenant.Token });
        Assert.Equal(HttpStatusCode.NotFound, results.StatusCode);
        Assert.Equal(0, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task DestinationOnDnc_Returns422_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next("0000");
        Assert.Equal(HttpStatusCode.Created, (await tenant.Client.PostAsJsonAsync("/v1/dnc", new { number = to, reason = "asked" })).StatusCode);
        var response = await CallAsync(Host, SeedExample(tenant, to));
        await AssertErrorAsync(response, HttpStatusCode.UnprocessableEntity, "_Destination");
        Assert.Equal(0, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task SecondCallToAPendingDestination_Returns409WithItsUniqueId_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next("0000");
        var first = await tenant.Client.PostAsJsonAsync("/v1/calls", new JsonObject
        {
            ["to"] = to,
            ["notBefore"] = DateTime.UtcNow.AddDays(1).ToString("O"),
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var existing = (string)(await first.JsonAsync())["id"]!;
        var response = await CallAsync(Host, SeedExample(tenant, to));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var error = await response.JsonAsync();
        Assert.Equal(existing, (string?)error["UniqueId"]);
        Assert.Equal("_Destination", (string?)error["Field"]);
        Assert.False(string.IsNullOrEmpty((string?)error["Error"]));
        Assert.Equal(1, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task OverTheRateLimit_Returns429InTheErrorShape_AndStoresNothing()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Api:RateLimitPerMinute"] = "4" });
        var tenant = await NewTenantAsync(host); // alias and phone number spend two of the key's four
        await PlaceAsync(host, tenant, SeedExample(tenant, Numbers.Next()));
        await PlaceAsync(host, tenant, SeedExample(tenant, Numbers.Next()));
        var limited = await CallAsync(host, SeedExample(tenant, Numbers.Next()));
        await AssertErrorAsync(limited, HttpStatusCode.TooManyRequests, null);
        Assert.NotNull(limited.Headers.RetryAfter);
        var calls = await host.Services.GetRequiredService<Core.Storage.ICallStore>()
            .ListCallsAsync(new Core.Storage.CallQuery(tenant.AccountId, 100), CancellationToken.None);
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public async Task ScenarioPath_SeedsAddress_UnknownToTheAccount_FallsBackToTheDefaultAgent_AndIsRecorded()
    {
        var tenant = await NewTenantAsync(Host);
        var body = SeedExample(tenant, Numbers.Next(), "conv-renewals");
        body["ScenarioPath"] = "scenario/renewals";
        var id = await PlaceAsync(Host, tenant, body);

        var call = (await tenant.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
        var agents = (await tenant.Client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]!.AsArray();
        var defaultAgent = agents.Single(a => (bool)a!["isDefault"]!)!;
        Assert.Equal((string?)defaultAgent["id"], (string?)call["agentId"]);
        Assert.Equal("fallback", (string?)call["agentSource"]);
        Assert.Equal("scenario/renewals", (string?)call["agentRef"]);
    }

    [Fact]
    public async Task ScenarioPath_UnknownToAStrictAccount_Returns400ScenarioPath_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var strict = await tenant.Client.PatchAsJsonAsync("/v1/account", new JsonObject { ["strictAgentRefs"] = true });
        Assert.Equal(HttpStatusCode.OK, strict.StatusCode);
        var body = SeedExample(tenant, Numbers.Next(), "conv-strict");
        body["ScenarioPath"] = "scenario/renewals";

        var error = await AssertErrorAsync(await CallAsync(Host, body), HttpStatusCode.BadRequest, "ScenarioPath");
        Assert.Equal(["Error", "Field"], error.Select(p => p.Key));
        Assert.Equal(0, await CountCallsAsync(tenant));
    }

    [Fact]
    public async Task ScenarioPath_IsAnAgentsExternalReference_CallsThatAgent()
    {
        var tenant = await NewTenantAsync(Host);
        var created = await tenant.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["key"] = "renewals",
            ["name"] = "Renewals",
            ["prompt"] = "You call about policy renewals.",
            ["externalRefs"] = new JsonArray("scenario/renewals"),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agentId = (string)(await created.JsonAsync())["id"]!;
        var body = SeedExample(tenant, Numbers.Next(), "conv-ref");
        body["ScenarioPath"] = "scenario/renewals";
        var id = await PlaceAsync(Host, tenant, body);

        var call = (await tenant.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!;
        Assert.Equal(agentId, (string?)call["agentId"]);
        Assert.Equal("external_ref", (string?)call["agentSource"]);
        Assert.Equal("scenario/renewals", (string?)call["agentRef"]);
    }

    [Fact]
    public async Task SeedsPort_ConfiguredAsAnExtraEndpoint_ServesOnlyTheDialect()
    {
        var port = FreeLoopbackPort();
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { [IvrDialect.UrlsSetting] = $"http://127.0.0.1:{port}" });
        var tenant = await NewTenantAsync(host);
        using var ivrPort = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var placed = await ivrPort.PostAsync("/v2/call",
            new StringContent(SeedCallText(tenant, Numbers.Next(), "conv-port"), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, placed.StatusCode);
        var id = (string)(await placed.JsonAsync())["UniqueId"]!;
        var results = await ivrPort.PostAsJsonAsync("/v2/callresult", new JsonObject { ["UniqueIds"] = new JsonArray(id) });
        Assert.Equal(HttpStatusCode.OK, results.StatusCode);
        Assert.Equal("conv-port", (string?)(await results.JsonAsync())["CallResults"]![0]!["CallRequestId"]);

        // The native API is not served on the dialect's port, and stays on the main one.
        ivrPort.DefaultRequestHeaders.Authorization = tenant.Client.DefaultRequestHeaders.Authorization;
        Assert.Equal(HttpStatusCode.NotFound, (await ivrPort.GetAsync($"/v1/calls/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ivrPort.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Client.GetAsync($"/v1/calls/{id}")).StatusCode);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
