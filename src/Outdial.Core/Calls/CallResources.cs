using System.Text.Json.Nodes;
using Outdial.Core.Common;

namespace Outdial.Core.Calls;

// The call as the outside world sees it: the native API's responses and every webhook payload share these shapes.

/// <summary>Consent evidence as shown: <c>obtainedAt</c> in UTC.</summary>
public sealed record ConsentResource(bool Obtained, string? Source, DateTime? ObtainedAt, string? EvidenceUrl);

/// <summary>Raw codes behind an outcome.</summary>
public sealed record OutcomeDetailResource(bool Retryable, string? Provider, string? ProviderStatus, int? SipCode, int? Q850Code, string? AnsweredBy, int? DurationSec);

/// <summary>What intake decided: <c>queued</c> now or <c>scheduled</c> for <c>scheduledFor</c> (UTC).</summary>
public sealed record DecisionResource(string Action, DateTime ScheduledFor, string? Reason);

/// <summary>Retry policy of a call.</summary>
public sealed record RetryResource(int MaxAttempts, Dictionary<string, int> CooldownSec)
{
    /// <summary>Outcomes that end the contact without a retry (campaign policies); null = the default retryable set.</summary>
    public IReadOnlyList<string>? EndOn { get; init; }
}

/// <summary>A per-call webhook as shown: the secret itself is never returned.</summary>
public sealed record CallWebhookResource(string Url, IReadOnlyList<string>? Events, bool HasSecret);

/// <summary>The call resource of the native API. Times are UTC (ISO-8601, <c>Z</c>).</summary>
public sealed record CallResource(
    string Id,
    string Status,
    string? Outcome,
    OutcomeDetailResource? OutcomeDetail,
    string? StatusReason,
    string To,
    string From,
    string? PhoneNumberId,
    string Provider,
    string AgentId,
    string AgentSource,
    string? CampaignId,
    JsonObject Contact,
    IReadOnlyDictionary<string, string> Variables,
    JsonObject? Metadata,
    DateTime? NotBefore,
    DateTime? ExpiresAt,
    bool Record,
    ConsentResource? Consent,
    int RingTimeoutSec,
    int MaxDurationSec,
    RetryResource Retry,
    bool AllowDuplicates,
    int AttemptCount,
    DecisionResource Decision,
    DateTime? ScheduledFor,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? EndedAt,
    IReadOnlyList<CallWebhookResource>? Webhooks)
{
    /// <summary>The callee's IANA zone when the request or contact gave one.</summary>
    public string? TimeZone { get; init; }
    /// <summary>The agent reference as the request gave it (with <c>agentSource</c> <c>fallback</c>: the one that named no agent); absent when none was given.</summary>
    public string? AgentRef { get; init; }
    /// <summary>The campaign contact the call was made for.</summary>
    public string? ContactId { get; init; }
    /// <summary>The consent record that justified the call (accounts requiring consent records).</summary>
    public string? ConsentRecordId { get; init; }
    /// <summary>A test call (left out of campaign statistics).</summary>
    public bool IsTest { get; init; }
    /// <summary>Audit trail: every eligibility decision (intake, dial-time re-checks, retries), oldest first.</summary>
    public IReadOnlyList<Compliance.CallDecision> Decisions { get; init; } = [];
    /// <summary>Questions answered from the transcript after the call (the agent's, then the request's); absent when none.</summary>
    public IReadOnlyList<Insights.InsightQuestion>? InsightQuestions { get; init; }
    /// <summary>The call during which the callee asked for this one (a callback); absent otherwise.</summary>
    public string? CallbackOf { get; init; }
    /// <summary>The sandbox's simulated callee, as the request gave it; absent otherwise.</summary>
    public SimulatedCallee? Sandbox { get; init; }

    /// <summary>Maps the stored call to its API shape.</summary>
    public static CallResource Of(Call c) => new(
        c.Id,
        c.Status.ToWire(),
        c.Outcome?.ToWire(),
        c.OutcomeDetail is { } d
            ? new OutcomeDetailResource(d.Retryable, d.Provider, d.ProviderStatus, d.SipCode, d.Q850Code, d.AnsweredBy is { } answeredBy ? WireNames.Of(answeredBy) : null, d.DurationSec)
            : null,
        c.StatusReason,
        c.To,
        c.From,
        c.PhoneNumberId,
        c.Provider,
        c.AgentId,
        c.AgentSource switch
        {
            Core.Calls.AgentSource.Request => "request",
            Core.Calls.AgentSource.Campaign => "campaign",
            Core.Calls.AgentSource.PhoneNumber => "phone_number",
            Core.Calls.AgentSource.ExternalRef => "external_ref",
            Core.Calls.AgentSource.Fallback => "fallback",
            _ => "account_default",
        },
        c.CampaignId,
        c.Contact,
        c.Variables,
        c.Metadata,
        c.NotBefore?.UtcDateTime,
        c.ExpiresAt?.UtcDateTime,
        c.Record,
        c.Consent is { } consent ? new ConsentResource(consent.Obtained, consent.Source, consent.ObtainedAt?.UtcDateTime, consent.EvidenceUrl) : null,
        c.RingTimeoutSec,
        c.MaxDurationSec,
        new RetryResource(c.Retry.MaxAttempts, c.Retry.CooldownSec.ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value, StringComparer.Ordinal))
        {
            EndOn = c.Retry.EndOn?.Select(o => o.ToWire()).ToList(),
        },
        c.AllowDuplicates,
        c.AttemptCount,
        new DecisionResource(c.Decision.Action, c.Decision.ScheduledFor.UtcDateTime, c.Decision.Reason),
        c.Status.IsPending() ? c.DueAt.UtcDateTime : null,
        c.CreatedAt.UtcDateTime,
        c.UpdatedAt.UtcDateTime,
        c.EndedAt?.UtcDateTime,
        c.Webhooks.Count == 0 ? null : [.. c.Webhooks.Select(w => new CallWebhookResource(w.Url, w.Events, w.Secret is not null))])
    {
        TimeZone = c.TimeZone,
        AgentRef = c.AgentRef,
        ContactId = c.ContactId,
        ConsentRecordId = c.ConsentRecordId,
        IsTest = c.IsTest,
        Decisions = c.Decisions,
        InsightQuestions = c.InsightQuestions.Count == 0 ? null : c.InsightQuestions,
        CallbackOf = c.CallbackOf,
        Sandbox = c.Sandbox,
    };
}

/// <summary>One dial. Times UTC; <c>durationSec</c> is connected seconds.</summary>
public sealed record AttemptResource(
    string Id, int Number, string Provider, string? ProviderCallId, string Status, string? Outcome, string? AnsweredBy,
    int? SipCode, int? Q850Code, string? ProviderStatus, string? Error, string To, string From,
    DateTime CreatedAt, DateTime? RingingAt, DateTime? AnsweredAt, DateTime? EndedAt, int? DurationSec)
{
    /// <summary>URL of the provider's recording of this attempt (e.g. Twilio's <c>RecordingUrl</c>), once reported; absent otherwise.</summary>
    public string? RecordingUrl { get; init; }

    /// <summary>The provider's raw values from its latest status report, names as the provider sends them (e.g. Twilio's <c>CallStatus</c>, <c>SipResponseCode</c>); absent when none.</summary>
    public IReadOnlyDictionary<string, string>? ProviderRaw { get; init; }

    /// <summary>The attempt's conversation: method, model, end reason, turns, token usage, failures, transfer, opt-out, callbacks, disclosures; absent when none ran.</summary>
    public Conversation.ConversationSummary? Conversation { get; init; }

    public static AttemptResource Of(Attempt a) => new(
        a.Id, a.Number, a.Provider, a.ProviderCallId,
        WireNames.Of(a.Status),
        a.Outcome?.ToWire(), a.AnsweredBy is { } by ? WireNames.Of(by) : null, a.SipCode, a.Q850Code, a.ProviderStatus, a.Error,
        a.To, a.From, a.CreatedAt.UtcDateTime, a.RingingAt?.UtcDateTime, a.AnsweredAt?.UtcDateTime, a.EndedAt?.UtcDateTime, a.DurationSec)
    {
        RecordingUrl = a.RecordingUrl,
        ProviderRaw = a.ProviderRaw,
        Conversation = a.Conversation,
    };
}

