using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>Webhooks end to end: real deliveries over loopback HTTP, signatures checked by the official npm package.</summary>
public sealed class WebhookTests
{
    /// <summary>Lets the outbound guard reach the loopback receivers of these tests (only this host's settings).</summary>
    public static readonly Dictionary<string, string> Loopback = new()
    {
        ["Outdial:Webhooks:AllowedNetworks:0"] = "127.0.0.0/8",
        ["Outdial:Webhooks:PollInterval"] = "00:00:00.050",
    };

    private static readonly string[] Lifecycle = ["call.queued", "call.dialing", "call.ringing", "call.ended"];

    internal static async Task<JsonObject> CreateEndpointAsync(HttpClient client, string url, params string[] events)
    {
        var body = new JsonObject { ["url"] = url, ["description"] = "test receiver" };
        if (events.Length > 0)
        {
            body["events"] = new JsonArray([.. events.Select(e => (JsonNode)e)]);
        }
        var response = await client.PostAsJsonAsync("/v1/webhook-endpoints", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.JsonAsync();
    }

    /// <summary>Polls until <paramref name="until"/> holds; fails after <paramref name="timeout"/> (20 s).</summary>
    internal static async Task WaitAsync(Func<bool> until, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!until())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    private static async Task<IReadOnlyList<string>> EventIdsAsync(HttpClient client, string callId) =>
        [.. (await client.GetFromJsonAsync<JsonObject>($"/v1/calls/{callId}/events"))!["data"]!.AsArray().Select(e => (string)e!["id"]!)];

    [Fact]
    public async Task Endpoints_Crud_SecretShownOnce_ValidationAndTenancy()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await OutdialHost.StartAsync(Loopback);
        var created = await CreateEndpointAsync(host.Client, receiver.Url(), "call.ended");
        var id = (string)created["id"]!;
        Assert.StartsWith("whsec_", (string)created["secret"]!);
        Assert.True((bool)created["enabled"]!);
        Assert.Equal(["call.ended"], created["events"]!.AsArray().Select(e => (string)e!));

        var fetched = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-endpoints/{id}"))!;
        Assert.Null(fetched["secret"]);
        Assert.Single((await host.Client.GetFromJsonAsync<JsonObject>("/v1/webhook-endpoints"))!["data"]!.AsArray());

        var patched = await (await host.Client.PatchAsync($"/v1/webhook-endpoints/{id}",
            JsonContent.Create(new JsonObject { ["events"] = null, ["enabled"] = false }))).JsonAsync();
        Assert.Null(patched["events"]);
        Assert.False((bool)patched["enabled"]!);
        Assert.Equal("disabled_by_account", (string?)patched["disabledReason"]);

        var bad = await host.Client.PostAsJsonAsync("/v1/webhook-endpoints", new { url = receiver.Url(), events = new[] { "call.exploded" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("call.exploded", (string)(await bad.JsonAsync())["errors"]!["events"]![0]!);
        var badCall = await host.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["webhooks"] = new JsonArray(
            new JsonObject { ["url"] = receiver.Url(), ["events"] = new JsonArray("call.exploded") })));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badCall.StatusCode);
        Assert.Contains("call.exploded", (string)(await badCall.JsonAsync())["errors"]!["webhooks[0].events"]![0]!);

        var (_, other) = await host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/webhook-endpoints/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/v1/webhook-endpoints/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/v1/webhook-endpoints/{id}/rotate-secret", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.DeleteAsync($"/v1/webhook-endpoints/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"/v1/webhook-endpoints/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://10.0.0.7/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://2130706433/hook")]
    [InlineData("ftp://example.com/hook")]
    public async Task OutboundUrls_ToPrivateAddresses_AreRefusedWithoutTheAllowList(string url)
    {
        await using var host = await OutdialHost.StartAsync();
        var endpoint = await host.Client.PostAsJsonAsync("/v1/webhook-endpoints", new { url });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, endpoint.StatusCode);
        Assert.NotNull((await endpoint.JsonAsync())["errors"]!["url"]);

        var call = await host.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["webhooks"] = new JsonArray(new JsonObject { ["url"] = url })));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, call.StatusCode);
        Assert.NotNull((await call.JsonAsync())["errors"]!["webhooks[0].url"]);
        Assert.Empty((await host.Client.GetFromJsonAsync<JsonObject>("/v1/calls"))!["data"]!.AsArray());
    }

    /// <summary>
    /// The acceptance test: every delivered signature — endpoint secret, per-call raw secret, account default secret, and
    /// both signatures during a rotation — is verified by the official <c>standardwebhooks</c> npm package.
    /// </summary>
    [Fact]
    public async Task DeliveredSignatures_VerifyWithTheOfficialNpmPackage_IncludingDuringRotation()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await OutdialHost.StartAsync(Loopback);
        var endpoint = await CreateEndpointAsync(host.Client, receiver.Url("/endpoint"));
        var oldSecret = (string)endpoint["secret"]!;
        const string rawSecret = "NjUyOTgwMjkpJU0NmY25yzWkJFWDBE12"; // the aicaller seed's example per-call secret

        var first = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next("0003"), b => b["webhooks"] = new JsonArray(
            new JsonObject { ["url"] = receiver.Url("/raw"), ["secret"] = rawSecret },
            new JsonObject { ["url"] = receiver.Url("/default"), ["events"] = new JsonArray("call.ended") })))).JsonAsync())["id"]!;
        await WaitAsync(() => receiver.Accepted.Count(r => r.Path == "/endpoint") == 4 && receiver.Accepted.Count(r => r.Path == "/raw") == 4
            && receiver.Accepted.Any(r => r.Path == "/default"), "the first call's webhooks");

        var rotated = await (await host.Client.PostAsync($"/v1/webhook-endpoints/{(string)endpoint["id"]!}/rotate-secret", null)).JsonAsync();
        var newSecret = (string)rotated["secret"]!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(2, (int)rotated["activeSecrets"]!);
        var second = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next("0003")))).JsonAsync())["id"]!;
        await WaitAsync(() => receiver.Accepted.Count(r => r.Path == "/endpoint") == 8, "the second call's webhooks");
        var accountSecret = (string)(await host.Client.GetFromJsonAsync<JsonObject>("/v1/account/webhook-secret"))!["data"]![0]!["secret"]!;

        var cases = new List<(NodeCase Case, bool Expected)>();
        NodeCase Case(ReceivedWebhook r, string secret, bool raw = false) =>
            new(secret, raw, r.Id, r.Headers["webhook-timestamp"], r.Headers["webhook-signature"], r.Body);
        foreach (var r in receiver.Accepted)
        {
            switch (r.Path)
            {
                case "/endpoint" when r.CallId == first:
                    Assert.Single(r.Headers["webhook-signature"].Split(' '));
                    cases.Add((Case(r, oldSecret), true));
                    cases.Add((Case(r, newSecret), false));
                    break;
                case "/endpoint":
                    Assert.Equal(2, r.Headers["webhook-signature"].Split(' ').Length);
                    cases.Add((Case(r, oldSecret), true));
                    cases.Add((Case(r, newSecret), true));
                    break;
                case "/raw":
                    cases.Add((Case(r, rawSecret, raw: true), true));
                    cases.Add((Case(r, rawSecret), false)); // a receiver that forgets format: "raw" must not verify
                    break;
                default:
                    cases.Add((Case(r, accountSecret), true));
                    cases.Add((Case(r, oldSecret), false));
                    break;
            }
            // A tampered body never verifies.
            cases.Add((Case(r, r.Path == "/raw" ? rawSecret : r.Path == "/default" ? accountSecret : oldSecret, r.Path == "/raw") with
            {
                Body = r.Body.Replace("\"call.", "\"xcall.", StringComparison.Ordinal),
            }, false));
        }
        var verdicts = await StandardWebhooksNode.VerifyAsync(cases.Select(c => c.Case));
        for (var i = 0; i < cases.Count; i++)
        {
            Assert.True(cases[i].Expected == verdicts[i].Ok, $"case {i} ({cases[i].Case.Id}): expected {cases[i].Expected}, npm said {verdicts[i]}");
        }

        // What arrived is exactly the calls' events, each with its id as webhook-id, in order per call.
        foreach (var call in new[] { first, second })
        {
            var events = await EventIdsAsync(host.Client, call);
            var arrived = receiver.Accepted.Where(r => r.Path == "/endpoint" && r.CallId == call).ToList();
            Assert.Equal(events, arrived.Select(r => r.Id));
            Assert.Equal(Lifecycle, arrived.Select(r => r.Type));
            Assert.Equal([1L, 2, 3, 4], arrived.Select(r => r.Sequence));
        }
        Assert.Equal("call.ended", receiver.Accepted.Single(r => r.Path == "/default").Type);
        Assert.Equal("rejected", (string?)receiver.Accepted.Single(r => r.Path == "/default").Json["data"]!["outcome"]);
    }

    [Fact]
    public async Task DeliveryLog_RedirectsFail_GoneDisables_RetryAfterIsHonoured_Redeliver()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = c => c.Request.Path.Value switch
        {
            "/redirect" => 302,
            "/gone" => 410,
            "/busy" => 503,
            _ => 204,
        };
        receiver.Decorate = c =>
        {
            if (c.Response.StatusCode == 302)
            {
                c.Response.Headers.Location = "/elsewhere";
            }
            if (c.Response.StatusCode == 503)
            {
                c.Response.Headers.RetryAfter = "7200";
            }
        };
        await using var host = await OutdialHost.StartAsync(Loopback);
        var redirect = await CreateEndpointAsync(host.Client, receiver.Url("/redirect"), "call.scheduled");
        var gone = await CreateEndpointAsync(host.Client, receiver.Url("/gone"), "call.scheduled");
        var busy = await CreateEndpointAsync(host.Client, receiver.Url("/busy"), "call.scheduled");
        var ok = await CreateEndpointAsync(host.Client, receiver.Url("/ok"), "call.scheduled");
        var callId = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["notBefore"] = "2030-01-01T00:00:00Z"))).JsonAsync())["id"]!;
        await WaitAsync(() => receiver.Received.Count(r => r.Path != "/ok") >= 3 && !receiver.Accepted.IsEmpty, "first attempts");

        async Task<JsonObject> DeliveryAsync(JsonObject endpoint)
        {
            var page = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-deliveries?endpointId={(string)endpoint["id"]!}&callId={callId}"))!;
            return (JsonObject)Assert.Single(page["data"]!.AsArray())!;
        }
        async Task<JsonObject> SettledAsync(JsonObject endpoint)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                var d = await DeliveryAsync(endpoint);
                if ((int)d["attemptCount"]! >= 1)
                {
                    return d;
                }
                Assert.True(DateTime.UtcNow < deadline, "attempt never recorded");
                await Task.Delay(20);
            }
        }

        var redirected = await SettledAsync(redirect);
        Assert.Equal("pending", (string?)redirected["status"]);
        Assert.Equal(302, (int)redirected["attempts"]![0]!["statusCode"]!);
        Assert.Equal("redirect not followed", (string?)redirected["attempts"]![0]!["error"]);
        Assert.DoesNotContain(receiver.Received, r => r.Path == "/elsewhere");

        var busyDelivery = await SettledAsync(busy);
        var attemptedAt = DateTimeOffset.Parse((string)busyDelivery["attempts"]![0]!["at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var nextAt = DateTimeOffset.Parse((string)busyDelivery["nextAttemptAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(nextAt - attemptedAt, TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1), TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));
        Assert.Equal("not now", (string?)busyDelivery["attempts"]![0]!["responseExcerpt"]);

        var goneDelivery = await SettledAsync(gone);
        Assert.Equal("failed", (string?)goneDelivery["status"]);
        var goneEndpoint = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-endpoints/{(string)gone["id"]!}"))!;
        Assert.False((bool)goneEndpoint["enabled"]!);
        Assert.Equal("gone", (string?)goneEndpoint["disabledReason"]);
        var refused = await host.Client.PostAsync($"/v1/webhook-deliveries/{(string)goneDelivery["id"]!}/redeliver", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("endpoint_disabled", (string?)(await refused.JsonAsync())["code"]);

        var okDelivery = await SettledAsync(ok);
        Assert.Equal("succeeded", (string?)okDelivery["status"]);
        Assert.Equal(204, (int)okDelivery["attempts"]![0]!["statusCode"]!);
        var full = (await host.Client.GetFromJsonAsync<JsonObject>($"/v1/webhook-deliveries/{(string)okDelivery["id"]!}"))!;
        Assert.Equal("call.scheduled", (string?)full["payload"]!["type"]);
        Assert.Equal(callId, (string?)full["payload"]!["data"]!["id"]);

        // Redeliver sends the same message (same webhook-id) again.
        var before = receiver.Accepted.Count;
        var redelivered = await host.Client.PostAsync($"/v1/webhook-deliveries/{(string)okDelivery["id"]!}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redelivered.StatusCode);
        await WaitAsync(() => receiver.Accepted.Count > before, "the redelivery");
        Assert.Equal(2, receiver.Accepted.Count(r => r.Path == "/ok"));
        Assert.Single(receiver.Accepted.Where(r => r.Path == "/ok").Select(r => r.Id).Distinct());

        var filtered = (await host.Client.GetFromJsonAsync<JsonObject>("/v1/webhook-deliveries?status=failed"))!["data"]!.AsArray();
        Assert.Equal((string?)goneDelivery["id"], (string?)Assert.Single(filtered)!["id"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Client.GetAsync("/v1/webhook-deliveries?status=lost")).StatusCode);
        var (_, other) = await host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/webhook-deliveries/{(string)okDelivery["id"]!}")).StatusCode);
        Assert.Empty((await other.GetFromJsonAsync<JsonObject>("/v1/webhook-deliveries"))!["data"]!.AsArray());
    }
}
