using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Outdial.Core.Calls;
using Outdial.Core.Insights;

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
    /// <summary>Caller ID: the id, label or E.164 number of a phone number the account owns.</summary>
    public string? From { get; init; }
    /// <summary>
    /// Telephony provider the call must use (<c>sandbox</c>, <c>twilio</c>, <c>telnyx</c>, <c>plivo</c>): configured on the server
    /// (else 422 <c>provider_not_configured</c>) and the caller ID's (else 422 <c>provider_mismatch</c>); without <c>from</c>, the
    /// agent's number when of that provider, else the account's first number of it.
    /// </summary>
    public string? Provider { get; init; }
    /// <summary>
    /// Agent id, key or external reference; else the campaign's, else the phone number's agent, else the account default.
    /// An unknown value is refused (the native API is strict; the dialects follow the account's <c>strictAgentRefs</c>).
    /// </summary>
    public string? AgentId { get; init; }
    /// <summary>Campaign id: the call inherits its agent, caller-ID pool, window, retry policy and DNC rule.</summary>
    public string? CampaignId { get; init; }
    /// <summary>
    /// Campaign name, used when <c>campaignId</c> is absent: the account's campaign of that name, or a new active one for the
    /// call's agent and caller ID with the campaign defaults (created on first use; never completes by itself).
    /// </summary>
    public string? CampaignName { get; init; }
    /// <summary>The callee's IANA time zone, when known (else derived from the number).</summary>
    public string? TimeZone { get; init; }
    /// <summary>The callee: <c>firstName</c>, <c>lastName</c>, <c>email</c>, any other fields; scalar fields are also prompt variables.</summary>
    public JsonObject? Contact { get; init; }
    /// <summary>Prompt variables: strings, numbers or booleans.</summary>
    public Dictionary<string, JsonElement>? Variables { get; init; }
    /// <summary>Echoed wherever the call is reported; at most 16 KB.</summary>
    public JsonObject? Metadata { get; init; }
    /// <summary>
    /// Insight questions for this call, added to the agent's: at most 20, each a string or
    /// <c>{"key", "question", "type": "text|boolean|number|choice|date", "choices"?}</c>.
    /// </summary>
    public List<InsightQuestion>? InsightQuestions { get; init; }
    /// <summary>The sandbox's simulated callee (ignored by real providers): scripted replies and an optional persona.</summary>
    public SandboxRequest? Sandbox { get; init; }
    /// <summary>Do not dial before this instant (ISO-8601 with an offset).</summary>
    public string? NotBefore { get; init; }
    /// <summary>Give up if not dialed by this instant (ISO-8601 with an offset): the call ends <c>expired</c>.</summary>
    public string? ExpiresAt { get; init; }
    /// <summary>Ask the provider to record the call.</summary>
    public bool? Record { get; init; }
    /// <summary>Consent evidence; required (<c>obtained: true</c>) unless the account sets <c>requireConsent: false</c>.</summary>
    public ConsentRequest? Consent { get; init; }
    /// <summary>Seconds of ringing before <c>no_answer</c> (5–600; default <c>Outdial:Calls:RingTimeoutSec</c>).</summary>
    public int? RingTimeoutSec { get; init; }
    /// <summary>Longest connected time in seconds (10–14400; default <c>Outdial:Calls:MaxDurationSec</c>).</summary>
    public int? MaxDurationSec { get; init; }
    /// <summary>Skip the duplicate guard (a pending or active call of the account to the same number is otherwise 409 <c>duplicate_call</c>).</summary>
    public bool? AllowDuplicates { get; init; }
    /// <summary>Total dials allowed (1–10); default the agent's retry policy, else 1.</summary>
    public int? MaxAttempts { get; init; }
    /// <summary>Seconds to wait after an outcome before retrying, by outcome name (busy, no_answer, voicemail, unreachable, error).</summary>
    public Dictionary<string, int>? RetryCooldownSec { get; init; }
    /// <summary>Per-call webhooks, besides the account's endpoints (at most 5).</summary>
    public IReadOnlyList<CallWebhookRequest>? Webhooks { get; init; }
}

/// <summary>
/// A per-call webhook: <c>events</c> null = every event type; <c>secret</c> null = the account's default signing secret
/// (<c>GET /v1/account/webhook-secret</c>); a <c>whsec_</c> secret is a Standard Webhooks key, any other string is used raw.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CallWebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Secret);

/// <summary>
/// How the sandbox's simulated callee behaves: <c>replies</c> in order, one after each thing the agent says (a string, or
/// <c>{"text"?, "dtmf"?, "interrupt"?}</c>, where <c>interrupt: true</c> speaks over the agent's next utterance), then the
/// <c>persona</c> answering through the configured model (when there is one), else the default persona's short answers.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SandboxRequest(List<SandboxReplyRequest>? Replies, string? Persona);

/// <summary>One reply of the simulated callee: a string (text), or an object.</summary>
[JsonConverter(typeof(SandboxReplyConverter))]
public sealed record SandboxReplyRequest(string? Text, string? Dtmf, bool Interrupt);

/// <summary>Reads a sandbox reply from a string or <c>{"text"?, "dtmf"?, "interrupt"?}</c>.</summary>
public sealed class SandboxReplyConverter : JsonConverter<SandboxReplyRequest>
{
    private sealed record Shape(string? Text, string? Dtmf, bool Interrupt);

    public override SandboxReplyRequest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new SandboxReplyRequest(reader.GetString(), null, false);
        }
        var shape = JsonSerializer.Deserialize<Shape>(ref reader, options) ?? throw new JsonException("a sandbox reply is a string or an object");
        return new SandboxReplyRequest(shape.Text, shape.Dtmf, shape.Interrupt);
    }

    public override void Write(Utf8JsonWriter writer, SandboxReplyRequest value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, new Shape(value.Text, value.Dtmf, value.Interrupt), options);
}

/// <summary>One page of calls; pass <c>nextCursor</c> as <c>cursor</c> for the next page (null on the last page).</summary>
public sealed record CallPage(IReadOnlyList<CallResource> Data, string? NextCursor);

/// <summary>A lifecycle event. <c>sequence</c> starts at 1 and increases by one per call.</summary>
public sealed record CallEventResource(string Id, string CallId, long Sequence, string Type, DateTime At, JsonObject Data);

/// <summary>A call's events, in order (<c>GET /v1/calls/{id}/events</c>).</summary>
public sealed record CallEventList(IReadOnlyList<CallEventResource> Data);

/// <summary>A call's dial attempts, in order (<c>GET /v1/calls/{id}/attempts</c>).</summary>
public sealed record AttemptList(IReadOnlyList<AttemptResource> Data);

/// <summary>Parsing of ISO-8601 instants given as strings.</summary>
public static class Instants
{
    /// <summary>
    /// Request fields read by <see cref="TryParseUtc"/>: the OpenAPI document declares them <c>format: date-time</c>
    /// (<see cref="OpenApi.SchemaConventions"/>), so generated clients type them as instants. Field names, camelCase.
    /// </summary>
    public static readonly IReadOnlySet<string> RequestFields = new HashSet<string>(StringComparer.Ordinal) { "notBefore", "expiresAt", "obtainedAt", "startAt", "endAt" };

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

/// <summary>
/// Answer of <c>POST /v1/calls/check</c>: whether the call could be dialed now (<c>action</c>: dial, defer, block,
/// expire), every reason that applies (stable codes, the rule and its legal source), and the earliest allowed time (UTC).
/// </summary>
public sealed record CallCheckResource(bool Eligible, string Action, IReadOnlyList<Outdial.Core.Compliance.EligibilityReason> Reasons, DateTime? NextEligibleAt)
{
    public static CallCheckResource Of(Outdial.Core.Compliance.EligibilityVerdict v) =>
        new(v.Eligible, Outdial.Core.Common.WireNames.Of(v.Action), v.Reasons, v.NextEligibleAt?.UtcDateTime);
}
