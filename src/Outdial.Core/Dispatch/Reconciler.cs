using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Storage;
using Outdial.Core.Telephony;

namespace Outdial.Core.Dispatch;

/// <summary>
/// Resolves attempts that have gone quiet by asking their provider (ARCHITECTURE §3.3, §5): on start every open
/// attempt left by an earlier process, then every <see cref="ReconcilerOptions.Interval"/> those with no report for
/// <see cref="ReconcilerOptions.StaleAfter"/>. The provider's reports are applied through <see cref="IProviderEventSink"/>.
/// An attempt the provider has never heard of was never dialed: it is closed as <c>not_placed</c> and the call is
/// queued again; this is the only case in which a call is dialed again without a retry policy asking for it.
/// Each round also asks for the recordings of ended attempts whose recording was never reported (a recording callback
/// lost while the server was down), once the attempt has been quiet for <see cref="ReconcilerOptions.StaleAfter"/>
/// and for at most <see cref="ReconcilerOptions.RecordingLookback"/> after it.
/// With several nodes on one database, the start-up sweep leaves alone the attempts of nodes that are alive (their dial
/// may still be in flight); a dead node's attempts are reconciled by the watchdog that reaps it (<see cref="ReconcileNodeAsync"/>).
/// </summary>
public sealed partial class Reconciler(
    ICallStore calls,
    CallChanges changes,
    TelephonyProviders providers,
    IProviderEventSink progress,
    INodeStore nodes,
    Nodes.NodeIdentity node,
    IOptions<ReconcilerOptions> options,
    IOptions<Nodes.NodeOptions> nodeOptions,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<Reconciler> log) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var startedAt = clock.GetUtcNow();
        try
        {
            await Task.Delay(Timeout.Infinite, lifetime.ApplicationStarted).ContinueWith(_ => { }, TaskScheduler.Default);
            // Everything open that this process has not touched belongs to an earlier process, or to another live node.
            var live = (await nodes.ListNodesAsync(stoppingToken))
                .Where(n => n.Id != node.Id && node.IsAlive(n, clock.GetUtcNow(), nodeOptions.Value.Timeout))
                .Select(n => n.Id)
                .ToHashSet(StringComparer.Ordinal);
            var stale = await calls.ListStaleAttemptsAsync(startedAt, 500, stoppingToken);
            await EachAsync([.. stale.Where(a => a.NodeId is null || !live.Contains(a.NodeId))], ReconcileAsync,
                (ex, id) => LogLookupFailed(log, ex, id), stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.Value.Interval, clock, stoppingToken);
                var quietSince = clock.GetUtcNow() - options.Value.StaleAfter;
                await RunOnceAsync(quietSince, stoppingToken);
                await RecoverRecordingsAsync(quietSince, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Looks up every open attempt last written before <paramref name="updatedBefore"/> (UTC); returns how many.</summary>
    public async Task<int> RunOnceAsync(DateTimeOffset updatedBefore, CancellationToken ct)
    {
        var stale = await calls.ListStaleAttemptsAsync(updatedBefore, 500, ct);
        await EachAsync(stale, ReconcileAsync, (ex, id) => LogLookupFailed(log, ex, id), ct);
        return stale.Count;
    }

    /// <summary>
    /// Reconciles now every open attempt dialed by node <paramref name="nodeId"/> (a node found dead), however recently it
    /// was updated; returns how many were looked up.
    /// </summary>
    public async Task<int> ReconcileNodeAsync(string nodeId, CancellationToken ct)
    {
        var open = (await calls.ListStaleAttemptsAsync(clock.GetUtcNow().AddSeconds(1), 5_000, ct)).Where(a => a.NodeId == nodeId).ToList();
        await EachAsync(open, ReconcileAsync, (ex, id) => LogLookupFailed(log, ex, id), ct);
        return open.Count;
    }

    /// <summary>Runs <paramref name="work"/> on each attempt; a failure is logged and left for the next round.</summary>
    private static async Task EachAsync(IReadOnlyList<Attempt> attempts, Func<Attempt, CancellationToken, Task> work,
        Action<Exception, string> logFailure, CancellationToken ct)
    {
        foreach (var attempt in attempts)
        {
            try
            {
                await work(attempt, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logFailure(ex, attempt.Id);
            }
        }
    }

    /// <summary>
    /// Asks the provider for the recording of every attempt that awaits one (<see cref="Attempt.AwaitsRecording"/>) and
    /// was last written before <paramref name="updatedBefore"/> (UTC) but within <see cref="ReconcilerOptions.RecordingLookback"/>:
    /// a recording found is stored on the attempt as its callback would have; none found is noted, so the attempt is
    /// not asked about again; a provider that cannot tell yet is asked again next round. Returns how many were asked.
    /// </summary>
    public async Task<int> RecoverRecordingsAsync(DateTimeOffset updatedBefore, CancellationToken ct)
    {
        var awaiting = await calls.ListAttemptsAwaitingRecordingAsync(clock.GetUtcNow() - options.Value.RecordingLookback, updatedBefore, 100, ct);
        await EachAsync(awaiting, RecoverRecordingAsync, (ex, id) => LogRecordingLookupFailed(log, ex, id), ct);
        return awaiting.Count;
    }

    private async Task RecoverRecordingAsync(Attempt attempt, CancellationToken ct)
    {
        if (providers.Find(attempt.Provider) is not { } provider)
        {
            return;
        }
        if (await provider.LookupRecordingAsync(attempt, ct) is { Length: > 0 } url)
        {
            // The same report a recording callback makes: the lowest kind, so it only records the URL.
            await progress.ApplyAsync(new ProviderEvent
            {
                Provider = attempt.Provider,
                ProviderCallId = attempt.ProviderCallId!,
                AttemptId = attempt.Id,
                Kind = ProviderEventKind.Initiated,
                Sequence = 0,
                At = clock.GetUtcNow(),
                RecordingUrl = url,
            }, ct);
            return;
        }
        if (await calls.GetAttemptAsync(attempt.Id, ct) is { AwaitsRecording: true } current)
        {
            var now = clock.GetUtcNow();
            await calls.TryUpdateAttemptAsync(current with { RecordingCheckedAt = now, UpdatedAt = now, Version = current.Version + 1 }, ct);
        }
    }

    private async Task ReconcileAsync(Attempt attempt, CancellationToken ct)
    {
        var provider = providers.Find(attempt.Provider);
        if (provider is null)
        {
            return;
        }
        var snapshot = await provider.LookupAsync(attempt, ct);
        if (snapshot is not null)
        {
            foreach (var report in snapshot.Events)
            {
                await progress.ApplyAsync(report with { AttemptId = attempt.Id }, ct);
            }
            // Refresh the attempt's clock so a long, quiet conversation is not looked up on every round.
            if (await calls.GetAttemptAsync(attempt.Id, ct) is { Status: not AttemptStatus.Completed } open && open.UpdatedAt <= attempt.UpdatedAt)
            {
                await calls.TryUpdateAttemptAsync(open with { UpdatedAt = clock.GetUtcNow(), Version = open.Version + 1 }, ct);
            }
            return;
        }
        if (attempt.ProviderCallId is not null)
        {
            LogVanished(log, attempt.Id);
            return;
        }
        await RequeueUnplacedAsync(attempt, ct);
    }

    private async Task RequeueUnplacedAsync(Attempt attempt, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var call = await calls.GetCallByIdAsync(attempt.CallId, ct);
        var closed = attempt with
        {
            Status = AttemptStatus.Completed,
            Outcome = CallOutcome.Error,
            ProviderStatus = "not_placed",
            Error = "the dial request never reached the provider",
            EndedAt = now,
            UpdatedAt = now,
            Version = attempt.Version + 1,
        };
        if (call is null || call.Status.IsTerminal() || call.AttemptCount != attempt.Number || !call.Status.IsActive())
        {
            await calls.TryUpdateAttemptAsync(closed, ct);
            return;
        }
        var again = call.AttemptCount < call.Retry.MaxAttempts + options.Value.MaxUnplacedRedials;
        var data = new JsonObject { ["attempt"] = attempt.Number, ["reason"] = "not_placed" };
        var change = new CallChange
        {
            CallId = call.Id,
            Expected = [call.Status],
            Next = again ? CallStatus.Scheduled : CallStatus.Ended,
            At = now,
            DueAt = again ? now : null,
            Outcome = again ? null : CallOutcome.Error,
            OutcomeDetail = again ? null : new OutcomeDetail(true, attempt.Provider, "not_placed", null, null, null, null),
            AttemptUpdate = closed,
            Events = [new NewCallEvent(again ? CallEventTypes.Scheduled : CallEventTypes.Ended, data)],
        };
        data["status"] = change.Next.ToWire();
        if (!again)
        {
            data["outcome"] = CallOutcome.Error.ToWire();
        }
        if (await changes.TryApplyAsync(change, ct))
        {
            Telemetry.OutdialTelemetry.ChangeApplied(change, attempt.Provider);
        }
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Reconciling attempt {AttemptId} failed; will retry next round")]
    private static partial void LogLookupFailed(ILogger logger, Exception ex, string attemptId);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Looking up the recording of attempt {AttemptId} failed; will retry next round")]
    private static partial void LogRecordingLookupFailed(ILogger logger, Exception ex, string attemptId);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Provider no longer knows attempt {AttemptId}; left open for inspection")]
    private static partial void LogVanished(ILogger logger, string attemptId);
}
