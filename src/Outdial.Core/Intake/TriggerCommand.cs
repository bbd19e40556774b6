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
    public required string? To { get; init; }
    /// <summary>A phone number id, or an E.164 number the account owns.</summary>
    public string? From { get; init; }
    public string? AgentId { get; init; }
    /// <summary>The campaign the call belongs to: it inherits the campaign's agent, caller-ID pool, window, retry policy and DNC rule.</summary>
    public string? CampaignId { get; init; }
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
