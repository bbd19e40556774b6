using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.Insights;
using Outdial.Core.Storage;

namespace Outdial.Core.Telephony;

/// <summary>
/// Applies provider reports to attempts and calls through the state machine (ARCHITECTURE §3.3): repeated,
/// late or out-of-order reports never move anything backwards; a completed attempt either schedules the
/// next attempt (retry policy) or ends the call with its outcome. Every write is conditional; a lost race is
/// re-read and re-applied.
/// </summary>
public sealed partial class CallProgress(
    ICallStore calls,
    CallChanges changes,
    IAgentStore agents,
    IAccountStore accounts,
    ICampaignStore campaigns,
    ComplianceChecker compliance,
    IOptions<InsightOptions> insights,
    IOptions<Conversation.LlmOptions> llm,
    TimeProvider clock,
    ILogger<CallProgress> log) : IProviderEventSink
{
    private const int MaxRaces = 8;

    /// <inheritdoc />
    public async Task ApplyAsync(ProviderEvent report, CancellationToken ct)
    {
        for (var race = 0; race < MaxRaces; race++)
        {
            var attempt = report.AttemptId is { } id
                ? await calls.GetAttemptAsync(id, ct)
                : await calls.FindAttemptByProviderCallIdAsync(report.Provider, report.ProviderCallId, ct);
            if (attempt is null)
            {
                LogUnknownCall(log, report.Provider, report.ProviderCallId);
                return;
            }
            var now = clock.GetUtcNow();
            var next = Advance(attempt, report, now);
            if (next is null)
            {
                return;
            }
            var call = await calls.GetCallByIdAsync(attempt.CallId, ct) ?? throw new InvalidOperationException($"attempt {attempt.Id} has no call");
            var change = await CallChangeForAsync(call, attempt, next, now, ct);
            var applied = change is null
                ? await calls.TryUpdateAttemptAsync(next, ct)
                : await changes.TryApplyAsync(change, ct);
            if (applied)
            {
                if (change is not null)
                {
                    Telemetry.OutdialTelemetry.ChangeApplied(change, attempt.Provider);
                }
                return;
            }
        }
        LogGaveUp(log, report.Provider, report.ProviderCallId);
    }

    /// <summary>The attempt after <paramref name="report"/>, or null when the report adds nothing (duplicate or stale).</summary>
    public static Attempt? Advance(Attempt attempt, ProviderEvent report, DateTimeOffset now)
    {
        var current = Rank(attempt.Status);
        var target = report.Kind switch
        {
            ProviderEventKind.Initiated => 0,
            ProviderEventKind.Ringing => 1,
            ProviderEventKind.Answered => 2,
            _ => 3,
        };
        var learnsId = attempt.ProviderCallId is null && !string.IsNullOrEmpty(report.ProviderCallId);
        var learnsRecording = report.RecordingUrl is { Length: > 0 } url && url != attempt.RecordingUrl;
        // An asynchronous AMD verdict usually arrives after the answer was reported with "unknown": it refines who answered.
        var learnsAnsweredBy = report is { Kind: ProviderEventKind.Answered, AnsweredBy: AnsweredBy.Human or AnsweredBy.Machine }
            && attempt is { Status: AttemptStatus.InProgress, AnsweredBy: null or AnsweredBy.Unknown };
        if (target <= current && !learnsId && !learnsRecording && !learnsAnsweredBy)
        {
            return null;
        }
        var next = attempt with
        {
            ProviderCallId = attempt.ProviderCallId ?? report.ProviderCallId,
            UpdatedAt = now,
            Version = attempt.Version + 1,
            ProviderStatus = report.ProviderStatus ?? attempt.ProviderStatus,
            RecordingUrl = learnsRecording ? report.RecordingUrl : attempt.RecordingUrl,
        };
        if (target <= current)
        {
            return next with
            {
                ProviderStatus = attempt.ProviderStatus,
                AnsweredBy = learnsAnsweredBy ? report.AnsweredBy : attempt.AnsweredBy,
            };
        }
        next = next with { ProviderRaw = report.Raw ?? attempt.ProviderRaw };
        return report.Kind switch
        {
            ProviderEventKind.Ringing => next with { Status = AttemptStatus.Ringing, RingingAt = report.At },
            ProviderEventKind.Answered => next with
            {
                Status = AttemptStatus.InProgress,
                AnsweredAt = report.At,
                AnsweredBy = report.AnsweredBy ?? AnsweredBy.Unknown,
            },
            ProviderEventKind.Completed => next with
            {
                Status = AttemptStatus.Completed,
                // A provider may report the end without repeating an AMD verdict it gave earlier (Twilio's async AMD):
                // the attempt's verdict then decides between answered and voicemail.
                Outcome = report.Outcome ?? OutcomeMapper.Map(report.EndStatus ?? CallEndStatus.Failed,
                    report.AnsweredBy ?? attempt.AnsweredBy, report.SipCode, report.Q850Code),
                AnsweredBy = report.AnsweredBy ?? attempt.AnsweredBy,
                SipCode = report.SipCode,
                Q850Code = report.Q850Code,
                DurationSec = report.DurationSec,
                Error = report.Error ?? attempt.Error,
                EndedAt = report.At,
            },
            _ => next,
        };
    }

    private async Task<CallChange?> CallChangeForAsync(Call call, Attempt before, Attempt next, DateTimeOffset now, CancellationToken ct)
    {
        // A report about an older attempt, or about a call that was canceled meanwhile, only updates the attempt.
        if (call.Status.IsTerminal() || call.AttemptCount != next.Number || !call.Status.IsActive())
        {
            return null;
        }
        var data = new JsonObject { ["attempt"] = next.Number };
        switch (next.Status)
        {
            case AttemptStatus.Ringing when before.Status == AttemptStatus.Dialing && call.Status == CallStatus.Dialing:
                return Change(call, next, now, CallStatus.Ringing, CallEventTypes.Ringing, data);
            case AttemptStatus.InProgress when call.Status is CallStatus.Dialing or CallStatus.Ringing:
                data["answeredBy"] = WireNames.Of(next.AnsweredBy ?? AnsweredBy.Unknown);
                return Change(call, next, now, CallStatus.InProgress,
                    next.AnsweredBy == AnsweredBy.Machine ? CallEventTypes.Voicemail : CallEventTypes.Answered, data);
            case AttemptStatus.Completed:
                return await CompletionAsync(call, next, now, ct);
            default:
                return null;
        }
    }

    private async Task<CallChange> CompletionAsync(Call call, Attempt attempt, DateTimeOffset now, CancellationToken ct)
    {
        var outcome = attempt.Outcome ?? CallOutcome.Error;
        var detail = new OutcomeDetail(outcome.IsRetryable(), attempt.Provider, attempt.ProviderStatus, attempt.SipCode,
            attempt.Q850Code, attempt.AnsweredBy, attempt.DurationSec);
        var data = new JsonObject
        {
            ["attempt"] = attempt.Number,
            ["outcome"] = outcome.ToWire(),
            ["sipCode"] = attempt.SipCode,
            ["q850Code"] = attempt.Q850Code,
            ["providerStatus"] = attempt.ProviderStatus,
            ["durationSec"] = attempt.DurationSec,
        };
        // A campaign's retry policy and auto-DNC outcomes are read now, so edits apply to calls not yet redialed.
        var campaign = call.CampaignId is { } cid ? await campaigns.GetCampaignByIdAsync(cid, ct) : null;
        var policy = campaign?.Retry ?? call.Retry;
        DncEntry? autoDnc = null;
        if (campaign is not null && campaign.AutoDncOutcomes.Contains(outcome))
        {
            autoDnc = new DncEntry(call.AccountId, call.To, "outcome:" + outcome.ToWire(), "campaign:" + campaign.Id, OptOut: false, now);
        }
        else if (policy.ShouldRetry(outcome, attempt.Number) && campaign is not { IsFinished: true }
            && await accounts.GetAccountAsync(call.AccountId, ct) is { } account)
        {
            var agent = await agents.GetAgentAsync(call.AccountId, call.AgentId, ct, includeDeleted: true);
            var check = await compliance.CheckAsync(ComplianceSubject.ForCall(call, account, agent, campaign) with
            {
                Earliest = now + policy.CooldownAfter(outcome),
                EarliestCode = "retry_cooldown",
            }, now, ct);
            if (check.Verdict is { Action: EligibilityAction.Defer or EligibilityAction.Dial, NextEligibleAt: { } due })
            {
                data["reason"] = "retry";
                data["scheduledFor"] = due;
                return Change(call, attempt, now, CallStatus.Scheduled, CallEventTypes.Scheduled, data) with
                {
                    DueAt = due,
                    Outcome = outcome,
                    OutcomeDetail = detail,
                    Decision = new CallDecision(now, "retry", "scheduled", due, check.Verdict.Reasons),
                };
            }
            data["retryRefused"] = check.Verdict.Reasons.Count > 0 ? check.Verdict.Reasons[0].Code : null;
        }
        // The analysis is created with the end, in one transaction: no ended call is left unanalysed.
        var callAgent = await agents.GetAgentAsync(call.AccountId, call.AgentId, ct, includeDeleted: true);
        return Change(call, attempt, now, CallStatus.Ended, CallEventTypes.Ended, data) with
        {
            Outcome = outcome,
            OutcomeDetail = detail,
            AddDnc = autoDnc,
            NewAnalysis = InsightJobs.ForEndedCall(call, callAgent, outcome, now, insights.Value.SettleDelay, llm.Value.Configured),
        };
    }

    private static CallChange Change(Call call, Attempt attempt, DateTimeOffset now, CallStatus next, string type, JsonObject data)
    {
        data["status"] = next.ToWire();
        return new CallChange
        {
            CallId = call.Id,
            Expected = [call.Status],
            Next = next,
            At = now,
            AttemptUpdate = attempt,
            Events = [new NewCallEvent(type, data)],
        };
    }

    private static int Rank(AttemptStatus s) => s switch
    {
        AttemptStatus.Dialing => 0,
        AttemptStatus.Ringing => 1,
        AttemptStatus.InProgress => 2,
        _ => 3,
    };


    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Report for unknown {Provider} call {ProviderCallId} ignored")]
    private static partial void LogUnknownCall(ILogger logger, string provider, string providerCallId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Report for {Provider} call {ProviderCallId} lost every write race; the reconciler will retry")]
    private static partial void LogGaveUp(ILogger logger, string provider, string providerCallId);
}
