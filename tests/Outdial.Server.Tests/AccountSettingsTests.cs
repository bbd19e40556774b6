using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Outdial.Core.Accounts;
using Outdial.Core.Storage;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary><c>GET/PATCH /v1/account</c>: the dialect aliases (unique across accounts) and the API-access switch.</summary>
public sealed class AccountSettingsTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, JsonObject body) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account") { Content = JsonContent.Create(body) });

    [Fact]
    public async Task Aliases_AreSetShownFoundAndUniqueAcrossAccounts()
    {
        var (accountId, client) = await Host.NewTenantAsync();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var set = await PatchAsync(client, new JsonObject
        {
            ["aliases"] = new JsonObject { ["dburl"] = "db-" + suffix, ["teamId"] = "team-" + suffix, ["tenant"] = "tenant-" + suffix },
        });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var shown = (await client.GetFromJsonAsync<JsonObject>("/v1/account"))!;
        Assert.Equal("db-" + suffix, (string?)shown["aliases"]!["dburl"]);
        Assert.Equal("team-" + suffix, (string?)shown["aliases"]!["teamId"]);
        Assert.Equal("tenant-" + suffix, (string?)shown["aliases"]!["tenant"]);

        var store = Host.Services.GetRequiredService<IAccountStore>();
        Assert.Equal(accountId, (await store.FindAccountByAliasAsync(AccountAlias.Dburl, "db-" + suffix, CancellationToken.None))?.Id);
        Assert.Equal(accountId, (await store.FindAccountByAliasAsync(AccountAlias.TeamId, "team-" + suffix, CancellationToken.None))?.Id);
        Assert.Equal(accountId, (await store.FindAccountByAliasAsync(AccountAlias.IvrTenant, "tenant-" + suffix, CancellationToken.None))?.Id);
        Assert.Null(await store.FindAccountByAliasAsync(AccountAlias.Dburl, "team-" + suffix, CancellationToken.None));

        // Another account cannot take one of them; nothing of its request is written.
        var (_, other) = await Host.NewTenantAsync();
        var taken = await PatchAsync(other, new JsonObject { ["name"] = "renamed", ["aliases"] = new JsonObject { ["teamId"] = "team-" + suffix } });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("urn:outdial:problem:alias_taken", (string?)(await taken.JsonAsync())["type"]);
        var otherNow = (await other.GetFromJsonAsync<JsonObject>("/v1/account"))!;
        Assert.Equal("Other", (string?)otherNow["name"]);
        Assert.Null(otherNow["aliases"]!["teamId"]);

        // Clearing frees it.
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(client, new JsonObject { ["aliases"] = new JsonObject { ["teamId"] = null } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(other, new JsonObject { ["aliases"] = new JsonObject { ["teamId"] = "team-" + suffix } })).StatusCode);
    }

    [Fact]
    public async Task Aliases_Invalid_Is422()
    {
        var (_, client) = await Host.NewTenantAsync();
        var bad = await PatchAsync(client, new JsonObject { ["aliases"] = new JsonObject { ["dburl"] = "has space", ["tenant"] = "" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var errors = (await bad.JsonAsync())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("aliases.dburl"));
        Assert.True(errors.ContainsKey("aliases.tenant"));
    }

    [Fact]
    public async Task ApiAccess_DefaultsOn_AndCanBeSwitched()
    {
        var (accountId, client) = await Host.NewTenantAsync();
        Assert.True((bool)(await client.GetFromJsonAsync<JsonObject>("/v1/account"))!["apiAccessEnabled"]!);
        var off = await (await PatchAsync(client, new JsonObject { ["apiAccessEnabled"] = false })).JsonAsync();
        Assert.False((bool)off["apiAccessEnabled"]!);
        var stored = await Host.Services.GetRequiredService<IAccountStore>().GetAccountAsync(accountId, CancellationToken.None);
        Assert.False(stored!.ApiAccessEnabled);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PatchAsync(client, new JsonObject { ["apiAccessEnabled"] = null })).StatusCode);
    }
}
