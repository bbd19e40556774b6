using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Seed 004 (aicaller, <c>POST /v1/phoneCalls</c>, <c>GET /v1/phoneCalls/{id}</c>) over real HTTP.</summary>
public sealed class AicallerDialectTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Path = "/v1/phoneCalls";
    private const string TenantNumber = "+15550000200"; // OutdialHost.NewTenantAsync's caller ID

    private OutdialHost Host => fixture.Host;

    private sealed record Tenant(string AccountId, HttpClient Native, string Key, string TeamId);

    private static async Task<Tenant> NewTenantAsync(OutdialHost host)
    {
        var (accountId, native) = await host.NewTenantAsync();
        var key = native.DefaultRequestHeaders.Authorization!.Parameter!;
        var teamId = Guid.NewGuid().ToString("N")[..24];
        var patch = await native.PatchAsJsonAsync("/v1/account", new JsonObject { ["aliases"] = new JsonObject { ["teamId"] = teamId } });
        Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync());
        return new Tenant(accountId, native, key, teamId);
    }

    private static JsonObject SeedBody(Tenant tenant, string to) => new()
    {
        ["teamId"] = tenant.TeamId,
        ["callTemplateId"] = "default",
        ["nameOfHuman"] = "John",
        ["fromPhoneNumber"] = TenantNumber,
        ["toPhoneNumber"] = to,
        ["toEmailAddress"] = "someone@email.com",
        ["status"] = "queued",
        ["promptVariableValues"] = new JsonArray(new JsonObject { ["key"] = "customer_name", ["value"] = "John" }),
        ["record"] = false,
    };

    private static Task<HttpResponseMessage> SendAsync(OutdialHost host, HttpMethod method, string path, string? key, JsonObject? body = null)
    {
        var client = host.NewClient(null);
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        if (key is not null)
        {
            request.Headers.Add("aicaller-api-key", key);
        }
        return client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> PostAsync(OutdialHost host, Tenant tenant, JsonObject body) =>
        SendAsync(host, HttpMethod.Post, Path, tenant.Key, body);

    private static async Task<JsonObject> WaitForAicallerStatusAsync(OutdialHost host, Tenant tenant, string id, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var response = await SendAsync(host, HttpMethod.Get, $"{Path}/{id}", tenant.Key);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            last = (JsonObject)(await response.JsonAsync())["data"]!;
            if ((string?)last["status"] == status)
            {
                return last;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"phone call {id} never reached {status}; last: {last?.ToJsonString()}");
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? field = null)
    {
        Assert.Equal(status, response.StatusCode);
        var error = (JsonObject)(await response.JsonAsync())["error"]!;
        Assert.Equal(code, (string?)error["code"]);
        Assert.Equal((int)status, (int)error["statusCode"]!);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        if (field is not null)
        {
            Assert.NotNull(error["errors"]![field]);
        }
    }

    private static async Task<int> CountCallsAsync(Tenant tenant, string to) =>
        (await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls?to={Uri.EscapeDataString(to)}"))!["data"]!.AsArray().Count;

    private static async Task<int> CountAllCallsAsync(Tenant tenant) =>
        (await tenant.Native.GetFromJsonAsync<JsonObject>("/v1/calls?limit=100"))!["data"]!.AsArray().Count;

    /// <summary>A sandbox number of the tenant's, with a label (the vendor's own phoneNumberId can be set as one).</summary>
    private static async Task<(string Id, string Number)> NewNumberAsync(Tenant tenant, string label)
    {
        var number = Numbers.Next("0300");
        var created = await tenant.Native.PostAsJsonAsync("/v1/phone-numbers",
            new JsonObject { ["number"] = number, ["label"] = label, ["provider"] = "sandbox", ["callsPerSecond"] = 50 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return ((string)(await created.JsonAsync())["id"]!, number);
    }

    [Fact]
    public async Task Post_SeedExample_Returns200DataShape_AndCallRunsToCompleted()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var response = await PostAsync(Host, tenant, SeedBody(tenant, to));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (JsonObject)(await response.JsonAsync())["data"]!;
        Assert.Equal(tenant.TeamId, (string?)data["teamId"]);
        Assert.Equal("default", (string?)data["callTemplateId"]);
        Assert.Equal("John", (string?)data["nameOfHuman"]);
        Assert.Equal(TenantNumber, (string?)data["fromPhoneNumber"]);
        Assert.Equal(to, (string?)data["toPhoneNumber"]);
        Assert.Equal("someone@email.com", (string?)data["toEmailAddress"]);
        Assert.Contains((string?)data["status"], new[] { "queued", "ringing", "inProgress", "completed" });
        Assert.Equal("sandbox", (string?)data["telephonyProvider"]);
        Assert.Equal("customer_name", (string?)data["promptVariableValues"]![0]!["key"]);
        Assert.Equal("John", (string?)data["promptVariableValues"]![0]!["value"]);
        Assert.False((bool)data["record"]!);
        var id = (string)data["_id"]!;
        Assert.EndsWith("Z", (string)data["createdAt"]!);
        Assert.EndsWith("Z", (string)data["updatedAt"]!);

        var done = await WaitForAicallerStatusAsync(Host, tenant, id, "completed");
        Assert.Equal(id, (string?)done["_id"]);
        Assert.Equal(to, (string?)done["toPhoneNumber"]);

        var native = await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}");
        Assert.Equal("ended", (string?)native!["status"]);
        Assert.Equal("answered", (string?)native["outcome"]);
        Assert.Equal("John", (string?)native["contact"]!["name"]);
        Assert.Equal("someone@email.com", (string?)native["contact"]!["email"]);
        Assert.Equal("John", (string?)native["variables"]!["customer_name"]);
        Assert.Equal("aicaller_api", (string?)native["consent"]!["source"]);
    }

    [Fact]
    public async Task Post_BusyNumber_EndsAsBusy()
    {
        var tenant = await NewTenantAsync(Host);
        var response = await PostAsync(Host, tenant, SeedBody(tenant, Numbers.Next("0001")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (string)(await response.JsonAsync())["data"]!["_id"]!;
        await WaitForAicallerStatusAsync(Host, tenant, id, "busy");
        Assert.Equal("busy", (string?)(await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!["outcome"]);
    }

    [Fact]
    public async Task Post_CallDelayedUntil_SchedulesTheCall()
    {
        var tenant = await NewTenantAsync(Host);
        var body = SeedBody(tenant, Numbers.Next());
        var at = DateTimeOffset.UtcNow.AddDays(1);
        var delayed = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        body["callDelayedUntil"] = delayed;
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (JsonObject)(await response.JsonAsync())["data"]!;
        Assert.Equal("queued", (string?)data["status"]);
        Assert.Equal(delayed, (string?)data["callDelayedUntil"]);
        var native = await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)data["_id"]!}");
        Assert.Equal("scheduled", (string?)native!["status"]);
    }

    [Theory]
    [InlineData("teamId")]
    [InlineData("callTemplateId")]
    [InlineData("nameOfHuman")]
    [InlineData("toPhoneNumber")]
    [InlineData("promptVariableValues")]
    public async Task Post_MissingRequiredField_Returns400AndStoresNothing(string field)
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body.Remove(field);
        await AssertErrorAsync(await PostAsync(Host, tenant, body), HttpStatusCode.BadRequest, "validation_failed", field);
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Post_TeamIdOfAnotherAccount_Returns403AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var other = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["teamId"] = other.TeamId;
        await AssertErrorAsync(await PostAsync(Host, tenant, body), HttpStatusCode.Forbidden, "team_mismatch");
        body["teamId"] = "no-such-team";
        await AssertErrorAsync(await PostAsync(Host, tenant, body), HttpStatusCode.Forbidden, "team_mismatch");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Post_UnconfiguredTelephonyProvider_Returns400ClearError()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["telephonyProvider"] = "twilio";
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.JsonAsync())["error"]!;
        Assert.Equal("telephony provider 'twilio' is not configured", (string?)error["message"]);
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("od_live_wrongwrongwrongwrongwrongwrong00")]
    public async Task Post_MissingOrWrongKey_Returns401(string? key)
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        await AssertErrorAsync(await SendAsync(Host, HttpMethod.Post, Path, key, SeedBody(tenant, to)), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Get_AnotherAccountsCall_Returns404()
    {
        var tenant = await NewTenantAsync(Host);
        var other = await NewTenantAsync(Host);
        var response = await PostAsync(Host, tenant, SeedBody(tenant, Numbers.Next()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (string)(await response.JsonAsync())["data"]!["_id"]!;
        await AssertErrorAsync(await SendAsync(Host, HttpMethod.Get, $"{Path}/{id}", other.Key), HttpStatusCode.NotFound, "not_found");
        await AssertErrorAsync(await SendAsync(Host, HttpMethod.Get, $"{Path}/{id}", null), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task SwitchedOff_PathAnswers404()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Dialects:Aicaller:Enabled"] = "false" });
        var tenant = await NewTenantAsync(host);
        var to = Numbers.Next();
        var response = await PostAsync(host, tenant, SeedBody(tenant, to));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task PhoneCallWebhooks_DeliverTheSubscribedEvents_SignedWithThePerCallSecret_VerifiedByTheNpmPackage()
    {
        const string secret = "NjUyOTgwMjkpJU0NmY25yzWkJFWDBE12"; // the seed's example per-call secret
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>(WebhookTests.Loopback));
        var tenant = await NewTenantAsync(host);
        var body = SeedBody(tenant, Numbers.Next());
        body["phoneCallWebhooks"] = new JsonArray(new JsonObject { ["url"] = receiver.Url("/hook"), ["subscribedEvent"] = "completed", ["secret"] = secret });
        var response = await PostAsync(host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.JsonAsync())["data"]!;
        Assert.DoesNotContain(secret, data.ToJsonString(), StringComparison.Ordinal); // never echoed
        var id = (string)data["_id"]!;

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (receiver.Accepted.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var delivered = Assert.Single(receiver.Accepted); // "completed" subscribes to call.ended only
        Assert.Equal("call.ended", delivered.Type);
        Assert.Equal(id, delivered.CallId);
        var verdicts = await StandardWebhooksNode.VerifyAsync(
        [
            new NodeCase(secret, true, delivered.Id, delivered.Headers["webhook-timestamp"], delivered.Headers["webhook-signature"], delivered.Body),
            new NodeCase("wrong-secret", true, delivered.Id, delivered.Headers["webhook-timestamp"], delivered.Headers["webhook-signature"], delivered.Body),
        ]);
        Assert.True(verdicts[0].Ok, verdicts[0].Error);
        Assert.False(verdicts[1].Ok);
    }

    [Fact]
    public async Task Post_NumberOnDnc_Returns422_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next("0000");
        Assert.Equal(HttpStatusCode.Created, (await tenant.Native.PostAsJsonAsync("/v1/dnc", new { number = to, reason = "asked" })).StatusCode);
        var response = await PostAsync(Host, tenant, SeedBody(tenant, to));
        await AssertErrorAsync(response, HttpStatusCode.UnprocessableEntity, "number_on_dnc");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Post_SecondCallToAPendingNumber_Returns409_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next("0000");
        var later = SeedBody(tenant, to);
        later["callDelayedUntil"] = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(Host, tenant, later)).StatusCode);

        var response = await PostAsync(Host, tenant, SeedBody(tenant, to));
        await AssertErrorAsync(response, HttpStatusCode.Conflict, "duplicate_call");
        Assert.Equal(1, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Post_OverTheRateLimit_Returns429InTheErrorShape_AndStoresNothing()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Api:RateLimitPerMinute"] = "3" });
        var tenant = await NewTenantAsync(host); // the alias PATCH spends one of the key's three
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(host, tenant, SeedBody(tenant, Numbers.Next()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(host, tenant, SeedBody(tenant, Numbers.Next()))).StatusCode);
        var to = Numbers.Next();
        var limited = await PostAsync(host, tenant, SeedBody(tenant, to));
        await AssertErrorAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.NotNull(limited.Headers.RetryAfter);
        var calls = await host.Services.GetRequiredService<Core.Storage.ICallStore>()
            .ListCallsAsync(new Core.Storage.CallQuery(tenant.AccountId, 100), CancellationToken.None);
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public async Task Post_ApiAccessDisabled_Returns403Forbidden_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var id = (string)(await (await PostAsync(Host, tenant, SeedBody(tenant, Numbers.Next()))).JsonAsync())["data"]!["_id"]!;
        var off = await tenant.Native.PatchAsJsonAsync("/v1/account", new JsonObject { ["apiAccessEnabled"] = false });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);

        var to = Numbers.Next();
        await AssertErrorAsync(await PostAsync(Host, tenant, SeedBody(tenant, to)), HttpStatusCode.Forbidden, "forbidden");
        await AssertErrorAsync(await SendAsync(Host, HttpMethod.Get, $"{Path}/{id}", tenant.Key), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
        Assert.Equal(1, await CountAllCallsAsync(tenant));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("")]
    public async Task Post_MalformedJson_Returns400InvalidJson_AndStoresNothing(string raw)
    {
        var tenant = await NewTenantAsync(Host);
        using var client = Host.NewClient(null);
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(raw, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("aicaller-api-key", tenant.Key);
        await AssertErrorAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, "invalid_json");
        Assert.Equal(0, await CountAllCallsAsync(tenant));
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("Queued")]
    [InlineData("")]
    public async Task Post_StatusOutsideTheEnum_Returns400Status_AndStoresNothing(string status)
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["status"] = status;
        await AssertErrorAsync(await PostAsync(Host, tenant, body), HttpStatusCode.BadRequest, "validation_failed", "status");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Theory]
    [InlineData("2030-10-12T09:08:00.387+02:00")]
    [InlineData("2030-10-12T09:08:00.387")]
    [InlineData("2030-10-12 09:08:00Z")]
    [InlineData("2030-10-12")]
    [InlineData("tomorrow")]
    public async Task Post_CallDelayedUntilNotUtcIso_Returns400_AndStoresNothing(string delayed)
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["callDelayedUntil"] = delayed;
        await AssertErrorAsync(await PostAsync(Host, tenant, body), HttpStatusCode.BadRequest, "validation_failed", "callDelayedUntil");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Theory]
    [InlineData("phoneCall.exploded")]
    [InlineData("call.ended")]
    [InlineData("phoneCall.Completed")]
    public async Task Post_UnknownSubscribedEvent_Returns400_AndStoresNothing(string subscribedEvent)
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["phoneCallWebhooks"] = new JsonArray(new JsonObject
        {
            ["url"] = "https://hooks.abc.com/", ["subscribedEvent"] = subscribedEvent, ["secret"] = "NjUyOTgwMjkpJU0NmY25yzWkJFWDBE12",
        });
        await AssertErrorAsync(await PostAsync(Host, tenant, body), HttpStatusCode.BadRequest, "validation_failed", "phoneCallWebhooks[0].subscribedEvent");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Get_IdThatDoesNotExist_Returns404()
    {
        var tenant = await NewTenantAsync(Host);
        await AssertErrorAsync(await SendAsync(Host, HttpMethod.Get, $"{Path}/call_doesnotexist", tenant.Key), HttpStatusCode.NotFound, "not_found");
        await AssertErrorAsync(await SendAsync(Host, HttpMethod.Get, $"{Path}/12345678901234567890", tenant.Key), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Post_PhoneNumberIdAsLabel_ResolvesToThatNumber()
    {
        var tenant = await NewTenantAsync(Host);
        var (_, number) = await NewNumberAsync(tenant, "363573667364666473667332"); // the seed's example phoneNumberId
        var body = SeedBody(tenant, Numbers.Next());
        body.Remove("fromPhoneNumber");
        body["phoneNumberId"] = "363573667364666473667332";
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.JsonAsync())["data"]!;
        Assert.Equal("363573667364666473667332", (string?)data["phoneNumberId"]);
        Assert.Equal(number, (string?)data["fromPhoneNumber"]);
        var native = await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)data["_id"]!}");
        Assert.Equal(number, (string?)native!["from"]);
    }

    [Fact]
    public async Task Post_PhoneNumberIdAsOutdialId_ResolvesToThatNumber_OverFromPhoneNumber()
    {
        var tenant = await NewTenantAsync(Host);
        var (id, number) = await NewNumberAsync(tenant, "second line");
        var body = SeedBody(tenant, Numbers.Next()); // fromPhoneNumber: the tenant's other number
        body["phoneNumberId"] = id;
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var native = await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)(await response.JsonAsync())["data"]!["_id"]!}");
        Assert.Equal(number, (string?)native!["from"]);
    }

    [Fact]
    public async Task Post_UnknownPhoneNumberId_WithValidFromPhoneNumber_FallsBackToIt()
    {
        var tenant = await NewTenantAsync(Host);
        var body = SeedBody(tenant, Numbers.Next());
        body["phoneNumberId"] = "363573667364666473667332"; // not an id or label of this account
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.JsonAsync())["data"]!;
        Assert.Equal(TenantNumber, (string?)data["fromPhoneNumber"]);
        var native = await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)data["_id"]!}");
        Assert.Equal(TenantNumber, (string?)native!["from"]);
    }

    [Fact]
    public async Task Post_UnknownPhoneNumberId_WithoutFromPhoneNumber_Returns400NamingPhoneNumberId_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body.Remove("fromPhoneNumber");
        body["phoneNumberId"] = "363573667364666473667332";
        await AssertErrorAsync(await PostAsync(Host, tenant, body), HttpStatusCode.BadRequest, "validation_failed", "phoneNumberId");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Theory]
    [InlineData("363573667364666473667332")] // an unknown phoneNumberId: the fallback fromPhoneNumber is not the account's either
    [InlineData("")]
    [InlineData(null)]
    public async Task Post_FromPhoneNumberNotOfTheAccount_Returns400NamingFromPhoneNumber_AndStoresNothing(string? phoneNumberId)
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["fromPhoneNumber"] = "+1234567890"; // the seed's example number, not one of this account's
        if (phoneNumberId is not null)
        {
            body["phoneNumberId"] = phoneNumberId;
        }
        var response = await PostAsync(Host, tenant, body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed", "fromPhoneNumber");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Post_TelephonyProviderSandbox_WithASandboxNumber_Works()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["telephonyProvider"] = "sandbox";
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.JsonAsync())["data"]!;
        Assert.Equal("sandbox", (string?)data["telephonyProvider"]);
        Assert.Equal(TenantNumber, (string?)data["fromPhoneNumber"]);
        await WaitForAicallerStatusAsync(Host, tenant, (string)data["_id"]!, "completed");

        // Without any number field, the account's first number of that provider is used.
        var bare = SeedBody(tenant, Numbers.Next());
        bare.Remove("fromPhoneNumber");
        bare["telephonyProvider"] = "sandbox";
        var chosen = await PostAsync(Host, tenant, bare);
        Assert.Equal(HttpStatusCode.OK, chosen.StatusCode);
        Assert.Equal(TenantNumber, (string?)(await chosen.JsonAsync())["data"]!["fromPhoneNumber"]);
    }

    [Fact]
    public async Task Post_TelephonyProviderNotTheNumbersProvider_Returns400Mismatch_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        // A number of another provider, written straight to the store: the native API accepts only configured providers,
        // and only "sandbox" is configured here.
        var now = DateTimeOffset.UtcNow;
        var other = new Core.PhoneNumbers.PhoneNumber
        {
            Id = Core.Common.Ids.New("pn", now), AccountId = tenant.AccountId, Number = Numbers.Next("0400"), Label = "plivo line",
            Provider = "plivo", CallsPerSecond = 1, CreatedAt = now, UpdatedAt = now,
        };
        Assert.Equal(Core.Storage.UpsertResult.Ok,
            await Host.Services.GetRequiredService<Core.Storage.IAgentStore>().CreatePhoneNumberAsync(other, CancellationToken.None));

        foreach (var (reference, useFrom) in new[] { (other.Id, false), ("plivo line", false), (other.Number, true) })
        {
            var to = Numbers.Next();
            var body = SeedBody(tenant, to);
            body.Remove("fromPhoneNumber");
            body[useFrom ? "fromPhoneNumber" : "phoneNumberId"] = reference;
            body["telephonyProvider"] = "sandbox";
            var response = await PostAsync(Host, tenant, body);
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "telephony_provider_mismatch", "telephonyProvider");
            Assert.Equal(0, await CountCallsAsync(tenant, to));
        }
    }

    [Fact]
    public async Task Post_TelephonyProviderOfTheSeedExample_IsMismatchedOrUnconfigured_AndStoresNothing()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to); // fromPhoneNumber: a sandbox number
        body["telephonyProvider"] = "twilio";
        var response = await PostAsync(Host, tenant, body);
        var configured = Host.Services.GetRequiredService<Core.Telephony.TelephonyProviders>().Find("twilio") is not null;
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, configured ? "telephony_provider_mismatch" : "telephony_provider_not_configured", "telephonyProvider");
        Assert.Equal(0, await CountCallsAsync(tenant, to));
    }

    [Fact]
    public async Task Post_UnknownCallTemplateId_FollowsTheAccountsRule_FallbackByDefault_400WhenStrict()
    {
        var tenant = await NewTenantAsync(Host);
        var to = Numbers.Next();
        var body = SeedBody(tenant, to);
        body["callTemplateId"] = "6650aa11bb22cc33dd44ee55";
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (JsonObject)(await response.JsonAsync())["data"]!;
        Assert.Equal("6650aa11bb22cc33dd44ee55", (string?)data["callTemplateId"]);
        var call = (await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)data["_id"]!}"))!;
        Assert.Equal("fallback", (string?)call["agentSource"]);
        Assert.Equal("6650aa11bb22cc33dd44ee55", (string?)call["agentRef"]);

        Assert.Equal(HttpStatusCode.OK, (await tenant.Native.PatchAsJsonAsync("/v1/account", new JsonObject { ["strictAgentRefs"] = true })).StatusCode);
        var strictTo = Numbers.Next();
        var strict = SeedBody(tenant, strictTo);
        strict["callTemplateId"] = "6650aa11bb22cc33dd44ee55";
        await AssertErrorAsync(await PostAsync(Host, tenant, strict), HttpStatusCode.BadRequest, "validation_failed", "callTemplateId");
        Assert.Equal(0, await CountCallsAsync(tenant, strictTo));
    }

    [Fact]
    public async Task Post_CallTemplateIdIsAnAgentsExternalReference_CallsThatAgent()
    {
        var tenant = await NewTenantAsync(Host);
        var agent = await tenant.Native.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Template", ["prompt"] = "Hello {customer_name}.", ["externalRefs"] = new JsonArray("6650aa11bb22cc33dd44ee66"),
        });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        var body = SeedBody(tenant, Numbers.Next());
        body["callTemplateId"] = "6650aa11bb22cc33dd44ee66";
        var response = await PostAsync(Host, tenant, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (JsonObject)(await response.JsonAsync())["data"]!;
        var call = (await tenant.Native.GetFromJsonAsync<JsonObject>($"/v1/calls/{(string)data["_id"]!}"))!;
        Assert.Equal((string?)(await agent.JsonAsync())["id"], (string?)call["agentId"]);
        Assert.Equal("external_ref", (string?)call["agentSource"]);
    }
}
