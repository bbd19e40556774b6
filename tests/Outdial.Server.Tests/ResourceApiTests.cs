using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

public sealed class ResourceApiTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    [Fact]
    public async Task Agents_CreatePatchDefaultAndDelete()
    {
        var (_, client) = await Host.NewTenantAsync();
        var created = await client.PostAsJsonAsync("/v1/agents", new JsonObject { ["name"] = "Sales Team", ["language"] = "de-DE" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = await created.JsonAsync();
        Assert.Equal("sales-team", (string?)agent["key"]);
        var conflict = await client.PostAsJsonAsync("/v1/agents", new JsonObject { ["name"] = "Other", ["key"] = "sales-team" });
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);

        var id = (string)agent["id"]!;
        var patched = await client.PatchAsync($"/v1/agents/{id}", JsonContent.Create(new JsonObject { ["voice"] = "Polly.Vicki", ["isDefault"] = true }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var after = await patched.JsonAsync();
        Assert.Equal("Polly.Vicki", (string?)after["voice"]);
        Assert.Equal("de-DE", (string?)after["language"]);
        var agents = (await client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]!.AsArray();
        Assert.Single(agents, a => (bool)a!["isDefault"]!);
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/v1/agents/{id}")).StatusCode);

        var badWindow = await client.PatchAsync($"/v1/agents/{id}", JsonContent.Create(new JsonObject
        {
            ["callingWindow"] = new JsonObject { ["timeZone"] = "Mars/Olympus", ["days"] = new JsonArray("mon"), ["ranges"] = new JsonArray() },
        }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badWindow.StatusCode);
        var old = (string)agents.First(a => !(bool)a!["isDefault"]!)!["id"]!;
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/agents/{old}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/agents/{old}")).StatusCode);
    }

    [Fact]
    public async Task Agents_ExternalRefs_UniquePerAccount_ValidatedAndFreedOnDelete()
    {
        var (_, client) = await Host.NewTenantAsync();
        var created = await client.PostAsJsonAsync("/v1/agents", new JsonObject
        {
            ["name"] = "Renewals", ["externalRefs"] = new JsonArray("scenario/renewals", "66f1e2d3c4b5a6978899aabb"),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = await created.JsonAsync();
        Assert.Equal(["scenario/renewals", "66f1e2d3c4b5a6978899aabb"], agent["externalRefs"]!.AsArray().Select(r => (string)r!));
        var id = (string)agent["id"]!;

        var taken = await client.PostAsJsonAsync("/v1/agents", new JsonObject { ["name"] = "Other", ["externalRefs"] = new JsonArray("scenario/renewals") });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        var problem = await taken.JsonAsync();
        Assert.Equal("agent_ref_taken", (string?)problem["code"]);
        Assert.DoesNotContain((await client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]!.AsArray(), a => (string?)a!["name"] == "Other");

        foreach (var bad in new JsonNode[] { new JsonArray(""), new JsonArray(" "), new JsonArray("a\u0007b"), new JsonArray(new string('x', 201)), new JsonArray(1),
            new JsonArray([.. Enumerable.Range(0, 51).Select(i => (JsonNode)$"r{i}")]) })
        {
            var refused = await client.PatchAsync($"/v1/agents/{id}", JsonContent.Create(new JsonObject { ["externalRefs"] = bad }));
            Assert.True(refused.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, $"{bad.ToJsonString()}: {refused.StatusCode}");
        }
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonObject>($"/v1/agents/{id}"))!["externalRefs"]!.AsArray().Count);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/agents/{id}")).StatusCode);
        var reused = await client.PostAsJsonAsync("/v1/agents", new JsonObject { ["name"] = "Reuse", ["externalRefs"] = new JsonArray("scenario/renewals") });
        Assert.Equal(HttpStatusCode.Created, reused.StatusCode);
    }

    [Fact]
    public async Task PhoneNumbers_ValidatedUniqueAndUsedAsCallerId()
    {
        var (_, client) = await Host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsJsonAsync("/v1/phone-numbers", new { number = "5551234" })).StatusCode);
        var notConfigured = await client.PostAsJsonAsync("/v1/phone-numbers", new { number = "+15557770001", provider = "twilio" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notConfigured.StatusCode);
        var created = await client.PostAsJsonAsync("/v1/phone-numbers", new { number = "+15557770001", label = "Sales", callsPerSecond = 2.5 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync("/v1/phone-numbers", new { number = "+15557770001" })).StatusCode);
        var call = await (await client.PostCallAsync(Calls.Body(Numbers.Next(), b => b["from"] = "+15557770001"))).JsonAsync();
        Assert.Equal("+15557770001", (string?)call["from"]);
        Assert.Equal((string?)(await created.JsonAsync())["id"], (string?)call["phoneNumberId"]);
    }

    [Fact]
    public async Task Account_ConsentRequirementCanBeTurnedOff()
    {
        var (_, client) = await Host.NewTenantAsync();
        var body = Calls.Body(Numbers.Next(), b => b.Remove("consent"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostCallAsync(body)).StatusCode);
        var patched = await client.PatchAsync("/v1/account", JsonContent.Create(new JsonObject { ["requireConsent"] = false }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.False((bool)(await patched.JsonAsync())["requireConsent"]!);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostCallAsync(body)).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await client.PatchAsync("/v1/account", JsonContent.Create(new JsonObject { ["maxConcurrentCalls"] = 0 }))).StatusCode);
    }
}
