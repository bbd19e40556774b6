using Outdial.Core.Common;

namespace Outdial.Core.Nodes;

/// <summary>
/// This server process among the nodes sharing a database: a fresh id per process start (a restarted node is a new node,
/// and the one before it is dead), the start time (UTC), and the lease tokens its workers claim with, so that the leases a
/// node holds can be handed back at shutdown or reclaimed by a watchdog when it dies.
/// </summary>
public sealed class NodeIdentity(TimeProvider clock)
{
    /// <summary>The dispatcher's lease name (calls).</summary>
    public const string Dispatch = "dispatch";

    /// <summary>The webhook deliverer's lease name (deliveries).</summary>
    public const string Webhooks = "webhooks";

    /// <summary>The insight worker's lease name (analyses).</summary>
    public const string Insights = "insights";

    /// <summary>The workers that lease rows: <see cref="Dispatch"/>, <see cref="Webhooks"/>, <see cref="Insights"/>.</summary>
    public static readonly IReadOnlyList<string> LeasingWorkers = [Dispatch, Webhooks, Insights];

    /// <summary>E.g. <c>node_01JF...</c>.</summary>
    public string Id { get; } = Ids.New("node", clock.GetUtcNow());

    /// <summary>When this process started (UTC).</summary>
    public DateTimeOffset StartedAt { get; } = clock.GetUtcNow();

    /// <summary>The machine's name, shown with the node (<see cref="Environment.MachineName"/>).</summary>
    public string Host { get; } = Environment.MachineName;

    /// <summary>This process's id on <see cref="Host"/>.</summary>
    public int ProcessId { get; } = Environment.ProcessId;

    /// <summary>
    /// Whether <paramref name="other"/> is alive at <paramref name="now"/>: it beat within <paramref name="timeout"/> and did
    /// not stop, and, when it ran on this host, its process still exists (a node restarted after a crash need not wait out
    /// the timeout to take over the work of the process it replaces).
    /// </summary>
    public bool IsAlive(Storage.NodeRecord other, DateTimeOffset now, TimeSpan timeout) =>
        other.Id == Id || (other.IsAlive(now, timeout) && (other.Host != Host || ProcessExists(other.ProcessId)));

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The lease token <paramref name="worker"/> (one of <see cref="LeasingWorkers"/>) claims with on this node.</summary>
    public string LeaseToken(string worker) => LeaseToken(Id, worker);

    /// <summary>The lease token of <paramref name="worker"/> on node <paramref name="nodeId"/>: <c>{nodeId}.{worker}</c>.</summary>
    public static string LeaseToken(string nodeId, string worker) => $"{nodeId}.{worker}";

    /// <summary>Every lease token node <paramref name="nodeId"/> claims with.</summary>
    public static IReadOnlyList<string> LeaseTokens(string nodeId) => [.. LeasingWorkers.Select(w => LeaseToken(nodeId, w))];
}
