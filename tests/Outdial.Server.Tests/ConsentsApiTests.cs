using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

public sealed class ConsentsApiTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static JsonObject Body(string number, Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["number"] = number,
            ["source"] = "web_form",
            ["obtainedAt"] = Iso(DateTimeOffset.UtcNow.AddDays(-1)),
        };
        change?.Invoke(body);
        return body;
    }

    [Fact]
    public async Task Create_Returns201WithTheRecord_GetReturnsIt()
    {
        var (_, client) = await Host.NewTenantAsync();
        var obtainedAt = DateTimeOffset.UtcNow.AddDays(-3);
        var response = await client.PostAsJsonAsync("/v1/consents", Body("+15551240001", b =>
        {
            b["obtainedAt"] = obtainedAt.ToOffset(TimeSpan.FromHours(-5)).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
            b["purpose"] = "appointment_reminders";
            b["evidenceUrl"] = "https://crm.example.com/forms/123";
            b["evidenceText"] = "I agree to be called about my appointments.";
            b["expiresAt"] = "2099-01-01T00:00:00Z";
        }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var record = await response.JsonAsync();
        var id = (string)record["id"]!;
        Assert.StartsWith("cons_", id, StringComparison.Ordinal);
        Assert.Equal($"/v1/consents/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("+15551240001", (string?)record["number"]);
        Assert.Equal("web_form", (string?)record["source"]);
        Assert.Equal("appointment_reminders", (string?)record["purpose"]);
        Assert.Equal("https://crm.example.com/forms/123", (string?)record["evidenceUrl"]);
        Assert.Equal("I agree to be called about my appointments.", (string?)record["evidenceText"]);
        Assert.Equal(new DateTime(2099, 1, 1, 0, 0, 0, DateTimeKind.Utc), (DateTime)record["expiresAt"]!);
        Assert.Equal(obtainedAt.UtcDateTime.AddTicks(-(obtainedAt.UtcDateTime.Ticks % TimeSpan.TicksPerSecond)), ((DateTime)record["obtainedAt"]!).ToUniversalTime());
        Assert.True((bool)record["valid"]!);
        Assert.Null(record["revokedAt"]);

        var fetched = await client.GetFromJsonAsync<JsonObject>($"/v1/consents/{id}");
        Assert.Equal(record.ToJsonString(), fetched!.ToJsonString());
    }

    [Fact]
    public async Task Create_InvalidFields_Is422WithEveryFieldAndStoresNothing()
    {
        var (_, client) = await Host.NewTenantAsync();
        var empty = await client.PostAsJsonAsync("/v1/consents", new JsonObject());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        var errors = (await empty.JsonAsync())["errors"]!.AsObject();
        Assert.Equal(["number", "obtainedAt", "source"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));

        var bad = await client.PostAsJsonAsync("/v1/consents", Body("+1 555 124 0002", b =>
        {
            b["obtainedAt"] = Iso(DateTimeOffset.UtcNow.AddHours(1));
            b["purpose"] = "";
            b["evidenceUrl"] = "ftp://files.example.com/consent.pdf";
            b["evidenceText"] = new string('t', 10_001);
        }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var badErrors = (await bad.JsonAsync())["errors"]!.AsObject();
        Assert.Equal(["evidenceText", "evidenceUrl", "number", "obtainedAt", "purpose"], badErrors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains("future", (string?)badErrors["obtainedAt"]![0], StringComparison.Ordinal);

        var expiry = await client.PostAsJsonAsync("/v1/consents", Body("+15551240002", b => b["expiresAt"] = Iso(DateTimeOffset.UtcNow.AddDays(-2))));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, expiry.StatusCode);
        Assert.Contains("after obtainedAt", (string?)(await expiry.JsonAsync())["errors"]!["expiresAt"]![0], StringComparison.Ordinal);

        var noOffset = await client.PostAsJsonAsync("/v1/consents", Body("+15551240002", b => b["obtainedAt"] = "2026-01-01T10:00:00"));
        Assert.NotNull((await noOffset.JsonAsync())["errors"]!["obtainedAt"]);
        var relative = await client.PostAsJsonAsync("/v1/consents", Body("+15551240002", b => b["evidenceUrl"] = "/forms/1"));
        Assert.NotNull((await relative.JsonAsync())["errors"]!["evidenceUrl"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/consents", Body("+15551240002", b => b["channel"] = "sms"))).StatusCode);

        Assert.Empty((await client.GetFromJsonAsync<JsonObject>("/v1/consents"))!["data"]!.AsArray());
    }

    [Fact]
    public async Task Revoke_SetsRevokedAtOnce_AndTheRecordIsNoLongerValid()
    {
        var (_, client) = await Host.NewTenantAsync();
        var id = (string)(await (await client.PostAsJsonAsync("/v1/consents", Body("+15551240003"))).JsonAsync())["id"]!;
        var first = await client.PostAsync($"/v1/consents/{id}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var revoked = await first.JsonAsync();
        Assert.NotNull(revoked["revokedAt"]);
        Assert.False((bool)revoked["valid"]!);

        var second = await (await client.PostAsync($"/v1/consents/{id}/revoke", null)).JsonAsync();
        Assert.Equal((string?)revoked["revokedAt"], (string?)second["revokedAt"]);
        Assert.False((bool)(await client.GetFromJsonAsync<JsonObject>($"/v1/consents/{id}"))!["valid"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/v1/consents/cons_01jzzzzzzzzzzzzzzzzzzzzzzz/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/consents/cons_01jzzzzzzzzzzzzzzzzzzzzzzz")).StatusCode);
    }

    [Fact]
    public async Task List_NewestFirst_FilteredByNumber_Paged()
    {
        var (_, client) = await Host.NewTenantAsync();
        var ids = new List<string>();
        foreach (var number in new[] { "+15551240010", "+15551240011", "+15551240010", "+15551240010" })
        {
            ids.Add((string)(await (await client.PostAsJsonAsync("/v1/consents", Body(number))).JsonAsync())["id"]!);
        }
        // Ids sort by creation time (to the millisecond), and so does the list.
        var all = (await client.GetFromJsonAsync<JsonObject>("/v1/consents"))!;
        Assert.Equal(ids.OrderDescending(StringComparer.Ordinal), all["data"]!.AsArray().Select(r => (string?)r!["id"]));
        Assert.Null(all["nextCursor"]);

        // The '+' unencoded (read as a space) and encoded.
        var ofNumber = new[] { ids[0], ids[2], ids[3] }.OrderDescending(StringComparer.Ordinal).ToList();
        var page1 = (await client.GetFromJsonAsync<JsonObject>("/v1/consents?number=+15551240010&limit=2"))!;
        Assert.Equal(ofNumber[..2], page1["data"]!.AsArray().Select(r => (string?)r!["id"]));
        var page2 = (await client.GetFromJsonAsync<JsonObject>($"/v1/consents?number=%2B15551240010&limit=2&cursor={page1["nextCursor"]}"))!;
        Assert.Equal(ofNumber[2..], page2["data"]!.AsArray().Select(r => (string?)r!["id"]));
        Assert.Null(page2["nextCursor"]);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/consents?number=555")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/consents?limit=101")).StatusCode);
    }

    [Fact]
    public async Task OtherAccountsRecords_Answer404AndStayUnrevoked()
    {
        var (_, owner) = await Host.NewTenantAsync();
        var (_, other) = await Host.NewTenantAsync();
        var id = (string)(await (await owner.PostAsJsonAsync("/v1/consents", Body("+15551240020"))).JsonAsync())["id"]!;

        var get = await other.GetAsync($"/v1/consents/{id}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("urn:outdial:problem:not_found", (string?)(await get.JsonAsync())["type"]);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/v1/consents/{id}/revoke", null)).StatusCode);
        Assert.Empty((await other.GetFromJsonAsync<JsonObject>("/v1/consents?number=%2B15551240020"))!["data"]!.AsArray());

        var mine = await owner.GetFromJsonAsync<JsonObject>($"/v1/consents/{id}");
        Assert.Null(mine!["revokedAt"]);
        Assert.True((bool)mine["valid"]!);
    }

    [Fact]
    public async Task Valid_FollowsTheClock_UntilExpiry()
    {
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.Ticks - DateTimeOffset.UtcNow.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var clock = new ManualClock(start);
        await using var host = await OutdialHost.StartAsync(clock: clock);
        var created = await host.Client.PostAsJsonAsync("/v1/consents", new JsonObject
        {
            ["number"] = "+15551240030",
            ["source"] = "ivr",
            ["obtainedAt"] = Iso(start),
            ["expiresAt"] = Iso(start.AddHours(1)),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var record = await created.JsonAsync();
        Assert.True((bool)record["valid"]!);
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.True((bool)(await host.Client.GetFromJsonAsync<JsonObject>($"/v1/consents/{record["id"]}"))!["valid"]!);
        clock.Advance(TimeSpan.FromMinutes(1));
        var expired = await host.Client.GetFromJsonAsync<JsonObject>($"/v1/consents/{record["id"]}");
        Assert.False((bool)expired!["valid"]!);
        Assert.Null(expired["revokedAt"]);
    }
}
