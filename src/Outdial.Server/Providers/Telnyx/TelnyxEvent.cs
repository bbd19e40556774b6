using System.Text;
using System.Text.Json;
using Outdial.Telephony.Telnyx;

namespace Outdial.Server.Providers.Telnyx;

/// <summary>
/// The fields Outdial reads from one Telnyx webhook body <c>{"data":{"event_type","occurred_at","payload":{...}}}</c>
/// (Telnyx's OpenAPI webhook schemas). <see cref="Raw"/> keeps the raw values behind the report, never the numbers.
/// </summary>
public sealed record TelnyxEvent
{
    /// <summary><c>data.event_type</c>, e.g. <c>call.hangup</c>.</summary>
    public required string Type { get; init; }
    /// <summary><c>data.occurred_at</c> (UTC), or null when absent or unreadable.</summary>
    public DateTimeOffset? OccurredAt { get; init; }
    /// <summary><c>payload.call_control_id</c>, the id commands take (absent from <c>call.recording.saved</c> in older payloads).</summary>
    public string? CallControlId { get; init; }
    /// <summary><c>payload.client_state</c>: base64 of the attempt id Outdial dialed with.</summary>
    public string? ClientState { get; init; }
    /// <summary><c>payload.hangup_cause</c> of <c>call.hangup</c>.</summary>
    public string? HangupCause { get; init; }
    /// <summary><c>payload.sip_hangup_cause</c> of <c>call.hangup</c> (a SIP code as a string, or <c>unspecified</c>).</summary>
    public string? SipHangupCause { get; init; }
    /// <summary><c>payload.start_time</c> of <c>call.hangup</c>: when the call was answered (Telnyx: "when the call started").</summary>
    public DateTimeOffset? StartTime { get; init; }
    /// <summary><c>payload.result</c> of the AMD events.</summary>
    public string? Result { get; init; }
    /// <summary>
    /// <c>call.recording.saved</c>: <c>payload.recording_urls.mp3</c>, else <c>.wav</c>, else the same of
    /// <c>public_recording_urls</c>.
    /// </summary>
    public string? RecordingUrl { get; init; }
    /// <summary>The raw values present, under their Telnyx names (<c>event_type</c>, <c>hangup_cause</c>, <c>hangup_source</c>, <c>sip_hangup_cause</c>, <c>result</c>).</summary>
    public IReadOnlyDictionary<string, string>? Raw { get; init; }

    /// <summary>The event in <paramref name="body"/>, or null when it has no <c>data.event_type</c>.</summary>
    /// <exception cref="JsonException">The body is not JSON.</exception>
    public static TelnyxEvent? Parse(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data)
            || data.ValueKind != JsonValueKind.Object || Str(data, "event_type") is not { Length: > 0 } type)
        {
            return null;
        }
        var payload = data.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var raw = new Dictionary<string, string>(StringComparer.Ordinal) { ["event_type"] = type };
        foreach (var name in new[] { "hangup_cause", "hangup_source", "sip_hangup_cause", "result" })
        {
            if (Str(payload, name) is { } v)
            {
                raw[name] = v;
            }
        }
        return new TelnyxEvent
        {
            Type = type,
            OccurredAt = TelnyxStatusMap.ParseTime(Str(data, "occurred_at")),
            CallControlId = Str(payload, "call_control_id"),
            ClientState = Str(payload, "client_state"),
            HangupCause = Str(payload, "hangup_cause"),
            SipHangupCause = Str(payload, "sip_hangup_cause"),
            StartTime = TelnyxStatusMap.ParseTime(Str(payload, "start_time")),
            Result = Str(payload, "result"),
            RecordingUrl = Url(payload, "recording_urls") ?? Url(payload, "public_recording_urls"),
            Raw = raw,
        };
    }

    /// <summary>The attempt id in a <c>client_state</c>, or null when it is not base64 of UTF-8 text.</summary>
    public static string? AttemptIdOf(string? clientState)
    {
        if (string.IsNullOrEmpty(clientState))
        {
            return null;
        }
        var bytes = new byte[clientState.Length];
        return Convert.TryFromBase64String(clientState, bytes, out var n) ? Encoding.UTF8.GetString(bytes, 0, n) : null;
    }

    private static string? Url(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var urls) && urls.ValueKind == JsonValueKind.Object
            ? Str(urls, "mp3") ?? Str(urls, "wav")
            : null;

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;
}
