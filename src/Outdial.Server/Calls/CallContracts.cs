using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Outdial.Core.Calls;
using Outdial.Core.Common;

namespace Outdial.Server.Calls;

/// <summary>Consent evidence: <c>obtainedAt</c> is ISO-8601 with an offset.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConsentRequest(bool Obtained, string? Source, string? ObtainedAt, string? EvidenceUrl);

/// <summary>
/// Body of <c>POST /v1/calls</c>. Times are ISO-8601 strings with an explicit offset (stored as UTC); durations are
/// seconds. Unknown fields are refused (400) so that typos do not pass silently.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateCallRequest
{
    /// <summary>Callee, strict E.164.</summary>
    public string? To { get; init; }
    /// <summary>Phone number id or E.164 caller ID the account owns.</summary>
    public string? From { get; init; }
    /// <summary>Agent id or key; else the phone number's agent, else the account default.</summary>
    public string? AgentId { get; init; }
    public JsonObject? Contact { get; init; }
    /// <summary>Prompt variables: strings, numbers or booleans.</summary>
    public Dictionary<string, JsonElement>? Variables { get; init; }
    /// <summary>Echoed wherever the call is reported; at most 16 KB.</summary>
    public JsonObject? Metadata { get; init; }
    public string? NotBefore { get; init; }
    public string? ExpiresAt { get; init; }
    public bool? Record { get; init; }
    public ConsentRequest? Consent { get; init; }
    public int? RingTimeoutSec { get; init; }
    public int? MaxDurationSec { get; init; }
    public bool? AllowDuplicates { get; init; }
    /// <summary>Total dials allowed (1–10); default the agent's retry policy, else 1.</summary>
    public int? MaxAttempts { get; init; }
    /// <summary>Seconds to wait after an outcome before retrying, by outcome name (busy, no_answer, voicemail, unreachable, error).</summary>
    public Dictionary<string, int>? RetryCooldownSec { get; init; }
}

/// <summary>Consent evidence as shown: <c>obtainedAt</c> in UTC.</summary>
public sealed record ConsentResource(bool Obtained, string? Source, DateTime? ObtainedAt, string? EvidenceUrl);

/// <summary>Raw codes behind an outcome.</summary>
public sealed record OutcomeDetailResource(bool Retryable, string? Provider, string? ProviderStatus, int? SipCode, int? Q850Code, string? AnsweredBy, int? DurationSec);

/// <summary>What intake decided: <c>queued</c> now or <c>scheduled</c> for <c>scheduledFor</c> (UTC).</summary>
public sealed record DecisionResource(string Action, DateTime ScheduledFor, string? Reason);

/// <summary>Retry policy of a call.</summary>
public sealed record RetryResource(int MaxAttempts, Dictionary<string, int> CooldownSec);

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
    DateTime? EndedAt)
{
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
        new RetryResource(c.Retry.MaxAttempts, c.Retry.CooldownSec.ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value, StringComparer.Ordinal)),
        c.AllowDuplicates,
        c.AttemptCount,
        new DecisionResource(c.Decision.Action, c.Decision.ScheduledFor.UtcDateTime, c.Decision.Reason),
        c.Status.IsPending() ? c.DueAt.UtcDateTime : null,
        c.CreatedAt.UtcDateTime,
        c.UpdatedAt.UtcDateTime,
        c.EndedAt?.UtcDateTime);
}

/// <summary>One page of calls; pass <c>nextCursor</c> as <c>cursor</c> for the next page (null on the last page).</summary>
public sealed record CallPage(IReadOnlyList<CallResource> Data, string? NextCursor);

/// <summary>A lifecycle event. <c>sequence</c> starts at 1 and increases by one per call.</summary>
public sealed record CallEventResource(string Id, string CallId, long Sequence, string Type, DateTime At, JsonObject Data);

/// <summary>One dial. Times UTC; <c>durationSec</c> is connected seconds.</summary>
public sealed record AttemptResource(
    string Id, int Number, string Provider, string? ProviderCallId, string Status, string? Outcome, string? AnsweredBy,
    int? SipCode, int? Q850Code, string? ProviderStatus, string? Error, string To, string From,
    DateTime CreatedAt, DateTime? RingingAt, DateTime? AnsweredAt, DateTime? EndedAt, int? DurationSec)
{
    public static AttemptResource Of(Attempt a) => new(
        a.Id, a.Number, a.Provider, a.ProviderCallId,
        WireNames.Of(a.Status),
        a.Outcome?.ToWire(), a.AnsweredBy is { } by ? WireNames.Of(by) : null, a.SipCode, a.Q850Code, a.ProviderStatus, a.Error,
        a.To, a.From, a.CreatedAt.UtcDateTime, a.RingingAt?.UtcDateTime, a.AnsweredAt?.UtcDateTime, a.EndedAt?.UtcDateTime, a.DurationSec);
}

/// <summary>Parsing of ISO-8601 instants given as strings.</summary>
public static class Instants
{
    /// <summary>
    /// Parses an ISO-8601 date-time that carries an offset (<c>Z</c> or <c>±hh:mm</c>) and returns it in UTC.
    /// Times without an offset are refused: they would silently mean the server's zone.
    /// </summary>
    public static bool TryParseUtc(string text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 20 || !(text.EndsWith('Z') || text[^6] is '+' or '-'))
        {
            return false;
        }
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return false;
        }
        value = parsed.ToUniversalTime();
        return true;
    }

    public const string Rule = "must be an ISO-8601 date-time with an offset, e.g. 2026-11-21T15:00:00Z";
}
