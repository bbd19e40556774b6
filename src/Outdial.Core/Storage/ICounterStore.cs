namespace Outdial.Core.Storage;

/// <summary>Counters shared by the nodes on one database (<see cref="Campaigns.SharedRoundRobin"/>).</summary>
public interface ICounterStore
{
    /// <summary>Increments <paramref name="key"/>'s counter in one write and returns its new value; the first call returns 0.</summary>
    Task<long> NextAsync(string key, CancellationToken ct);
}
