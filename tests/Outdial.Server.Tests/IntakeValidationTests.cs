using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

public sealed class IntakeValidationTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { "to-missing", "to" },
        { "to-no-plus", "to" },
        { "to-spaces", "to" },
        { "to-too-short", "to" },
        { "to-too-long", "to" },
        { "metadata-too-big", "metadata" },
        { "notBefore-no-offset", "notBefore" },
        { "expiresAt-past", "expiresAt" },
        { "expiresAt-before-notBefore", "expiresAt" },
        { "ringTimeout-low", "ringTimeoutSec" },
        { "maxDuration-high", "maxDurationSec" },
        { "maxAttempts-high", "maxAttempts" },
        { "cooldown-unknown-outcome", "retryCooldownSec.answered" },
        { "consent-missing", "consent" },
        { "consent-not-obtained", "consent.obtained" },
        { "consent-no-source", "consent.source" },
        { "from-unknown", "from" },
        { "agent-unknown", "agentId" },
        { "variable-object", "variables.x" },
        { "insight-questions-too-many", "insightQuestions" },
        { "insight-question-blank", "insightQuestions[1].question" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Trigger_WithInvalidField_Returns422NamingItAndStoresNothing(string scenario, string field)
    {
        var to = Numbers.Next();
        var body = Calls.Body(to);
        switch (scenario)
        {
            case "to-missing": body.Remove("to"); break;
            case "to-no-plus": body["to"] = to[1..]; break;
            case "to-spaces": body["to"] = "+1 555 123 4567"; break;
            case "to-too-short": body["to"] = "+1234567"; break;
            case "to-too-long": body["to"] = "+1234567890123456"; break;
            case "metadata-too-big": body["metadata"] = new JsonObject { ["blob"] = new string('x', 17 * 1024) }; break;
            case "notBefore-no-offset": body["notBefore"] = "2026-12-01T10:00:00"; break;
            case "expiresAt-past": body["expiresAt"] = "2020-01-01T00:00:00Z"; break;
            case "expiresAt-before-notBefore":
                body["notBefore"] = DateTime.UtcNow.AddHours(2).ToString("O");
                body["expiresAt"] = DateTime.UtcNow.AddHours(1).ToString("O");
                break;
            case "ringTimeout-low": body["ringTimeoutSec"] = 2; break;
            case "maxDuration-high": body["maxDurationSec"] = 99999; break;
            case "maxAttempts-high": body["maxAttempts"] = 11; break;
            case "cooldown-unknown-outcome": body["retryCooldownSec"] = new JsonObject { ["answered"] = 10 }; break;
            case "consent-missing": body.Remove("consent"); break;
            case "insight-questions-too-many": body["insightQuestions"] = new JsonArray([.. Enumerable.Range(0, 21).Select(i => (JsonNode)$"Q{i}?")]); break;
            case "insight-question-blank": body["insightQuestions"] = new JsonArray("Interested?", " "); break;
            case "consent-not-obtained": body["consent"]!["obtained"] = false; break;
            case "consent-no-source": body["consent"]!.AsObject().Remove("source"); break;
            case "from-unknown": body["from"] = "+15559999999"; break;
            case "agent-unknown": body["agentId"] = "agt_nope"; break;
            case "variable-object": body["variables"] = new JsonObject { ["x"] = new JsonObject() }; break;
        }
        var response = await Host.Client.PostCallAsync(body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal("urn:outdial:problem:validation_failed", (string?)problem["type"]);
        Assert.NotNull(problem["errors"]![field]);
        await AssertNothingStoredAsync(to);
    }

    [Fact]
    public async Task Trigger_MissingRequiredAgentVariable_Returns422NamingIt_AndDefaultsFill()
    {
        var agent = await (await Host.Client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Reminder " + Guid.NewGuid().ToString("N")[..6],
            ["prompt"] = "Remind {firstName} of {appointmentDate} at {clinic}.",
            ["variables"] = new JsonArray(
                new JsonObject { ["name"] = "appointmentDate", ["required"] = true },
                new JsonObject { ["name"] = "clinic", ["required"] = true, ["default"] = "Main St" }),
        })).JsonAsync();
        var to = Numbers.Next();
        var missing = await Host.Client.PostCallAsync(Calls.Body(to, b => b["agentId"] = agent["key"]!.DeepClone()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        var errors = (await missing.JsonAsync())["errors"]!.AsObject();
        Assert.Equal(["variables.appointmentDate"], errors.Select(e => e.Key));
        await AssertNothingStoredAsync(to);

        var ok = await Host.Client.PostCallAsync(Calls.Body(to, b =>
        {
            b["agentId"] = agent["id"]!.DeepClone();
            b["variables"] = new JsonObject { ["appointmentDate"] = "Monday" };
        }));
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
    }

    [Fact]
    public async Task Trigger_CampaignName_FindsOrCreatesTheCampaign_OnceByName()
    {
        var (_, client) = await Host.NewTenantAsync();
        var name = "Spring outreach " + Guid.NewGuid().ToString("N")[..6];
        var first = await client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["campaignName"] = name));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var second = await client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["campaignName"] = "  " + name + " "));
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);

        var campaignId = (string?)(await first.JsonAsync())["campaignId"];
        Assert.NotNull(campaignId);
        Assert.Equal(campaignId, (string?)(await second.JsonAsync())["campaignId"]);
        var campaigns = (await client.GetFromJsonAsync<JsonObject>("/v1/campaigns"))!["data"]!.AsArray();
        var campaign = Assert.Single(campaigns, c => (string?)c!["name"] == name)!;
        Assert.Equal(campaignId, (string?)campaign["id"]);
        Assert.Equal("active", (string?)campaign["status"]);

        var blank = await client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["campaignName"] = " "));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, blank.StatusCode);
        Assert.NotNull((await blank.JsonAsync())["errors"]!["campaignName"]);
    }

    [Fact]
    public async Task Trigger_Provider_MustBeConfiguredAndMatchTheCallerId()
    {
        var to = Numbers.Next();
        var unknown = await Host.Client.PostCallAsync(Calls.Body(to, b => b["provider"] = "telnyx"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        var problem = await unknown.JsonAsync();
        Assert.Equal("provider_not_configured", (string?)problem["code"]);
        Assert.NotNull(problem["errors"]!["provider"]);
        await AssertNothingStoredAsync(to);

        var sandbox = await Host.Client.PostCallAsync(Calls.Body(to, b => b["provider"] = "sandbox"));
        Assert.Equal(HttpStatusCode.Accepted, sandbox.StatusCode);
        Assert.Equal("sandbox", (string?)(await sandbox.JsonAsync())["provider"]);
    }

    [Fact]
    public async Task Trigger_FromAPhoneNumbersLabel_AndAgentByExternalReference()
    {
        var (_, client) = await Host.NewTenantAsync();
        var number = Numbers.Next("0400");
        var created = await client.PostAsJsonAsync("/v1/phone-numbers", new JsonObject { ["number"] = number, ["label"] = "support line" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = await (await client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Support", ["externalRefs"] = new JsonArray("crm:template/42"),
        })).JsonAsync();

        var response = await client.PostCallAsync(Calls.Body(Numbers.Next(), b =>
        {
            b["from"] = "support line";
            b["agentId"] = "crm:template/42";
        }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = await response.JsonAsync();
        Assert.Equal(number, (string?)call["from"]);
        Assert.Equal((string?)agent["id"], (string?)call["agentId"]);
        Assert.Equal("external_ref", (string?)call["agentSource"]);
        Assert.Equal("crm:template/42", (string?)call["agentRef"]);
    }

    [Fact]
    public async Task Trigger_MalformedJson_Returns400SayingWhere()
    {
        using var content = new StringContent("{\"to\": \"+15551234567\",, }", Encoding.UTF8, "application/json");
        var response = await Host.Client.PostAsync("/v1/calls", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal("urn:outdial:problem:malformed_json", (string?)problem["type"]);
        Assert.Contains("BytePositionInLine", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_UnknownField_Returns400NamingIt()
    {
        var response = await Host.Client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["tooo"] = "+1"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("tooo", (string?)(await response.JsonAsync())["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_BodyOver1MB_Returns413()
    {
        var body = Calls.Body(Numbers.Next(), b => b["contact"]!["notes"] = new string('x', 1_100_000));
        var response = await Host.Client.PostCallAsync(body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("urn:outdial:problem:payload_too_large", (string?)(await response.JsonAsync())["type"]);
    }

    [Fact]
    public async Task IdempotencyKey_SameBody_ReplaysOriginal_DifferentBody_Is422()
    {
        var key = Guid.NewGuid().ToString();
        var body = Calls.Body(Numbers.Next());
        var first = await Host.Client.PostCallAsync(body, key);
        var firstText = await first.Content.ReadAsStringAsync();
        var second = await Host.Client.PostCallAsync(body, key);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(firstText, await second.Content.ReadAsStringAsync());
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Headers.Location, second.Headers.Location);

        var other = await Host.Client.PostCallAsync(Calls.Body(Numbers.Next()), key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("urn:outdial:problem:idempotency_key_reused", (string?)(await other.JsonAsync())["type"]);
    }

    [Fact]
    public async Task IdempotencyKey_TwentyConcurrentIdenticalRequests_CreateExactlyOneCall()
    {
        var key = Guid.NewGuid().ToString();
        var to = Numbers.Next();
        var body = Calls.Body(to, b => b["allowDuplicates"] = true);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Host.Client.PostCallAsync(body, key)));
        var ids = new HashSet<string>();
        foreach (var r in responses)
        {
            var json = await r.JsonAsync();
            if (r.StatusCode == HttpStatusCode.Accepted)
            {
                ids.Add((string)json["id"]!);
            }
            else
            {
                Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
                Assert.Equal("urn:outdial:problem:idempotency_in_flight", (string?)json["type"]);
            }
        }
        Assert.Single(ids);
        var stored = await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls?to={Uri.EscapeDataString(to)}");
        Assert.Equal(ids.Single(), (string?)Assert.Single(stored!["data"]!.AsArray())!["id"]);
        // After the burst, the same request replays the one call.
        var replay = await Host.Client.PostCallAsync(body, key);
        Assert.Equal(ids.Single(), (string?)(await replay.JsonAsync())["id"]);
    }

    private async Task AssertNothingStoredAsync(string to)
    {
        var stored = await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls?to={Uri.EscapeDataString(to)}");
        Assert.Empty(stored!["data"]!.AsArray());
    }
}
