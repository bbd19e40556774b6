using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Outdial.Core.Compliance;
using Outdial.Core.Insights;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Calls;

/// <summary>
/// Applies changes to calls: reads the stored call (with its version and lease), decides the write with
/// <see cref="CallTransition"/>, and has the store persist it fenced on the version it read. A write that loses a race
/// (another write of the same call committed in between, on this node or another) is decided again from a fresh read, so
/// every caller sees the state machine applied to the call as it is. Wakes this node's webhook deliverer when a write
/// queued deliveries.
/// </summary>
public sealed partial class CallChanges(ICallStore calls, IWebhookStore webhooks, IInsightStore insights, OutboxSignal? signal = null,
    ILogger<CallChanges>? log = null)
{
    /// <summary>How many times a write that lost a race is decided again before giving up (false).</summary>
    public const int MaxRaces = 16;

    private readonly ILogger _log = log ?? NullLogger<CallChanges>.Instance;

    /// <summary>
    /// Applies <paramref name="change"/> when its conditions hold (status in <see cref="CallChange.Expected"/>, lease, the
    /// attempt's version); false, with nothing written, when they do not or the call does not exist.
    /// </summary>
    /// <exception cref="InvalidOperationException">The change asks for a transition the state machine forbids.</exception>
    public async Task<bool> TryApplyAsync(CallChange change, CancellationToken ct) => await ApplyAsync(change, ct) == CallWriteResult.Written;

    /// <summary>
    /// Like <see cref="TryApplyAsync"/>, saying why nothing was written: <see cref="CallWriteResult.AtCapacity"/> when the
    /// change's <see cref="CallChange.Capacity"/> limits are reached, else <see cref="CallWriteResult.Refused"/> (conditions
    /// unmet, call missing, or the race lost <see cref="MaxRaces"/> times).
    /// </summary>
    /// <exception cref="InvalidOperationException">The change asks for a transition the state machine forbids.</exception>
    public async Task<CallWriteResult> ApplyAsync(CallChange change, CancellationToken ct)
    {
        for (var race = 0; race < MaxRaces; race++)
        {
            var current = await calls.GetStoredCallAsync(change.CallId, ct);
            if (current is null)
            {
                return CallWriteResult.Refused;
            }
            if (!change.Expected.Contains(current.Call.Status))
            {
                return CallWriteResult.Refused;
            }
            var endpoints = await EndpointsAsync(current.Call, change.Events.Count, ct);
            var attempt = CallTransition.NeedsStoredAttempt(current.Call, change, endpoints) ? await LatestAttemptAsync(current.Call.Id, ct) : null;
            if (CallTransition.Apply(current, change, endpoints, attempt) is not { } write)
            {
                return CallWriteResult.Refused;
            }
            var result = await calls.TryWriteAsync(write, ct);
            switch (result)
            {
                case CallWriteResult.Written:
                    Notify(write);
                    return CallWriteResult.Written;
                case CallWriteResult.Refused or CallWriteResult.AtCapacity:
                    return result;
            }
        }
        LogGaveUp(_log, change.CallId, MaxRaces);
        return CallWriteResult.Refused;
    }

    /// <summary>
    /// Hands a claimed call back (fenced on <paramref name="leaseToken"/>), due again at <paramref name="dueAt"/> (UTC), with
    /// <paramref name="decision"/> (a dial-time deferral) appended to its audit trail; false when the lease was lost.
    /// </summary>
    public async Task<bool> ReleaseLeaseAsync(string callId, string leaseToken, DateTimeOffset dueAt, CancellationToken ct, CallDecision? decision = null)
    {
        for (var race = 0; race < MaxRaces; race++)
        {
            var current = await calls.GetStoredCallAsync(callId, ct);
            if (current is null || CallTransition.Release(current, leaseToken, dueAt, decision) is not { } write)
            {
                return false;
            }
            switch (await calls.TryWriteAsync(write, ct))
            {
                case CallWriteResult.Written:
                    return true;
                case CallWriteResult.Refused:
                    return false;
            }
        }
        LogGaveUp(_log, callId, MaxRaces);
        return false;
    }

    /// <summary>
    /// Stores a finished analysis fenced on its lease and, when <paramref name="announce"/> is given, appends that event to
    /// the analysis's call in the same transaction (its deliveries planned with it). False when the lease was lost.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="analysis"/> is still running.</exception>
    public async Task<bool> FinishAnalysisAsync(InsightAnalysis analysis, string leaseToken, NewCallEvent? announce, CancellationToken ct)
    {
        for (var race = 0; race < MaxRaces; race++)
        {
            CallWrite? write = null;
            if (announce is not null)
            {
                var current = await calls.GetStoredCallAsync(analysis.CallId, ct)
                    ?? throw new InvalidOperationException($"call {analysis.CallId} of analysis {analysis.Id} does not exist");
                var endpoints = await EndpointsAsync(current.Call, 1, ct);
                var attempt = CallTransition.Subscribed(current.Call, endpoints) ? await LatestAttemptAsync(current.Call.Id, ct) : null;
                write = CallTransition.AppendEvent(current, announce, analysis.UpdatedAt, endpoints, attempt);
            }
            switch (await insights.FinishAnalysisAsync(analysis, leaseToken, write, ct))
            {
                case CallWriteResult.Written:
                    Notify(write);
                    return true;
                case CallWriteResult.Refused:
                    return false;
            }
        }
        LogGaveUp(_log, analysis.CallId, MaxRaces);
        return false;
    }

    /// <summary>The account's endpoints, read only when the change has events to deliver.</summary>
    private async Task<IReadOnlyList<WebhookEndpoint>> EndpointsAsync(Call call, int events, CancellationToken ct) =>
        events == 0 ? [] : await webhooks.ListEndpointsAsync(call.AccountId, ct);

    private async Task<Attempt?> LatestAttemptAsync(string callId, CancellationToken ct)
    {
        var attempts = await calls.ListAttemptsAsync(callId, ct);
        return attempts.Count > 0 ? attempts[^1] : null;
    }

    private void Notify(CallWrite? write)
    {
        if (write is { Deliveries.Count: > 0 })
        {
            signal?.Notify();
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Call {CallId}: a change lost the race to other writes {Races} times in a row; not applied")]
    private static partial void LogGaveUp(ILogger logger, string callId, int races);
}
