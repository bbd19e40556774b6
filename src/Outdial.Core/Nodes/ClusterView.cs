namespace Outdial.Core.Nodes;

/// <summary>
/// What this node last saw of the nodes sharing its database (<see cref="NodeHeartbeat"/> refreshes it every heartbeat):
/// how many are alive, itself included. Limits enforced in each process's memory (the API's per-key rate limit) take
/// their share of it, so that together the nodes stay within the limit.
/// </summary>
public sealed class ClusterView
{
    private int _liveNodes = 1;

    /// <summary>Live nodes, at least 1 (this one).</summary>
    public int LiveNodes => Volatile.Read(ref _liveNodes);

    /// <summary>Records the live nodes counted at a heartbeat (values below 1 count as 1).</summary>
    public void Update(int liveNodes) => Volatile.Write(ref _liveNodes, Math.Max(1, liveNodes));

    /// <summary>This node's share of a limit of <paramref name="total"/> (at least 1): <c>ceil(total / LiveNodes)</c>.</summary>
    public int ShareOf(int total) => Math.Max(1, (total + LiveNodes - 1) / LiveNodes);
}
