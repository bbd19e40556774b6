using System.Diagnostics;
using Outdial.Core.Nodes;
using Outdial.Core.Storage;

namespace Outdial.Core.Tests;

/// <summary>How a node judges the others (heartbeat, stop, its own host's processes) and takes its share of a limit.</summary>
public sealed class NodeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void IsAlive_ByHeartbeatAndStop_AndOnThisHostByItsProcess()
    {
        var me = new NodeIdentity(TimeProvider.System);
        Assert.True(me.IsAlive(new NodeRecord(me.Id, me.Host, me.ProcessId, T0, T0.AddHours(-1)), T0, Timeout)); // itself, always

        // Another host: alive while it beats and has not stopped.
        Assert.True(me.IsAlive(new NodeRecord("node_b", "elsewhere", 4242, T0, T0.AddSeconds(-29)), T0, Timeout));
        Assert.False(me.IsAlive(new NodeRecord("node_b", "elsewhere", 4242, T0, T0.AddSeconds(-31)), T0, Timeout));
        Assert.False(me.IsAlive(new NodeRecord("node_b", "elsewhere", 4242, T0, T0, StoppedAt: T0), T0, Timeout));

        // This host: a node whose process no longer exists is dead however fresh its heartbeat (a crashed node restarted
        // here need not wait out the timeout); one whose process runs is alive.
        using var exited = Process.Start("true")!;
        exited.WaitForExit();
        Assert.False(me.IsAlive(new NodeRecord("node_c", me.Host, exited.Id, T0, T0), T0, Timeout));
        using var running = Process.Start("sleep", "30")!;
        try
        {
            Assert.True(me.IsAlive(new NodeRecord("node_d", me.Host, running.Id, T0, T0), T0, Timeout));
        }
        finally
        {
            running.Kill();
        }
    }

    [Theory]
    [InlineData(1, 100, 100)]
    [InlineData(2, 100, 50)]
    [InlineData(3, 100, 34)]
    [InlineData(3, 2, 1)]
    [InlineData(0, 100, 100)]
    public void ShareOf_SplitsALimitOverLiveNodes_RoundingUp(int liveNodes, int total, int share)
    {
        var view = new ClusterView();
        view.Update(liveNodes);
        Assert.Equal(share, view.ShareOf(total));
        Assert.Equal(Math.Max(1, liveNodes), view.LiveNodes);
    }
}
