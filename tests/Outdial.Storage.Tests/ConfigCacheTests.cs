using Microsoft.Extensions.Options;
using Outdial.Core.Storage;
using Outdial.Storage.Sqlite;
using Xunit;
using static Outdial.Storage.Tests.TestData;

namespace Outdial.Storage.Tests;

/// <summary>
/// The intake's configuration cache over a real store: a change through this node's store applies at once; one through
/// another node (another store on the same database, whose signal this cache does not hear) within the TTL.
/// </summary>
public sealed class ConfigCacheTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly SqliteEngine _engine = new();
    private readonly Clock _clock = new();
    private ConfigChangeSignal _signal = null!;
    private SqliteStore _thisNode = null!;
    private SqliteStore _otherNode = null!;
    private ConfigCache _cache = null!;

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = T0;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    public async Task InitializeAsync()
    {
        await _engine.InitializeAsync();
        _signal = new ConfigChangeSignal();
        _thisNode = new SqliteStore(_engine.Database, _engine.Writer, config: _signal);
        _otherNode = new SqliteStore(_engine.Database, _engine.Writer);
        _cache = new ConfigCache(_thisNode, _thisNode, _thisNode, _signal, Options.Create(new CacheOptions { ConfigTtl = TimeSpan.FromSeconds(5) }), _clock);
    }

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    async ValueTask IAsyncDisposable.DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task ChangeThroughThisNode_AppliesAtOnce_ThroughAnother_WithinTheTtl()
    {
        var t = NewTenant();
        await _thisNode.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, CancellationToken.None);
        Assert.Equal(t.Agent.Name, (await _cache.GetDefaultAgentAsync(t.Account.Id, CancellationToken.None))!.Name);
        Assert.Empty(await _cache.ListEndpointsAsync(t.Account.Id, CancellationToken.None));

        await _thisNode.UpdateAgentAsync(t.Agent with { Name = "Renamed here" }, CancellationToken.None);
        Assert.Equal("Renamed here", (await _cache.GetDefaultAgentAsync(t.Account.Id, CancellationToken.None))!.Name);

        await _otherNode.UpdateAgentAsync(t.Agent with { Name = "Renamed elsewhere" }, CancellationToken.None);
        _clock.Now = T0.AddSeconds(4);
        Assert.Equal("Renamed here", (await _cache.GetDefaultAgentAsync(t.Account.Id, CancellationToken.None))!.Name); // still cached
        _clock.Now = T0.AddSeconds(6);
        Assert.Equal("Renamed elsewhere", (await _cache.GetDefaultAgentAsync(t.Account.Id, CancellationToken.None))!.Name);

        // A webhook endpoint created through this node is planned for the very next call.
        var endpoint = new Core.Webhooks.WebhookEndpoint
        {
            Id = "we_1",
            AccountId = t.Account.Id,
            Url = "https://example.com/hook",
            Enabled = true,
            Secrets = [],
            CreatedAt = T0,
            UpdatedAt = T0,
        };
        await _thisNode.CreateEndpointAsync(endpoint, CancellationToken.None);
        Assert.Single(await _cache.ListEndpointsAsync(t.Account.Id, CancellationToken.None));
    }
}
