using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>The operator's <c>/v1/admin/accounts</c> (issue 19), and that no account reaches another's objects.</summary>
public sealed class AdminAccountsTests
{
    private const string OperatorKey = "od_admin_operatoroperatoroperator01";

    private static Task<OutdialHost> StartAsync(ManualClock? clock = null) =>
        OutdialHost.StartAsync(new Dictionary<string, string>
        {
            ["Outdial:Admin:ApiKey"] = OperatorKey,
            // The replay test's webhook endpoint points at a closed loopback port: its deliveries fail and wait.
            ["Outdial:Webhooks:AllowedNetworks:0"] = "127.0.0.0/8",
        }, clock);

    private static async Task<(string AccountId, HttpClient Client)> CreateAccountAsync(OutdialHost host, string name)
    {
        using var admin = host.NewClient(OperatorKey);
        var response = await admin.PostAsJsonAsync("/v1/admin/accounts", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.JsonAsync();
        return ((string)created["account"]!["id"]!, host.NewClient((string)created["apiKey"]!["key"]!));
    }

    [Fact]
    public async Task Operator_CreatesAnAccount_WhoseFirstKeyPlacesCalls_WithItsOwnAgentAndCallerId()
    {
        await using var host = await StartAsync();
        using var admin = host.NewClient(OperatorKey);
        var response = await admin.PostAsJsonAsync("/v1/admin/accounts", new { name = "Acme Dental", callerId = "+15550000177", maxConcurrentCalls = 3 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.JsonAsync();
        var id = (string)created["account"]!["id"]!;
        Assert.Equal($"/v1/admin/accounts/{id}", response.Headers.Location!.ToString());
        Assert.Equal("Acme Dental", (string?)created["account"]!["name"]);
        Assert.Null(created["account"]!["disabledAt"]);
        var secret = (string)created["apiKey"]!["key"]!;
        Assert.StartsWith("od_live_", secret, StringComparison.Ordinal);

        using var client = host.NewClient(secret);
        var account = (await client.GetFromJsonAsync<JsonObject>("/v1/account"))!;
        Assert.Equal(id, (string?)account["id"]);
        Assert.Equal(3, (int)account["maxConcurrentCalls"]!);
        var agents = (await client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]!.AsArray();
        Assert.Equal((string?)created["agentId"], (string?)Assert.Single(agents)!["id"]);
        var numbers = (await client.GetFromJsonAsync<JsonObject>("/v1/phone-numbers"))!["data"]!.AsArray();
        Assert.Equal("+15550000177", (string?)Assert.Single(numbers)!["number"]);
        var call = await client.PostCallAsync(Calls.Body(Numbers.Next()));
        Assert.Equal(HttpStatusCode.Accepted, call.StatusCode);
        var ended = await host.WaitForSettledAsync((string)(await call.JsonAsync())["id"]!, client: client);
        Assert.Equal("+15550000177", (string?)ended["from"]);

        // Get, and the list in pages, newest first.
        Assert.Equal("Acme Dental", (string?)(await admin.GetFromJsonAsync<JsonObject>($"/v1/admin/accounts/{id}"))!["name"]);
        await CreateAccountAsync(host, "Second");
        var page = (await admin.GetFromJsonAsync<JsonObject>("/v1/admin/accounts?limit=2"))!;
        Assert.Equal(["Second", "Acme Dental"], page["data"]!.AsArray().Select(a => (string)a!["name"]!));
        var rest = (await admin.GetFromJsonAsync<JsonObject>($"/v1/admin/accounts?limit=2&cursor={page["nextCursor"]}"))!;
        Assert.Equal("Default account", (string?)Assert.Single(rest["data"]!.AsArray())!["name"]);
        Assert.Null(rest["nextCursor"]);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/admin/accounts/acc_nosuchaccount")).StatusCode);
    }

    [Fact]
    public async Task BadBody_Is422WithEveryProblem_UnknownField400_AndCreatesNothing()
    {
        await using var host = await StartAsync();
        using var admin = host.NewClient(OperatorKey);
        var response = await admin.PostAsJsonAsync("/v1/admin/accounts", new { name = "", callerId = "555-0100", maxConcurrentCalls = 0 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.JsonAsync())["errors"]!.AsObject();
        Assert.Equal(["callerId", "maxConcurrentCalls", "name"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        var unknownField = await admin.PostAsJsonAsync("/v1/admin/accounts", new { name = "x", plan = "gold" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Single((await admin.GetFromJsonAsync<JsonObject>("/v1/admin/accounts"))!["data"]!.AsArray());
    }

    [Fact]
    public async Task Keys_ServeOnlyTheirSide_OperatorKeyOnlyAdmin_ApiKeysNeverAdmin()
    {
        await using var host = await StartAsync();
        using var admin = host.NewClient(OperatorKey);
        var forbidden = await host.Client.GetAsync("/v1/admin/accounts");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("urn:outdial:problem:forbidden", (string?)(await forbidden.JsonAsync())["type"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Client.PostAsJsonAsync("/v1/admin/accounts", new { name = "x" })).StatusCode);
        var operatorOnCalls = await admin.GetAsync("/v1/calls");
        Assert.Equal(HttpStatusCode.Forbidden, operatorOnCalls.StatusCode);
        Assert.Contains("/v1/admin only", (string?)(await operatorOnCalls.JsonAsync())["detail"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostCallAsync(Calls.Body(Numbers.Next()))).StatusCode);
        using var anonymous = host.NewClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/admin/accounts")).StatusCode);
        using var wrong = host.NewClient("od_admin_notthekeynotthekeynotthekey");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/v1/admin/accounts")).StatusCode);
        // The operator key is no key of a seed dialect either.
        using var aicaller = new HttpRequestMessage(HttpMethod.Get, "/api/v1/phone-calls/x");
        aicaller.Headers.Add("aicaller-api-key", OperatorKey);
        Assert.False((await admin.SendAsync(aicaller)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task DisabledAccount_KeysAre401_CallsWaitUndialed_UntilEnabled()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(clock);
        using var admin = host.NewClient(OperatorKey);
        var (id, client) = await CreateAccountAsync(host, "Paused Co");
        var due = clock.GetUtcNow().AddMinutes(10);
        var call = await client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["notBefore"] = due.UtcDateTime.ToString("O")));
        var callId = (string)(await call.JsonAsync())["id"]!;

        var disabled = await admin.PostAsync($"/v1/admin/accounts/{id}/disable", null);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        var at = (DateTime)(await disabled.JsonAsync())["disabledAt"]!;
        var refused = await client.GetAsync("/v1/calls");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("disabled", (string?)(await refused.JsonAsync())["detail"], StringComparison.Ordinal);
        // Disabling again keeps the first time; other accounts are untouched.
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(at, (DateTime)(await (await admin.PostAsync($"/v1/admin/accounts/{id}/disable", null)).JsonAsync())["disabledAt"]!);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/v1/calls")).StatusCode);

        // Past its due time the call is claimed and handed back, never dialed.
        clock.Advance(TimeSpan.FromMinutes(11));
        for (var i = 0; i < 20; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        var store = host.Services.GetRequiredService<Core.Storage.ICallStore>();
        var waiting = await store.GetCallByIdAsync(callId, CancellationToken.None);
        Assert.Equal(0, waiting!.AttemptCount);
        Assert.True(waiting.Status is Core.Calls.CallStatus.Queued or Core.Calls.CallStatus.Scheduled, waiting.Status.ToString());

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/admin/accounts/{id}/enable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/calls")).StatusCode);
        var ended = await host.WaitForSettledAsync(callId, TimeSpan.FromSeconds(30), client, pump: () => clock.Advance(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(1, (int)ended["attemptCount"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/v1/admin/accounts/acc_nosuchaccount/disable", null)).StatusCode);
    }

    /// <summary>
    /// Every operation of the OpenAPI document that names an object in its path, sent with another account's key (as a
    /// bearer key and as the aicaller header) and the ids of this account's objects: none succeeds, and nothing of the
    /// owner's changes (each object still reads the same to its owner, who can read every one of them).
    /// </summary>
    [Fact]
    public async Task EveryObjectRequestOfTheOpenApiDocument_WithAnotherAccountsKey_Succeeds0Times()
    {
        await using var host = await StartAsync();
        var (_, owner) = await CreateAccountAsync(host, "Owner");
        // The aicaller dialect (seed 004) takes the key in its own header.
        owner.DefaultRequestHeaders.Add("aicaller-api-key", owner.DefaultRequestHeaders.Authorization!.Parameter!);
        var (_, intruder) = await CreateAccountAsync(host, "Intruder");
        var intruderKey = intruder.DefaultRequestHeaders.Authorization!.Parameter!;
        var ids = await OwnerObjectsAsync(owner);

        var doc = (await host.Client.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var operations = doc["paths"]!.AsObject()
            .Where(p => p.Key.Contains('{', StringComparison.Ordinal) && !p.Key.StartsWith("/v1/admin", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Where(m => m.Key is "get" or "post" or "put" or "patch" or "delete")
                .Select(m => (Method: m.Key, Template: p.Key)))
            .ToList();
        Assert.True(operations.Count >= 25, $"only {operations.Count} object operations in the document");

        var gets = operations.Where(o => o.Method == "get").Select(o => Fill(o.Template, ids)).ToList();
        var before = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in gets.Where(p => p.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            var read = await owner.GetAsync(path);
            // A call not yet analysed has no insights (404 whoever asks); its other reads prove the id is the owner's.
            if (path.Contains("/insights", StringComparison.Ordinal) && read.StatusCode == HttpStatusCode.NotFound)
            {
                continue;
            }
            Assert.True(read.IsSuccessStatusCode, $"the owner cannot read {path}: {(int)read.StatusCode}");
            // A webhook endpoint and its deliveries change on their own (the deliveries fail and are retried).
            if (!path.StartsWith("/v1/webhook-", StringComparison.Ordinal))
            {
                before[path] = await read.Content.ReadAsStringAsync();
            }
        }

        var successes = new List<string>();
        foreach (var (method, template) in operations)
        {
            var path = Fill(template, ids);
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
            request.Headers.Add("aicaller-api-key", intruderKey);
            if (method is "post" or "put" or "patch")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }
            var response = await intruder.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                successes.Add($"{method.ToUpperInvariant()} {path} → {(int)response.StatusCode}");
            }
            else if (method == "get" && path.StartsWith("/v1/", StringComparison.Ordinal))
            {
                // A read answers as if the object did not exist. (A write may be refused for its empty body first: 400/422.)
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET {path} → {(int)response.StatusCode}, not 404");
            }
        }
        Assert.Empty(successes);
        foreach (var (path, body) in before)
        {
            Assert.Equal(body, await owner.GetStringAsync(path));
        }
    }

    private static string Fill(string template, IReadOnlyDictionary<string, string> ids)
    {
        var segments = template.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].StartsWith('{'))
            {
                var name = segments[i].Trim('{', '}');
                // A parameter names the object of the collection before it (…/campaigns/{id}); importId names an import.
                var kind = name == "id" ? segments[i - 1] : name;
                segments[i] = Uri.EscapeDataString(ids.GetValueOrDefault(kind) ?? ids["calls"]);
            }
        }
        return string.Join('/', segments);
    }

    /// <summary>One object of every kind the native API addresses by id, owned by <paramref name="owner"/>; keyed by collection.</summary>
    private static async Task<Dictionary<string, string>> OwnerObjectsAsync(HttpClient owner)
    {
        async Task<JsonObject> Created(string path, HttpContent content)
        {
            var response = await owner.PostAsync(path, content);
            Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return await response.JsonAsync();
        }
        static JsonContent Json(object body) => JsonContent.Create(body);

        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        ids["webhook-endpoints"] = (string)(await Created("/v1/webhook-endpoints", Json(new { url = "http://127.0.0.1:9/hook" })))["id"]!;
        var call = await Created("/v1/calls", Json(Calls.Body(Numbers.Next(), b =>
        {
            b["notBefore"] = DateTime.UtcNow.AddDays(2).ToString("O");
            b["insightQuestions"] = new JsonArray("Is now a good time?");
        })));
        ids["calls"] = (string)call["id"]!;
        ids["phone-calls"] = ids["calls"];
        var campaign = await Created("/v1/campaigns", Json(new { name = "Owner's campaign" }));
        ids["campaigns"] = (string)campaign["id"]!;
        var import = await owner.PostAsync($"/v1/campaigns/{ids["campaigns"]}/contacts",
            new StringContent($"phone,firstName\n{Numbers.Next()},Ada\n", Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Accepted, import.StatusCode);
        ids["importId"] = import.Headers.Location!.ToString().Split('/')[^1];
        for (var i = 0; i < 400 && (string?)(await owner.GetFromJsonAsync<JsonObject>(import.Headers.Location))!["status"] == "running"; i++)
        {
            await Task.Delay(25);
        }
        ids["agents"] = (string)(await Created("/v1/agents", Json(new { key = "second", name = "Second", prompt = "Be brief." })))["id"]!;
        ids["phone-numbers"] = (string)(await Created("/v1/phone-numbers", Json(new { number = "+15550000188", provider = "sandbox" })))["id"]!;
        ids["api-keys"] = (string)(await Created("/v1/api-keys", Json(new { name = "second" })))["id"]!;
        ids["consents"] = (string)(await Created("/v1/consents", Json(new { number = "+15551240002", source = "web_form",
            obtainedAt = DateTime.UtcNow.AddDays(-1).ToString("O") })))["id"]!;
        var dnc = Numbers.Next();
        await Created("/v1/dnc", Json(new { number = dnc, reason = "asked" }));
        ids["dnc"] = dnc;
        ids["number"] = dnc;
        // A delivery: the accepted call's first event was queued for the endpoint.
        var deliveries = (await owner.GetFromJsonAsync<JsonObject>("/v1/webhook-deliveries"))!["data"]!.AsArray();
        ids["webhook-deliveries"] = (string)deliveries[0]!["id"]!;
        return ids;
    }
}
