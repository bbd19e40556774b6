using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Outdial.Core.Storage;
using Outdial.Core.Telephony;

namespace Outdial.Core.Calls;

/// <summary>Result of <see cref="CallCommands.CancelAsync"/>.</summary>
public enum CancelOutcome
{
    Canceled,
    /// <summary>Was already canceled: cancel is idempotent.</summary>
    AlreadyCanceled,
    /// <summary>Ended, expired or blocked before the cancel: nothing to cancel (409).</summary>
    NotCancelable,
    NotFound,
}

/// <summary>Commands on existing calls.</summary>
public sealed partial class CallCommands(ICallStore calls, CallChanges changes, TelephonyProviders providers, TimeProvider clock, ILogger<CallCommands> log)
{
    /// <summary>
    /// Cancels a pending or active call. An active call's provider leg is hung up after the cancel is stored;
    /// its attempt still records what the provider reports. Returns the call as it is afterwards.
    /// </summary>
    /// <param name="reason">Recorded as the call's status reason (default <c>canceled_by_request</c>; a canceled campaign uses <c>campaign_canceled</c>).</param>
    public async Task<(CancelOutcome Outcome, Call? Call)> CancelAsync(string accountId, string callId, CancellationToken ct, string reason = "canceled_by_request")
    {
        while (true)
        {
            var call = await calls.GetCallAsync(accountId, callId, ct);
            if (call is null)
            {
                return (CancelOutcome.NotFound, null);
            }
            if (call.Status == CallStatus.Canceled)
            {
                return (CancelOutcome.AlreadyCanceled, call);
            }
            if (call.Status.IsTerminal())
            {
                return (CancelOutcome.NotCancelable, call);
            }
            var applied = await changes.TryApplyAsync(new CallChange
            {
                CallId = call.Id,
                Expected = [call.Status],
                Next = CallStatus.Canceled,
                At = clock.GetUtcNow(),
                StatusReason = reason,
                Events = [new NewCallEvent(CallEventTypes.Canceled, new JsonObject
                {
                    ["status"] = CallStatus.Canceled.ToWire(),
                    ["previousStatus"] = call.Status.ToWire(),
                })],
            }, ct);
            if (!applied)
            {
                continue;
            }
            if (call.Status.IsActive())
            {
                await HangUpCurrentAttemptAsync(call, ct);
            }
            return (CancelOutcome.Canceled, await calls.GetCallAsync(accountId, callId, ct));
        }
    }

    /// <summary>Asks the provider to end the call's latest attempt; failures are logged and left to the reconciler.</summary>
    public async Task HangUpCurrentAttemptAsync(Call call, CancellationToken ct)
    {
        var attempts = await calls.ListAttemptsAsync(call.Id, ct);
        var current = attempts.Count > 0 ? attempts[^1] : null;
        if (current?.ProviderCallId is not { } pcid || current.Status == AttemptStatus.Completed)
        {
            return; // The dial task hangs up once it learns the provider id (it re-reads the call).
        }
        try
        {
            var provider = providers.Find(current.Provider);
            if (provider is not null)
            {
                await provider.HangUpAsync(pcid, ct);
            }
        }
        catch (Exception ex)
        {
            LogHangUpFailed(log, ex, call.Id);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Hang-up of call {CallId} failed; the provider's own limits end it")]
    private static partial void LogHangUpFailed(ILogger logger, Exception ex, string callId);
}
