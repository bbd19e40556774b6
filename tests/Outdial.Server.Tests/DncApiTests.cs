using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

public sealed class DncApiTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    [Fact]
    public async Task Add_New201_SamePlainKept_OptOutUpgrades_OptOutNeverOverwritten()
    {
        var (_, client) = await Host.NewTenantAsync();
        var created = await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230001", reason = "asked by email" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/dnc/%2B15551230001", created.Headers.Location?.OriginalString);
        var entry = await created.JsonAsync();
        Assert.Equal("+15551230001", (string?)entry["number"]);
        Assert.Equal("asked by email", (string?)entry["reason"]);
        Assert.Equal("api", (string?)entry["source"]);
        Assert.False((bool)entry["optOut"]!);
        Assert.Equal("added", (string?)entry["result"]);
        Assert.NotNull(entry["createdAt"]);

        var again = await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230001", reason = "other reason" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var kept = await again.JsonAsync();
        Assert.Equal("kept", (string?)kept["result"]);
        Assert.Equal("asked by email", (string?)kept["reason"]);

        var optOut = await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230001", reason = "said stop on the call", optOut = true });
        Assert.Equal(HttpStatusCode.OK, optOut.StatusCode);
        var upgraded = await optOut.JsonAsync();
        Assert.Equal("upgraded", (string?)upgraded["result"]);
        Assert.True((bool)upgraded["optOut"]!);
        Assert.Equal("said stop on the call", (string?)upgraded["reason"]);

        var plainAfter = await (await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230001", reason = "plain", optOut = false })).JsonAsync();
        Assert.Equal("kept", (string?)plainAfter["result"]);
        Assert.True((bool)plainAfter["optOut"]!);
        Assert.Equal("said stop on the call", (string?)plainAfter["reason"]);
        var stored = await client.GetFromJsonAsync<JsonObject>("/v1/dnc/%2B15551230001");
        Assert.True((bool)stored!["optOut"]!);
        Assert.Null(stored["result"]);
    }

    [Theory]
    [InlineData("5551230001")]
    [InlineData("+1 555 123 0001")]
    [InlineData("+05551230001")]
    [InlineData(null)]
    public async Task Add_NotE164_Is422AndStoresNothing(string? number)
    {
        var (_, client) = await Host.NewTenantAsync();
        var response = await client.PostAsJsonAsync("/v1/dnc", new { number });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal("validation_failed", (string?)problem["code"]);
        Assert.NotNull(problem["errors"]!["number"]);
        Assert.Empty((await client.GetFromJsonAsync<JsonObject>("/v1/dnc"))!["data"]!.AsArray());
    }

    [Fact]
    public async Task Add_ReasonTooLongIs422_UnknownFieldIs400()
    {
        var (_, client) = await Host.NewTenantAsync();
        var longReason = await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230001", reason = new string('r', 501) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, longReason.StatusCode);
        Assert.NotNull((await longReason.JsonAsync())["errors"]!["reason"]);
        var unknown = await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230001", optout = true, extra = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/dnc/%2B15551230001")).StatusCode);
    }

    [Fact]
    public async Task Bulk_EachEntryOnItsOwn_InvalidListedAndSkipped()
    {
        var (_, client) = await Host.NewTenantAsync();
        await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230010" });
        await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230011" });
        var body = new JsonObject
        {
            ["entries"] = new JsonArray(
                new JsonObject { ["number"] = "+15551230012", ["reason"] = "new" },
                new JsonObject { ["number"] = "555-0100" },
                new JsonObject { ["number"] = "+15551230010", ["optOut"] = true },
                new JsonObject { ["number"] = "+15551230011" },
                null,
                new JsonObject { ["number"] = "+15551230013", ["reason"] = new string('r', 501) },
                new JsonObject { ["number"] = "+15551230014", ["optOut"] = true }),
        };
        var response = await client.PostAsJsonAsync("/v1/dnc/bulk", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.JsonAsync();
        Assert.Equal(2, (int)result["added"]!);
        Assert.Equal(1, (int)result["upgraded"]!);
        Assert.Equal(1, (int)result["kept"]!);
        var invalid = result["invalid"]!.AsArray();
        Assert.Equal([1, 4, 5], invalid.Select(i => (int)i!["index"]!));
        Assert.Equal("555-0100", (string?)invalid[0]!["number"]);
        Assert.Contains("number", (string?)invalid[0]!["error"], StringComparison.Ordinal);
        Assert.Contains("reason", (string?)invalid[2]!["error"], StringComparison.Ordinal);

        var listed = (await client.GetFromJsonAsync<JsonObject>("/v1/dnc"))!["data"]!.AsArray();
        Assert.Equal(["+15551230010", "+15551230011", "+15551230012", "+15551230014"], listed.Select(e => (string?)e!["number"]));
        Assert.True((bool)listed[0]!["optOut"]!);
        Assert.All(listed, e => Assert.Equal("api", (string?)e!["source"]));
    }

    [Fact]
    public async Task Bulk_EmptyOrOverTheLimit_Is422AndStoresNothing()
    {
        var (_, client) = await Host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsJsonAsync("/v1/dnc/bulk", new { entries = Array.Empty<object>() })).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsJsonAsync("/v1/dnc/bulk", new { })).StatusCode);
        var tooMany = Enumerable.Range(0, 10_001).Select(i => new { number = $"+1555{i:D7}" }).ToArray();
        var response = await client.PostAsJsonAsync("/v1/dnc/bulk", new { entries = tooMany });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.NotNull((await response.JsonAsync())["errors"]!["entries"]);
        Assert.Empty((await client.GetFromJsonAsync<JsonObject>("/v1/dnc"))!["data"]!.AsArray());
    }

    [Fact]
    public async Task Bulk_TenThousandEntries_AreStored()
    {
        var (_, client) = await Host.NewTenantAsync();
        var entries = Enumerable.Range(0, 10_000).Select(i => new { number = $"+1666{i:D7}" }).ToArray();
        var result = await (await client.PostAsJsonAsync("/v1/dnc/bulk", new { entries })).JsonAsync();
        Assert.Equal(10_000, (int)result["added"]!);
        Assert.Empty(result["invalid"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/dnc/%2B16660009999")).StatusCode);
    }

    [Theory]
    [InlineData("/v1/dnc/%2B15551230020")]
    [InlineData("/v1/dnc/+15551230020")]
    [InlineData("/v1/dnc/%2015551230020")]
    public async Task Get_AcceptsThePlusEncodedLiteralOrAsSpace(string path)
    {
        var (_, client) = await Host.NewTenantAsync();
        await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230020", reason = "r" });
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("+15551230020", (string?)(await response.JsonAsync())["number"]);
    }

    [Fact]
    public async Task Get_UnlistedIs404_NotE164Is422()
    {
        var (_, client) = await Host.NewTenantAsync();
        var missing = await client.GetAsync("/v1/dnc/%2B15551230021");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("urn:outdial:problem:not_found", (string?)(await missing.JsonAsync())["type"]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync("/v1/dnc/5551230021")).StatusCode);
    }

    [Fact]
    public async Task Check_AnswersEachNumberInOrder_WithEntryWhenListed()
    {
        var (_, client) = await Host.NewTenantAsync();
        await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230030", optOut = true });
        var response = await client.PostAsJsonAsync("/v1/dnc/check", new { numbers = new[] { "+15551230031", "+15551230030", "+15551230031" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.JsonAsync())["results"]!.AsArray();
        Assert.Equal(["+15551230031", "+15551230030", "+15551230031"], results.Select(r => (string?)r!["number"]));
        Assert.Equal([false, true, false], results.Select(r => (bool)r!["listed"]!));
        Assert.Null(results[0]!["entry"]);
        Assert.True((bool)results[1]!["entry"]!["optOut"]!);
    }

    [Fact]
    public async Task Check_InvalidNumberOrTooMany_Is422()
    {
        var (_, client) = await Host.NewTenantAsync();
        var bad = await client.PostAsJsonAsync("/v1/dnc/check", new { numbers = new[] { "+15551230031", "555" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.NotNull((await bad.JsonAsync())["errors"]!["numbers[1]"]);
        var many = Enumerable.Range(0, 1001).Select(i => $"+1555{i:D7}").ToArray();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsJsonAsync("/v1/dnc/check", new { numbers = many })).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsJsonAsync("/v1/dnc/check", new { numbers = Array.Empty<string>() })).StatusCode);
    }

    [Fact]
    public async Task List_PagesByNumber_CursorWorksEncodedOrNot()
    {
        var (_, client) = await Host.NewTenantAsync();
        var numbers = new[] { "+15551230045", "+15551230041", "+15551230043", "+15551230042", "+15551230044" };
        await client.PostAsJsonAsync("/v1/dnc/bulk", new { entries = numbers.Select(n => new { number = n }) });
        var first = (await client.GetFromJsonAsync<JsonObject>("/v1/dnc?limit=2"))!;
        Assert.Equal(["+15551230041", "+15551230042"], first["data"]!.AsArray().Select(e => (string?)e!["number"]));
        var cursor = (string)first["nextCursor"]!;
        Assert.Equal("+15551230042", cursor);
        // As a naive client pastes it (the '+' then reads as a space), and properly encoded.
        var second = (await client.GetFromJsonAsync<JsonObject>($"/v1/dnc?limit=2&cursor={cursor}"))!;
        Assert.Equal(["+15551230043", "+15551230044"], second["data"]!.AsArray().Select(e => (string?)e!["number"]));
        var third = (await client.GetFromJsonAsync<JsonObject>($"/v1/dnc?limit=2&cursor={Uri.EscapeDataString((string)second["nextCursor"]!)}"))!;
        Assert.Equal(["+15551230045"], third["data"]!.AsArray().Select(e => (string?)e!["number"]));
        Assert.Null(third["nextCursor"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/dnc?limit=0")).StatusCode);
    }

    [Fact]
    public async Task Delete_PlainRemoved_OptOutNeedsTheFlag()
    {
        var (_, client) = await Host.NewTenantAsync();
        await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230050" });
        await client.PostAsJsonAsync("/v1/dnc", new { number = "+15551230051", optOut = true });
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/dnc/%2B15551230050")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/dnc/%2B15551230050")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/v1/dnc/%2B15551230050")).StatusCode);

        var protectedOptOut = await client.DeleteAsync("/v1/dnc/%2B15551230051");
        Assert.Equal(HttpStatusCode.Conflict, protectedOptOut.StatusCode);
        Assert.Equal("dnc_opt_out_protected", (string?)(await protectedOptOut.JsonAsync())["code"]);
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync("/v1/dnc/%2B15551230051?removeOptOut=false")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.DeleteAsync("/v1/dnc/%2B15551230051?removeOptOut=yes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/dnc/%2B15551230051")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/dnc/+15551230051?removeOptOut=true")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/dnc/%2B15551230051")).StatusCode);
    }

    [Fact]
    public async Task OtherAccountsEntries_AreInvisibleAndUntouchable()
    {
        var (_, owner) = await Host.NewTenantAsync();
        var (_, other) = await Host.NewTenantAsync();
        await owner.PostAsJsonAsync("/v1/dnc", new { number = "+15551230060", optOut = true });

        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/v1/dnc/%2B15551230060")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync("/v1/dnc/%2B15551230060?removeOptOut=true")).StatusCode);
        Assert.Empty((await other.GetFromJsonAsync<JsonObject>("/v1/dnc"))!["data"]!.AsArray());
        var check = await (await other.PostAsJsonAsync("/v1/dnc/check", new { numbers = new[] { "+15551230060" } })).JsonAsync();
        Assert.False((bool)check["results"]![0]!["listed"]!);
        // The other account's list is its own: the same number is new there.
        Assert.Equal(HttpStatusCode.Created, (await other.PostAsJsonAsync("/v1/dnc", new { number = "+15551230060" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await other.DeleteAsync("/v1/dnc/%2B15551230060")).StatusCode);

        var kept = await owner.GetFromJsonAsync<JsonObject>("/v1/dnc/%2B15551230060");
        Assert.True((bool)kept!["optOut"]!);
    }
}
