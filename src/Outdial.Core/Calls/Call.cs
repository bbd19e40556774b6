using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Outdial.Core.Compliance;
using Outdial.Core.Insights;

namespace Outdial.Core.Calls;

/// <summary>
/// How the call's agent was chosen (ARCHITECTURE §3.1): explicit → campaign → phone number → account default. Wire names:
/// <c>request</c>, <c>campaign</c>, <c>phone_number</c>, <c>account_default</c>, <c>external_ref</c>, <c>fallback</c>.
/// </summary>
public enum AgentSource
{
    /// <summary>The request named the agent by id or key.</summary>
    Request,
    /// <summary>The campaign's agent.</summary>
    Campaign,
    /// <summary>The agent of the caller ID's phone number.</summary>
    PhoneNumber,
    /// <summary>The request named none; the account's default agent.</summary>
    AccountDefault,
    /// <summary>The request's reference is one of the agent's <see cref="Agents.Agent.ExternalRefs"/>.</summary>
    ExternalRef,
    /// <summary>
    /// The request's reference named no agent and the account is not strict (<see cref="Accounts.Account.StrictAgentRefs"/>):
    /// the account's default agent; <see cref="Call.AgentRef"/> keeps the reference.
    /// </summary>
    Fallback,
}

/// <summary>Consent evidence given with a call. <see cref="ObtainedAt"/> is UTC.</summary>
public sealed record ConsentEvidence(bool Obtained, string? Source, DateTimeOffset? ObtainedAt, string? EvidenceUrl);

/// <summary>What intake decided: dial as soon as possible (<c>queued</c>) or at <see cref="ScheduledFor"/> (UTC).</summary>
/// <param name="Action"><c>queued</c> or <c>scheduled</c>.</param>
/// <param name="Reason">Why it was scheduled: <c>not_before</c> or <c>outside_calling_window</c>; null when queued.</param>
public sealed record IntakeDecision(string Action, DateTimeOffset ScheduledFor, string? Reason);

/// <summary>
/// A per-call webhook destination. <see cref="Events"/> null means every event type. <see cref="Secret"/> null means the
/// account's default signing secret; a <c>whsec_</c> secret is a Standard Webhooks key, any other string is used raw.
/// The secret is never shown by the API.
/// </summary>
/// <param name="Format">
/// Null: Outdial's Standard Webhooks payload of every matching event. Otherwise the name of a body format a dialect
/// registers (an <see cref="Webhooks.ICallWebhookFormatter"/>, e.g. a seed's own result push): each matching event is
/// still written to the outbox as its standard payload, and the formatter turns it into the body when it is sent.
/// Calls stored before formats were names carry the old enum's value: <c>"standard"</c> is read as null, any other name
/// is kept as written (<see cref="CallWebhookFormatJsonConverter"/>).
/// </param>
/// <param name="BatchIntervalSec">
/// 0 sends each event at once. Otherwise (seconds) its delivery waits for the next multiple of the interval since the
/// Unix epoch (<see cref="Webhooks.WebhookBatching.NextBatchAt"/>); with a <paramref name="Format"/>, the deliveries then
/// due for the same account, URL, format and secret go out in one POST rendered by the formatter. Without a format each
/// event is still sent alone (a Standard Webhooks message carries one event).
/// </param>
public sealed record CallWebhook(string Url, IReadOnlyList<string>? Events, string? Secret,
    [property: JsonConverter(typeof(CallWebhookFormatJsonConverter))] string? Format = null, int BatchIntervalSec = 0);

/// <summary>One thing the sandbox's simulated callee does in turn: say <see cref="Text"/>, press <see cref="Dtmf"/>, or both.</summary>
/// <param name="Interrupt">Speak over the agent's next utterance instead of waiting for it to finish.</param>
public sealed record SimulatedReply(string? Text, string? Dtmf = null, bool Interrupt = false);

/// <summary>
/// The sandbox's simulated callee for one call: <see cref="Replies"/> in order, one after each agent utterance, then — when a
/// model is configured and <see cref="Persona"/> is given — replies from the model in that persona, else the default
/// persona's short answers until it says goodbye.
/// </summary>
public sealed record SimulatedCallee(IReadOnlyList<SimulatedReply> Replies, string? Persona = null)
{
    /// <summary>At most this many scripted replies per call.</summary>
    public const int MaxReplies = 50;
}

/// <summary>Raw detail behind a call's <see cref="CallOutcome"/>: provider name and status, SIP and Q.850 codes, who answered.</summary>
public sealed record OutcomeDetail(
    bool Retryable,
    string? Provider,
    string? ProviderStatus,
    int? SipCode,
    int? Q850Code,
    AnsweredBy? AnsweredBy,
    int? DurationSec);

/// <summary>
/// One request to reach one person (ARCHITECTURE §2). Times are UTC. A call has one or more
/// <see cref="Attempt"/>s; <see cref="EventSequence"/> is the sequence number of its latest event.
/// </summary>
public sealed record Call
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required CallStatus Status { get; init; }
    public CallOutcome? Outcome { get; init; }
    public OutcomeDetail? OutcomeDetail { get; init; }
    /// <summary>Why a call was blocked or expired, e.g. <c>dnc</c>, <c>outside_calling_window</c>.</summary>
    public string? StatusReason { get; init; }
    public required string To { get; init; }
    public required string From { get; init; }
    public string? PhoneNumberId { get; init; }
    public required string Provider { get; init; }
    public required string AgentId { get; init; }
    public required AgentSource AgentSource { get; init; }
    /// <summary>The agent reference as the request gave it (id, key or external reference), whether or not it named an agent; null when none was given.</summary>
    public string? AgentRef { get; init; }
    public string? CampaignId { get; init; }
    public JsonObject Contact { get; init; } = [];
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    public JsonObject? Metadata { get; init; }
    public DateTimeOffset? NotBefore { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool Record { get; init; }
    public ConsentEvidence? Consent { get; init; }
    /// <summary>The consent record that justified the call, when the account requires one.</summary>
    public string? ConsentRecordId { get; init; }
    /// <summary>The callee's IANA zone when the request or contact gave one; else derived from the number.</summary>
    public string? TimeZone { get; init; }
    /// <summary>The campaign contact this call was made for.</summary>
    public string? ContactId { get; init; }
    /// <summary>A test call: dialed like any other, left out of campaign statistics.</summary>
    public bool IsTest { get; init; }
    /// <summary>Audit trail of eligibility decisions (intake, each dial-time re-check and retry), oldest first; at most <see cref="CallDecision.MaxKept"/>.</summary>
    public IReadOnlyList<CallDecision> Decisions { get; init; } = [];
    /// <summary>Seconds the phone may ring before the attempt counts as <c>no_answer</c>.</summary>
    public int RingTimeoutSec { get; init; }
    /// <summary>Longest connected time in seconds before the call is hung up.</summary>
    public int MaxDurationSec { get; init; }
    public required RetryPolicy Retry { get; init; }
    public bool AllowDuplicates { get; init; }
    /// <summary>Per-call webhook destinations, besides the account's endpoints (ARCHITECTURE: the aicaller seed's <c>phoneCallWebhooks</c>).</summary>
    public IReadOnlyList<CallWebhook> Webhooks { get; init; } = [];
    /// <summary>Questions answered from this call's transcript after it ends: the agent's, then the request's own.</summary>
    public IReadOnlyList<InsightQuestion> InsightQuestions { get; init; } = [];
    /// <summary>The call during which the callee asked for this one (tool <c>schedule_callback</c>).</summary>
    public string? CallbackOf { get; init; }
    /// <summary>How the sandbox's simulated callee behaves on this call (native API <c>sandbox</c>); ignored by real providers.</summary>
    public SimulatedCallee? Sandbox { get; init; }
    /// <summary>The agent's prompt with the call's variables substituted.</summary>
    public string RenderedPrompt { get; init; } = "";
    /// <summary>The agent's first message with the call's variables substituted.</summary>
    public string RenderedFirstMessage { get; init; } = "";
    public required IntakeDecision Decision { get; init; }
    /// <summary>When the dispatcher may next dial this call (UTC).</summary>
    public required DateTimeOffset DueAt { get; init; }
    public int AttemptCount { get; init; }
    public long EventSequence { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>Key used for the duplicate guard: the campaign id, or empty outside campaigns.</summary>
    public string CampaignKey => CampaignId ?? "";
}
