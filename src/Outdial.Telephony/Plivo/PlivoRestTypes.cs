using System.Text.Json.Serialization;

namespace Outdial.Telephony.Plivo;

/// <summary>
/// The arguments of Plivo "Make a call" (https://www.plivo.com/docs/voice/api/call/make-a-call), in Outdial's use: numbers
/// without the leading <c>+</c> (Plivo's documented form, e.g. <c>14157654321</c>), URLs absolute, durations in seconds.
/// Null fields are not sent (Plivo's defaults apply).
/// </summary>
/// <param name="MachineDetection"><c>true</c> to detect an answering machine (Plivo also accepts <c>hangup</c>); null for none.</param>
/// <param name="MachineDetectionUrl">Makes detection asynchronous: Plivo answers at once and posts the verdict here.</param>
/// <param name="TimeLimit">Maximum seconds after answer (Plivo's default 14400).</param>
/// <param name="RingTimeout">Seconds to ring before giving up (Plivo's default 120).</param>
public sealed record PlivoCreateCall(
    string From,
    string To,
    string AnswerUrl,
    string AnswerMethod,
    string? RingUrl,
    string? RingMethod,
    string? HangupUrl,
    string? HangupMethod,
    string? MachineDetection,
    string? MachineDetectionUrl,
    string? MachineDetectionMethod,
    int? TimeLimit,
    int? RingTimeout);

/// <summary>Plivo's answer to "Make a call": 201 <c>{"api_id", "message": "call fired", "request_uuid"}</c>.</summary>
public sealed record PlivoCreateCallResponse(
    [property: JsonPropertyName("api_id")] string? ApiId,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("request_uuid")] string? RequestUuid);

/// <summary>
/// Plivo "Retrieve a call" (a call detail record of an ended call, <c>GET .../Call/{call_uuid}/</c>) and "Retrieve a live
/// call" (<c>GET .../Call/{call_uuid}?status=live</c>) share these fields; absent ones are null. Durations are seconds;
/// times are <c>yyyy-MM-dd HH:mm:ss</c> (see <see cref="PlivoStatusMap.ParseTime"/>).
/// </summary>
public sealed record PlivoCallResource
{
    [JsonPropertyName("call_uuid")] public string? CallUuid { get; init; }
    [JsonPropertyName("request_uuid")] public string? RequestUuid { get; init; }
    /// <summary>Live calls: <c>ringing</c>, <c>in-progress</c>; queued calls: <c>queued</c>.</summary>
    [JsonPropertyName("call_status")] public string? CallStatus { get; init; }
    /// <summary>Call detail records: e.g. <c>ANSWER</c>, <c>BUSY</c>, <c>NO ANSWER</c> (kept raw, not mapped).</summary>
    [JsonPropertyName("call_state")] public string? CallState { get; init; }
    [JsonPropertyName("from_number")] public string? FromNumber { get; init; }
    [JsonPropertyName("to_number")] public string? ToNumber { get; init; }
    [JsonPropertyName("from")] public string? From { get; init; }
    [JsonPropertyName("to")] public string? To { get; init; }
    [JsonPropertyName("call_duration")] public int? CallDuration { get; init; }
    [JsonPropertyName("bill_duration")] public int? BillDuration { get; init; }
    [JsonPropertyName("initiation_time")] public string? InitiationTime { get; init; }
    [JsonPropertyName("answer_time")] public string? AnswerTime { get; init; }
    [JsonPropertyName("end_time")] public string? EndTime { get; init; }
    [JsonPropertyName("session_start")] public string? SessionStart { get; init; }
    [JsonPropertyName("hangup_cause_code")] public int? HangupCauseCode { get; init; }
    [JsonPropertyName("hangup_cause_name")] public string? HangupCauseName { get; init; }
    [JsonPropertyName("hangup_source")] public string? HangupSource { get; init; }
}

/// <summary>Plivo "List all live calls" (<c>GET .../Call/?status=live</c>): <c>{"api_id", "calls": ["call_uuid", ...]}</c>.</summary>
public sealed record PlivoLiveCallList([property: JsonPropertyName("calls")] IReadOnlyList<string>? Calls);

/// <summary>Plivo "List all calls" (call detail records): <c>{"api_id", "meta": {...}, "objects": [...]}</c>.</summary>
public sealed record PlivoCallList([property: JsonPropertyName("objects")] IReadOnlyList<PlivoCallResource>? Objects);

/// <summary>One recording of Plivo "List all recordings" (<c>GET .../Recording/?call_uuid=...</c>): its id, media URL, call and time added.</summary>
public sealed record PlivoRecording(
    [property: JsonPropertyName("recording_id")] string? RecordingId,
    [property: JsonPropertyName("recording_url")] string? RecordingUrl,
    [property: JsonPropertyName("call_uuid")] string? CallUuid,
    [property: JsonPropertyName("add_time")] string? AddTime);

/// <summary>Plivo "List all recordings": <c>{"api_id", "meta": {...}, "objects": [...]}</c>.</summary>
public sealed record PlivoRecordingList([property: JsonPropertyName("objects")] IReadOnlyList<PlivoRecording>? Objects);

/// <summary>Plivo's error body, e.g. <c>{"api_id": "...", "error": "invalid 'to' number"}</c> (the <c>error</c> may also be an object).</summary>
internal sealed record PlivoErrorBody([property: JsonPropertyName("error")] System.Text.Json.JsonElement? Error);

/// <summary>A non-2xx answer from Plivo's REST API.</summary>
/// <param name="httpStatus">Plivo's HTTP status, e.g. 400, 401, 404.</param>
/// <param name="plivoMessage">Plivo's <c>error</c> text (or the body when it had none), at most 500 characters; may quote phone numbers.</param>
public sealed class PlivoApiException(int httpStatus, string plivoMessage)
    : Exception($"Plivo answered HTTP {httpStatus}: {plivoMessage}")
{
    /// <summary>Plivo's HTTP status.</summary>
    public int HttpStatus { get; } = httpStatus;

    /// <summary>Plivo's error text.</summary>
    public string PlivoMessage { get; } = plivoMessage;
}
