using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Dispatch;
using Outdial.Core.Storage;

namespace Outdial.Core.Nodes;

/// <summary>
/// Keeps this node known to the others and watches them: every <see cref="NodeOptions.HeartbeatInterval"/> it records a
/// heartbeat, then reaps any node whose heartbeat is older than <see cref="NodeOptions.Timeout"/> (a crash, a kill -9, a
/// paused VM): that node's leases are handed back so its claimed calls, deliveries and analyses are taken by live nodes at
/// once, and its open attempts are reconciled with the provider at once rather than after the reconciler's quiet period.
/// At shutdown (it is registered before the workers, so it stops after them) it hands back this node's own leases and marks
/// the node stopped. Each round also refreshes <see cref="ClusterView"/> (live nodes). Runs on every node, API-only ones too.
/// </summary>
public sealed partial class NodeHeartbeat(
    INodeStore nodes,
    NodeIdentity node,
    Reconciler reconciler,
    ClusterView view,
    IOptions<NodeOptions> options,
    TimeProvider clock,
    ILogger<NodeHeartbeat> log) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await BeatAsync(stoppingToken);
                await ReapAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRoundFailed(log, ex); // the database is down or slow: beat again next round
            }
            try
            {
                await Task.Delay(options.Value.HeartbeatInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Records this node's heartbeat now.</summary>
    public Task BeatAsync(CancellationToken ct) =>
        nodes.HeartbeatAsync(new NodeRecord(node.Id, node.Host, node.ProcessId, node.StartedAt, clock.GetUtcNow()), ct);

    /// <summary>Reaps every node that stopped beating; returns how many this node reaped.</summary>
    public async Task<int> ReapAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var reaped = 0;
        var all = await nodes.ListNodesAsync(ct);
        view.Update(all.Count(n => node.IsAlive(n, now, options.Value.Timeout)));
        foreach (var dead in all.Where(n => n.StoppedAt is null && n.ReapedAt is null && !node.IsAlive(n, now, options.Value.Timeout)))
        {
            if (!await nodes.TryReapAsync(dead.Id, dead.HeartbeatAt, now, ct))
            {
                continue; // another node's watchdog got there first, or it beat again
            }
            reaped++;
            var freed = await nodes.ReleaseLeasesAsync(NodeIdentity.LeaseTokens(dead.Id), ct);
            var reconciled = await reconciler.ReconcileNodeAsync(dead.Id, ct);
            LogReaped(log, dead.Id, dead.Host, dead.HeartbeatAt.UtcDateTime, freed, reconciled);
        }
        await nodes.PruneNodesAsync(now - options.Value.KeepFor, ct);
        return reaped;
    }

    /// <summary>Hands back this node's leases and marks it stopped, after the other workers have stopped.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            var freed = await nodes.ReleaseLeasesAsync(NodeIdentity.LeaseTokens(node.Id), cancellationToken);
            await nodes.MarkStoppedAsync(node.Id, clock.GetUtcNow(), cancellationToken);
            LogStopped(log, node.Id, freed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRoundFailed(log, ex); // the leases expire on their own; the watchdogs reap the node
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "Node {NodeId} on {Host} stopped beating at {HeartbeatAt:o}: reaped; {Freed} leases handed back, {Reconciled} open attempts reconciled")]
    private static partial void LogReaped(ILogger logger, string nodeId, string host, DateTime heartbeatAt, int freed, int reconciled);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Node {NodeId} stopping: {Freed} leases handed back")]
    private static partial void LogStopped(ILogger logger, string nodeId, int freed);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Node heartbeat round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception ex);
}
