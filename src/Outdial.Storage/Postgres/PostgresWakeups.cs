using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Outdial.Core.Common;
using Outdial.Core.Nodes;
using Outdial.Core.Webhooks;

namespace Outdial.Storage.Postgres;

/// <summary>
/// Relays work signals between the nodes on one PostgreSQL database with <c>LISTEN</c>/<c>NOTIFY</c>: when work becomes due
/// on this node (<see cref="WorkSignal.Notify"/>: a call accepted for now, webhook deliveries written) it sends
/// <c>NOTIFY outdial_work, '{calls|webhooks}:{node id}'</c>, and it listens on a connection of its own, waking this node's
/// dispatcher or deliverer when another node's notification arrives. So a call accepted by any node is claimed by the first
/// free dispatcher at once, not at its next poll. Polling stays the guarantee: a notification lost while the listening
/// connection reconnects costs at most one poll interval.
/// </summary>
public sealed partial class PostgresWakeups(
    PostgresDatabase db,
    DispatchSignal dispatch,
    OutboxSignal outbox,
    NodeIdentity node,
    ILogger<PostgresWakeups> log) : BackgroundService
{
    /// <summary>The notification channel.</summary>
    public const string Channel = "outdial_work";

    private int _callsPending;
    private int _webhooksPending;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        dispatch.Notified += OnCalls;
        outbox.Notified += OnWebhooks;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await using var conn = await db.OpenAsync(stoppingToken);
                    conn.Notification += OnNotification;
                    await conn.ExecuteAsync($"LISTEN {Channel};");
                    // Work may have become due while this node was not listening: look once.
                    dispatch.Wake();
                    outbox.Wake();
                    while (true)
                    {
                        await conn.WaitAsync(stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (PostgresDatabase.IsConnectionLost(ex))
                    {
                        // The server ended this session (a restart, a failover): the pool's idle connections died with it.
                        db.ForgetConnections();
                    }
                    LogListenFailed(log, ex);
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            dispatch.Notified -= OnCalls;
            outbox.Notified -= OnWebhooks;
        }
    }

    private void OnCalls() => Send("calls", ref _callsPending);

    private void OnWebhooks() => Send("webhooks", ref _webhooksPending);

    /// <summary>At most one notification per kind waits to be sent: a burst of signals becomes one or two <c>NOTIFY</c>.</summary>
    private void Send(string kind, ref int pending)
    {
        if (Interlocked.CompareExchange(ref pending, 1, 0) == 0)
        {
            _ = SendAsync(kind);
        }
    }

    private async Task SendAsync(string kind)
    {
        if (kind == "calls")
        {
            Volatile.Write(ref _callsPending, 0);
        }
        else
        {
            Volatile.Write(ref _webhooksPending, 0);
        }
        try
        {
            await using var conn = await db.OpenAsync(CancellationToken.None);
            await conn.ExecuteAsync("SELECT pg_notify(@channel, @payload);", new { channel = Channel, payload = $"{kind}:{node.Id}" });
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            LogNotifyFailed(log, ex); // the other nodes poll
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var separator = e.Payload.IndexOf(':', StringComparison.Ordinal);
        if (separator < 0 || e.Payload.AsSpan(separator + 1).SequenceEqual(node.Id))
        {
            return; // malformed, or our own (this node woke its worker already)
        }
        switch (e.Payload[..separator])
        {
            case "calls":
                dispatch.Wake();
                break;
            case "webhooks":
                outbox.Wake();
                break;
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "PostgreSQL LISTEN connection failed; reconnecting (other nodes' work is found by polling meanwhile)")]
    private static partial void LogListenFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "PostgreSQL NOTIFY failed; the other nodes find the work by polling")]
    private static partial void LogNotifyFailed(ILogger logger, Exception ex);
}
