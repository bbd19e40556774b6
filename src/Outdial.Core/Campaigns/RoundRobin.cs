using System.Collections.Concurrent;
using Outdial.Core.Storage;

namespace Outdial.Core.Campaigns;

/// <summary>Turns of a round robin: 0, 1, 2, … per key (e.g. a campaign's caller-ID pool).</summary>
public interface IRoundRobin
{
    /// <summary>The next turn of <paramref name="key"/>, starting at 0.</summary>
    ValueTask<long> NextAsync(string key, CancellationToken ct);
}

/// <summary>Turns counted in this process: right for one node.</summary>
public sealed class LocalRoundRobin : IRoundRobin
{
    private readonly ConcurrentDictionary<string, long> _next = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<long> NextAsync(string key, CancellationToken ct) => ValueTask.FromResult(_next.AddOrUpdate(key, 0, (_, v) => unchecked(v + 1)));
}

/// <summary>Turns counted in the database (<see cref="ICounterStore"/>), so nodes sharing it take turns together.</summary>
public sealed class SharedRoundRobin(ICounterStore counters) : IRoundRobin
{
    /// <inheritdoc />
    public async ValueTask<long> NextAsync(string key, CancellationToken ct) => await counters.NextAsync(key, ct);
}
