using System.Text.Json.Serialization;

namespace Outdial.Telephony.Telnyx;

/// <summary>
/// Body of Dial (<c>POST /v2/calls</c>, schema <c>CallRequest</c> in Telnyx's OpenAPI spec,
/// https://developers.telnyx.com/api-reference/call-commands/dial). Durations are seconds; null members are not sent.
/// </summary>
public sealed record TelnyxDialRequest
{
    [JsonPropertyName("connection_id")] public required string ConnectionId { get; init; }
    [JsonPropertyName("to")] public required string To { get; init; }
    [JsonPropertyName("from")] public required string From { get; init; }
    [JsonPropertyName("webhook_url")] public required string WebhookUrl { get; init; }
    [JsonPropertyName("webhook_url_method")] public string? WebhookUrlMethod { get; init; }
    /// <summary><c>detect</c>, <c>greeting_end</c>, ... or null (Telnyx's default, <c>disabled</c>).</summary>
    [JsonPropertyName("answering_machine_detection")] public string? AnsweringMachineDetection { get; init; }
    /// <summary>Ring timeout, 5-600 s.</summary>
    [JsonPropertyName("timeout_secs")] public int? TimeoutSecs { get; init; }
    /// <summary>Longest call after answer, 30-14400 s.</summary>
    [JsonPropertyName("time_limit_secs")] public int? TimeLimitSecs { get; init; }
    [JsonPropertyName("client_state")] public string? ClientState { get; init; }
    [JsonPropertyName("command_id")] public string? CommandId { get; init; }
    /// <summary><c>record-from-answer</c> or null (no recording).</summary>
    [JsonPropertyName("record")] public string? Record { get; init; }
    [JsonPropertyName("record_format")] public string? RecordFormat { get; init; }
}

/// <summary>Body of <c>POST /v2/calls/{id}/actions/hangup</c> (schema <c>HangupRequest</c>).</summary>
public sealed record TelnyxHangupRequest([property: JsonPropertyName("command_id")] string? CommandId);

/// <summary>Body of <c>POST /v2/calls/{id}/actions/transfer</c> (schema <c>TransferCallRequest</c>): <c>to</c> required, <c>from</c> the caller ID shown.</summary>
public sealed record TelnyxTransferRequest(
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("command_id")] string? CommandId);

/// <summary>Body of <c>POST /v2/calls/{id}/actions/speak</c> (schema <c>SpeakRequest</c>): <c>payload</c> text, <c>voice</c> (required), <c>language</c>.</summary>
public sealed record TelnyxSpeakRequest
{
    [JsonPropertyName("payload")] public required string Payload { get; init; }
    [JsonPropertyName("voice")] public required string Voice { get; init; }
    [JsonPropertyName("language")] public string? Language { get; init; }
    [JsonPropertyName("command_id")] public string? CommandId { get; init; }
}

/// <summary>
/// Body of <c>POST /v2/calls/{id}/actions/conversation_relay_start</c> (schema <c>ConversationRelayStartRequest</c>,
/// https://developers.telnyx.com/docs/voice/programmable-voice/conversation-relay).
/// </summary>
public sealed record TelnyxConversationRelayStart
{
    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("greeting")] public string? Greeting { get; init; }
    [JsonPropertyName("language")] public string? Language { get; init; }
    [JsonPropertyName("voice")] public string? Voice { get; init; }
    [JsonPropertyName("dtmf_detection")] public bool? DtmfDetection { get; init; }
    /// <summary><c>any</c> or <c>none</c>.</summary>
    [JsonPropertyName("interruptible")] public string? Interruptible { get; init; }
    [JsonPropertyName("command_id")] public string? CommandId { get; init; }
}

/// <summary>Telnyx's answer envelope <c>{"data": ...}</c>.</summary>
public sealed record TelnyxData<T>([property: JsonPropertyName("data")] T? Data);

/// <summary>
/// A call as Dial and "Retrieve a call status" (<c>GET /v2/calls/{call_control_id}</c>, schema <c>Call</c>) answer it.
/// Times are ISO 8601 UTC; <c>call_duration</c> seconds. Telnyx keeps it for 10 minutes after the call ended.
/// </summary>
public sealed record TelnyxCall
{
    [JsonPropertyName("call_control_id")] public string CallControlId { get; init; } = "";
    [JsonPropertyName("call_leg_id")] public string? CallLegId { get; init; }
    [JsonPropertyName("call_session_id")] public string? CallSessionId { get; init; }
    [JsonPropertyName("client_state")] public string? ClientState { get; init; }
    [JsonPropertyName("is_alive")] public bool IsAlive { get; init; }
    [JsonPropertyName("call_duration")] public int? CallDuration { get; init; }
    [JsonPropertyName("start_time")] public string? StartTime { get; init; }
    [JsonPropertyName("end_time")] public string? EndTime { get; init; }
    [JsonPropertyName("recording_id")] public string? RecordingId { get; init; }
}

/// <summary>A page of <c>GET /v2/connections/{connection_id}/active_calls</c> (schema <c>ActiveCall</c>; cursor paginated).</summary>
public sealed record TelnyxActiveCallsPage
{
    [JsonPropertyName("data")] public IReadOnlyList<TelnyxCall>? Data { get; init; }
    [JsonPropertyName("meta")] public TelnyxCursorMeta? Meta { get; init; }
}

/// <summary>Cursor pagination (<c>CursorPaginationMeta</c>): <c>cursors.after</c> names the next page.</summary>
public sealed record TelnyxCursorMeta([property: JsonPropertyName("cursors")] TelnyxCursors? Cursors);

/// <summary>The cursors of a page.</summary>
public sealed record TelnyxCursors([property: JsonPropertyName("after")] string? After);

/// <summary>
/// A recording as <c>GET /v2/recordings?filter[call_control_id]=</c> lists it (schema <c>RecordingResponseData</c>):
/// <c>status</c> <c>completed</c> when saved; <c>download_urls</c> per format.
/// </summary>
public sealed record TelnyxRecording
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; init; }
    [JsonPropertyName("download_urls")] public TelnyxRecordingUrls? DownloadUrls { get; init; }
}

/// <summary>Recording URLs by format (<c>mp3</c>, <c>wav</c>).</summary>
public sealed record TelnyxRecordingUrls([property: JsonPropertyName("mp3")] string? Mp3, [property: JsonPropertyName("wav")] string? Wav);

/// <summary>Telnyx's error body <c>{"errors":[{"code","title","detail","source":{"pointer"}}]}</c> (schema <c>call-control_Errors</c>).</summary>
internal sealed record TelnyxErrorBody([property: JsonPropertyName("errors")] IReadOnlyList<TelnyxError>? Errors);

/// <summary>One error of <see cref="TelnyxErrorBody"/>; <c>code</c> is a string of digits.</summary>
internal sealed record TelnyxError(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("source")] TelnyxErrorSource? Source);

/// <summary>Which request field an error is about (<c>pointer</c>, e.g. <c>/connection_id</c>).</summary>
internal sealed record TelnyxErrorSource([property: JsonPropertyName("pointer")] string? Pointer);

/// <summary>
/// Telnyx answered a REST request with an error status (body <c>{"errors":[{"code","title","detail","source"}]}</c>,
/// https://developers.telnyx.com/docs/overview/errors).
/// </summary>
public sealed class TelnyxApiException(int httpStatus, int? code, string telnyxMessage, string? pointer, TimeSpan? retryAfter)
    : Exception($"Telnyx answered HTTP {httpStatus}, error {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}: {telnyxMessage}")
{
    /// <summary>The HTTP status code, e.g. 401, 404, 422, 429.</summary>
    public int HttpStatus { get; } = httpStatus;

    /// <summary>The first error's code as a number (e.g. 10016), or null when absent or not a number.</summary>
    public int? Code { get; } = code;

    /// <summary>The first error's title and detail (or the raw body, cut at 500 characters, when it was not Telnyx's error JSON).</summary>
    public string TelnyxMessage { get; } = telnyxMessage;

    /// <summary>The first error's <c>source.pointer</c> (the request field it is about, e.g. <c>/connection_id</c>), or null.</summary>
    public string? Pointer { get; } = pointer;

    /// <summary>The <c>Retry-After</c> of a 429, or null.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
