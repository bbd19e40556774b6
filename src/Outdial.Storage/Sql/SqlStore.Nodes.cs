using Dapper;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : INodeStore
{
    private sealed record NodeRow(string id, string host, long pid, long started_at, long heartbeat_at, long? stopped_at, long? reaped_at)
    {
        public NodeRecord ToNode() => new(id, host, (int)pid, At(started_at), At(heartbeat_at), stopped_at is { } s ? At(s) : null,
            reaped_at is { } r ? At(r) : null);
    }

    /// <inheritdoc />
    public Task HeartbeatAsync(NodeRecord node, CancellationToken ct) =>
        engine.ClaimAsync(conn => conn.Execute("""
            INSERT INTO nodes (id, host, pid, started_at, heartbeat_at) VALUES (@Id, @Host, @ProcessId, @started, @beat)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, reaped_at = NULL WHERE nodes.stopped_at IS NULL
            """, new { node.Id, node.Host, node.ProcessId, started = Ms(node.StartedAt), beat = Ms(node.HeartbeatAt) }), ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<NodeRecord>> ListNodesAsync(CancellationToken ct) =>
        [.. (await QueryAsync<NodeRow>("SELECT id, host, pid, started_at, heartbeat_at, stopped_at, reaped_at FROM nodes ORDER BY started_at, id;", null, ct))
            .Select(r => r.ToNode())];

    /// <inheritdoc />
    public Task<bool> TryReapAsync(string nodeId, DateTimeOffset heartbeatAt, DateTimeOffset at, CancellationToken ct) =>
        engine.ClaimAsync(conn => conn.Execute("""
            UPDATE nodes SET reaped_at = @at
            WHERE id = @nodeId AND stopped_at IS NULL AND reaped_at IS NULL AND heartbeat_at = @beat
            """, new { nodeId, at = Ms(at), beat = Ms(heartbeatAt) }) == 1, ct);

    /// <inheritdoc />
    public Task MarkStoppedAsync(string nodeId, DateTimeOffset at, CancellationToken ct) =>
        engine.ClaimAsync(conn => conn.Execute("UPDATE nodes SET stopped_at = @at WHERE id = @nodeId;", new { nodeId, at = Ms(at) }), ct);

    /// <inheritdoc />
    /// <remarks>A call's release moves its version, so a write its old holder decided before the release is refused too.</remarks>
    public Task<int> ReleaseLeasesAsync(IReadOnlyCollection<string> leaseTokens, CancellationToken ct) =>
        engine.ClaimAsync(conn =>
        {
            var args = new { tokens = leaseTokens.ToArray() };
            return conn.Execute($"UPDATE calls SET lease_token = NULL, lease_until = NULL, version = version + 1 WHERE {InList("lease_token", "tokens")};", args)
                + conn.Execute($"UPDATE webhook_deliveries SET lease_token = NULL, lease_until = NULL WHERE {InList("lease_token", "tokens")};", args)
                // A running analysis stays running with an expired lease: the next claim takes it (and counts the attempt).
                + conn.Execute($"UPDATE insight_analyses SET lease_token = NULL, lease_until = 0 WHERE {InList("lease_token", "tokens")};", args);
        }, ct);

    /// <inheritdoc />
    public Task<int> PruneNodesAsync(DateTimeOffset before, CancellationToken ct) =>
        engine.ClaimAsync(conn => conn.Execute("""
            DELETE FROM nodes WHERE (stopped_at IS NOT NULL AND stopped_at < @before) OR (reaped_at IS NOT NULL AND reaped_at < @before)
            """, new { before = Ms(before) }), ct);
}
