using System.Text.Json.Nodes;
using Outdial.Core.Calls;

namespace Outdial.Core.Intake;

/// <summary>
/// The one normalised "place this call" command every API (native and dialects) translates into.
/// Times are UTC; durations are seconds. Null means "not given" (defaults apply).
/// </summary>
public sealed record TriggerCommand
{
    public required string AccountId { get; init; }
    /// <summary>
    /// The caller's account as the API's gate already read it (one account read per request, shared with intake); null: intake
    /// reads it. Ignored unless its id is <see cref="AccountId"/>.
    /// </summary>
    public Accounts.Account? Account { get; init; }
    /// <summary>The callee: E.164, or a national number when <see cref="NationalCallingCode"/> is set.</summary>
    public required string? To { get; init; }
    /// <summary>
    /// The caller ID: a phone number of the account named by its id, its label, or its number (E.164, or national when
    /// <see cref="NationalCallingCode"/> is set), tried in that order. Null: the campaign's, agent's or account's number.
    /// </summary>
    public string? From { get; init; }
    /// <summary>
    /// A number of the account to call from when <see cref="From"/> is absent or names none of its numbers (seed 004 sends a
    /// <c>phoneNumberId</c> and a <c>fromPhoneNumber</c> beside it). Errors name <c>fromNumber</c>.
    /// </summary>
    public string? FromNumber { get; init; }
    /// <summary>
    /// The telephony provider the call must go out through (<c>sandbox</c>, <c>twilio</c>, <c>telnyx</c>, <c>plivo</c>): it must be
    /// configured on the server (else refused <c>provider_not_configured</c>) and the caller ID must be one of its numbers (else
    /// <c>provider_mismatch</c>); with no <see cref="From"/>, the agent's number when it is of that provider, else the
    /// account's first number of it. Null: the caller ID's own provider.
    /// </summary>
    public string? Provider { get; init; }
    /// <summary>
    /// A country calling code (1–3 digits) with which <see cref="To"/> and the numbers in <see cref="From"/> and
    /// <see cref="FromNumber"/> may be written nationally (<see cref="E164.FromNational"/>); null: they must be E.164.
    /// </summary>
    public string? NationalCallingCode { get; init; }
    /// <summary>
    /// The agent: its id, key or one of its external references (<see cref="Agents.Agent.ExternalRefs"/>), tried in that order.
    /// Null: the campaign's, phone number's or account's default agent.
    /// </summary>
    public string? AgentId { get; init; }
    /// <summary>
    /// <see cref="AgentId"/> comes from another vendor's system (a seed dialect's <c>ScenarioPath</c>, <c>projectId</c>,
    /// <c>agent_id</c>, <c>callTemplateId</c>): when it names no agent, the account's rule decides
    /// (<see cref="Accounts.Account.StrictAgentRefs"/>: the default agent, source <see cref="AgentSource.Fallback"/>, or refused
    /// <c>agent_not_found</c>). False (the native API): refused as a field error on <c>agentId</c>.
    /// </summary>
    public bool ForeignAgentRef { get; init; }
    /// <summary>The campaign the call belongs to: it inherits the campaign's agent, caller-ID pool, window, retry policy and DNC rule.</summary>
    public string? CampaignId { get; init; }
    /// <summary>
    /// A campaign named by name (1–200 characters; used when <see cref="CampaignId"/> is null): the account's campaign of that name,
    /// or, when none exists, a new one created active for the call's agent and caller ID with the campaign defaults, which
    /// never completes by itself (later requests add to it). An existing campaign is used as it is (a finished one refuses).
    /// </summary>
    public string? CampaignName { get; init; }
    /// <summary>
    /// The call's id is a bearer secret: it carries at least 122 random bits (<see cref="Common.Ids.NewSecret"/>) because an
    /// API answers it without credentials (seed 002's <c>/v2/callresult</c>).
    /// </summary>
    public bool SecretId { get; init; }
    /// <summary>The callee's IANA zone, when known; else derived from the number.</summary>
    public string? TimeZone { get; init; }
    /// <summary>The campaign contact this call is made for (set by the campaign runner).</summary>
    public string? ContactId { get; init; }
    /// <summary>A test call: left out of campaign statistics.</summary>
    public bool IsTest { get; init; }
    public JsonObject? Contact { get; init; }
    public IReadOnlyDictionary<string, string>? Variables { get; init; }
    public JsonObject? Metadata { get; init; }
    public DateTimeOffset? NotBefore { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool? Record { get; init; }
    public ConsentEvidence? Consent { get; init; }
    public int? RingTimeoutSec { get; init; }
    public int? MaxDurationSec { get; init; }
    public bool AllowDuplicates { get; init; }
    public int? MaxAttempts { get; init; }
    public IReadOnlyDictionary<CallOutcome, int>? RetryCooldownSec { get; init; }
    /// <summary>Per-call webhook destinations (checked against the SSRF guard at intake and again at connect time).</summary>
    public IReadOnlyList<CallWebhook>? Webhooks { get; init; }
    /// <summary>
    /// Insight questions for this call, answered from its transcript after it ends, added to the agent's own: at most
    /// <see cref="CallIntake.MaxInsightQuestions"/>, each valid by <see cref="Insights.InsightQuestion.Validate"/>.
    /// </summary>
    public IReadOnlyList<Insights.InsightQuestion>? InsightQuestions { get; init; }
    /// <summary>The call during which the callee asked for this one (set by the conversation engine's <c>schedule_callback</c>).</summary>
    public string? CallbackOf { get; init; }
    /// <summary>The sandbox's simulated callee (native API <c>sandbox</c>); ignored by real providers.</summary>
    public SimulatedCallee? Sandbox { get; init; }
    /// <summary>The Idempotency-Key header, if any, with the hash of the request it came with.</summary>
    public IdempotencyInput? Idempotency { get; init; }
}

/// <summary>
/// An Idempotency-Key and how to render the response to keep for it.
/// <paramref name="RenderResponse"/> gets the created call and returns the exact body of the 202 response.
/// </summary>
public sealed record IdempotencyInput(string Key, string RequestHash, Func<Call, string> RenderResponse);

/// <summary>What intake decided.</summary>
public abstract record IntakeResult
{
    private IntakeResult() { }

    /// <summary>Stored durably; <see cref="Call.Decision"/> says queued or scheduled.</summary>
    public sealed record Accepted(Call Call) : IntakeResult;

    /// <summary>The Idempotency-Key's original response, to be sent unchanged.</summary>
    public sealed record Replayed(int Status, string Body) : IntakeResult;

    /// <summary>
    /// Refused; nothing stored. <see cref="Code"/> is stable (e.g. <c>validation_failed</c>, <c>number_on_dnc</c>,
    /// <c>outside_calling_window</c>, <c>idempotency_key_reused</c>); <see cref="Errors"/> maps request fields to messages.
    /// </summary>
    public sealed record Refused(string Code, string Message, IReadOnlyDictionary<string, string[]> Errors) : IntakeResult;

    /// <summary>A pending or active call to the same number exists (409); nothing stored.</summary>
    public sealed record Duplicate(Call Existing) : IntakeResult;

    /// <summary>A request with the same Idempotency-Key is still being processed (409); nothing stored.</summary>
    public sealed record InFlight : IntakeResult;
}
