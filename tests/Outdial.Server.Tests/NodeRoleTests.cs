using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Outdial.Core.Dispatch;
using Outdial.Core.Webhooks;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Configuring Outdial is apart from running its background work (<c>Outdial:Workers</c>): an API-only node accepts calls
/// that a node running workers over the same database dials.
/// </summary>
public sealed class NodeRoleTests
{
    [Fact]
    public async Task ApiOnlyNode_AcceptsCalls_ThatAWorkerNodeOverTheSameDatabaseDials()
    {
        await using var api = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:Workers"] = "false" });
        var hosted = api.Services.GetServices<IHostedService>().ToList();
        Assert.DoesNotContain(hosted, s => s is Dispatcher or Reconciler or WebhookDeliverer);

        var id = (string)(await (await api.Client.PostCallAsync(Calls.Body("+12125550123"))).JsonAsync())["id"]!;
        var accepted = (await api.Client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/v1/calls/{id}"))!;
        Assert.Equal("queued", (string?)accepted["status"]);

        // A worker node on the same database (here the same SQLite file; in production one PostgreSQL) picks the call up.
        await using var worker = await OutdialHost.StartAsync(new Dictionary<string, string> { ["Outdial:DataDirectory"] = api.DataDirectory });
        Assert.Contains(worker.Services.GetServices<IHostedService>(), s => s is Dispatcher);
        var ended = await OutdialHost.WaitForStatusAsync(worker, id, "ended", TimeSpan.FromSeconds(60));
        Assert.Equal("answered", (string?)ended["outcome"]);
    }
}
