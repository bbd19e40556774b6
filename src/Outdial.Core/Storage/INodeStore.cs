namespace Outdial.Core.Storage;

/// <summary>
/// A node as the database knows it: its host's name and its operating-system process id there. Times are UTC.
/// <paramref name="StoppedAt"/>: it shut down cleanly; <paramref name="ReapedAt"/>: a watchdog found it dead and reclaimed its
/// leases (cleared if it turns out alive and beats again).
/// </summary>
public sealed record NodeRecord(string Id, string Host, int ProcessId, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt,
    DateTimeOffset? StoppedAt = null, DateTimeOffset? ReapedAt = null)
{
    /// <summary>Alive at <paramref name="now"/>: not stopped, and a heartbeat within <paramref name="timeout"/>.</summary>
    public bool IsAlive(DateTimeOffset now, TimeSpan timeout) => StoppedAt is null && HeartbeatAt > now - timeout;
}

/// <summary>Node heartbeats and the leases nodes hold (<see cref="Nodes.NodeHeartbeat"/>).</summary>
public interface INodeStore
{
    /// <summary>Records that <paramref name="node"/> is alive at its <see cref="NodeRecord.HeartbeatAt"/> (inserting it on its first beat; clearing a reap).</summary>
    Task HeartbeatAsync(NodeRecord node, CancellationToken ct);

    /// <summary>Every node recorded, oldest start first.</summary>
    Task<IReadOnlyList<NodeRecord>> ListNodesAsync(CancellationToken ct);

    /// <summary>
    /// Marks the node reaped at <paramref name="at"/> only while it is not stopped, not reaped, and its last heartbeat is still
    /// <paramref name="heartbeatAt"/> (so of several watchdogs one reaps, and a node that beat meanwhile is left alone).
    /// </summary>
    Task<bool> TryReapAsync(string nodeId, DateTimeOffset heartbeatAt, DateTimeOffset at, CancellationToken ct);

    /// <summary>Marks the node stopped (a clean shutdown).</summary>
    Task MarkStoppedAsync(string nodeId, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// Hands back every lease held with one of <paramref name="leaseTokens"/>: calls not yet dialed, webhook deliveries and
    /// insight analyses become claimable at once. A write fenced on one of these tokens fails afterwards. Returns the rows freed.
    /// </summary>
    Task<int> ReleaseLeasesAsync(IReadOnlyCollection<string> leaseTokens, CancellationToken ct);

    /// <summary>Forgets nodes stopped or reaped before <paramref name="before"/> (UTC); returns how many.</summary>
    Task<int> PruneNodesAsync(DateTimeOffset before, CancellationToken ct);
}
