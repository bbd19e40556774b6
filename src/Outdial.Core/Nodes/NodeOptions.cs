namespace Outdial.Core.Nodes;

/// <summary><c>Outdial:Nodes</c>: how nodes sharing a database tell each other they are alive.</summary>
public sealed class NodeOptions
{
    /// <summary>How often a node writes its heartbeat and looks for dead nodes. Default 5 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A node whose last heartbeat is older than this is dead: its leases are reclaimed and its open attempts reconciled at
    /// once. Default 30 s; must exceed <see cref="HeartbeatInterval"/> (3× or more, so a slow database does not kill nodes).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Stopped or reaped nodes are forgotten after this long. Default 7 days.</summary>
    public TimeSpan KeepFor { get; set; } = TimeSpan.FromDays(7);
}
