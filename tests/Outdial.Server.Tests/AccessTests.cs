using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

public sealed class AccessTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer od_live_notarealkeynotarealkeynotareal")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task Request_WithoutValidKey_Is401Problem(string? authorization)
    {
        using var client = Host.NewClient(null);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/calls") { Content = JsonContent.Create(Calls.Body(Numbers.Next())) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("urn:outdial:problem:unauthorized", (string?)(await response.JsonAsync())["type"]);
    }

    [Fact]
    public async Task ApiKey_CreatedKeyWorks_ListedWithoutSecret_RevokedKeyIs401()
    {
        var created = await Host.Client.PostAsJsonAsync("/v1/api-keys", new { name = "ci" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.JsonAsync();
        var secret = (string)key["key"]!;
        Assert.StartsWith("od_live_", secret, StringComparison.Ordinal);
        using var client = Host.NewClient(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/agents")).StatusCode);
        var listed = await Host.Client.GetStringAsync("/v1/api-keys");
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        Assert.Contains(secret[..12], listed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.DeleteAsync($"/v1/api-keys/{key["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/agents")).StatusCode);
    }

    [Fact]
    public async Task OtherAccountsObjects_Answer404()
    {
        var (_, other) = await Host.NewTenantAsync();
        var body = Calls.Body(Numbers.Next(), b => b["notBefore"] = DateTime.UtcNow.AddHours(1).ToString("O"));
        var id = (string)(await (await Host.Client.PostCallAsync(body)).JsonAsync())["id"]!;
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/calls/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/calls/{id}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/calls/{id}/attempts")).StatusCode);
        var cancel = await other.PostAsync($"/v1/calls/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal("urn:outdial:problem:not_found", (string?)(await cancel.JsonAsync())["type"]);
        Assert.Equal("scheduled", (string?)(await Host.Client.GetFromJsonAsync<JsonObject>($"/v1/calls/{id}"))!["status"]);
        Assert.Empty((await other.GetFromJsonAsync<JsonObject>("/v1/calls"))!["data"]!.AsArray());

        var agentId = (string)(await Host.Client.GetFromJsonAsync<JsonObject>("/v1/agents"))!["data"]![0]!["id"]!;
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/agents/{agentId}")).StatusCode);
        var phoneId = (string)(await Host.Client.GetFromJsonAsync<JsonObject>("/v1/phone-numbers"))!["data"]![0]!["id"]!;
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/v1/phone-numbers/{phoneId}")).StatusCode);
        // Using another account's caller ID is refused like an unknown one.
        var foreign = await other.PostCallAsync(Calls.Body(Numbers.Next(), b => b["from"] = phoneId));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, foreign.StatusCode);
    }

    [Fact]
    public async Task RateLimit_PerKey_Answers429WithRetryAfter()
    {
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Api:RateLimitPerMinute"] = "3" });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/v1/agents")).StatusCode);
        }
        var limited = await host.Client.GetAsync("/v1/agents");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("urn:outdial:problem:rate_limited", (string?)(await limited.JsonAsync())["type"]);
        // Another key has its own budget.
        var (_, other) = await host.NewTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/agents")).StatusCode);
    }
}
