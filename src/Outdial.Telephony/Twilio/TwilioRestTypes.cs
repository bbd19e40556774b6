using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// Parameters of Twilio's "Create a Call" (<c>POST /2010-04-01/Accounts/{AccountSid}/Calls.json</c>, spec
/// <c>twilio_api_v2010.json</c> operation CreateCall). Only the fields Outdial uses; null fields are not sent.
/// Durations are seconds. <see cref="TwilioRestClient.CreateCallForm"/> encodes them as the official npm library does.
/// </summary>
/// <param name="To">Callee, E.164.</param>
/// <param name="From">Caller ID, E.164: a Twilio number or verified caller ID of the account.</param>
/// <param name="Url">Absolute URL Twilio fetches the call's TwiML from when it connects (default method POST).</param>
/// <param name="StatusCallbackEvent">Any of <c>initiated</c>, <c>ringing</c>, <c>answered</c>, <c>completed</c>; sent as one pair per event.</param>
/// <param name="Timeout">Seconds to let the phone ring (Twilio: 5..600, default 60).</param>
/// <param name="TimeLimit">Maximum call duration in seconds (Twilio default 14400).</param>
/// <param name="MachineDetection"><c>Enable</c> or <c>DetectMessageEnd</c> (Twilio "Answering Machine Detection").</param>
/// <param name="AsyncAmd"><c>true</c> to run AMD in the background and report to <paramref name="AsyncAmdStatusCallback"/>.</param>
public sealed record TwilioCreateCall(
    string To,
    string From,
    string? Url = null,
    string? StatusCallback = null,
    IReadOnlyList<string>? StatusCallbackEvent = null,
    string? StatusCallbackMethod = null,
    int? Timeout = null,
    bool? Record = null,
    string? RecordingStatusCallback = null,
    string? MachineDetection = null,
    bool? AsyncAmd = null,
    string? AsyncAmdStatusCallback = null,
    int? TimeLimit = null);

/// <summary>
/// Parameters of Twilio's "Update a Call" (<c>POST .../Calls/{Sid}.json</c>, operation UpdateCall). Null fields are not sent.
/// </summary>
/// <param name="Status"><c>canceled</c> (ends a queued or ringing call) or <c>completed</c> (ends an in-progress call).</param>
/// <param name="Twiml">TwiML document that replaces what the call is executing.</param>
/// <param name="Url">Absolute URL of new TwiML for the call.</param>
public sealed record TwilioUpdateCall(string? Status = null, string? Twiml = null, string? Url = null);

/// <summary>
/// Twilio's Call resource (schema <c>api.v2010.account.call</c>), the fields Outdial reads. Times are UTC, parsed from
/// Twilio's RFC 2822 text (e.g. <c>Tue, 31 Aug 2010 20:36:28 +0000</c>); <see cref="Duration"/> is seconds as text.
/// </summary>
public sealed record TwilioCallResource
{
    [JsonPropertyName("sid")] public string Sid { get; init; } = "";
    [JsonPropertyName("account_sid")] public string? AccountSid { get; init; }
    [JsonPropertyName("to")] public string? To { get; init; }
    [JsonPropertyName("from")] public string? From { get; init; }
    /// <summary>queued, initiated, ringing, in-progress, completed, busy, no-answer, failed or canceled.</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("direction")] public string? Direction { get; init; }
    /// <summary>AMD verdict: human, machine_start, machine_end_beep, ..., fax, unknown; null without AMD.</summary>
    [JsonPropertyName("answered_by")] public string? AnsweredBy { get; init; }
    /// <summary>Connected seconds as text; empty for busy, failed, unanswered or ongoing calls.</summary>
    [JsonPropertyName("duration")] public string? Duration { get; init; }
    [JsonPropertyName("date_created"), JsonConverter(typeof(Rfc2822Converter))] public DateTimeOffset? DateCreated { get; init; }
    [JsonPropertyName("date_updated"), JsonConverter(typeof(Rfc2822Converter))] public DateTimeOffset? DateUpdated { get; init; }
    /// <summary>When the call was dialed; null while queued.</summary>
    [JsonPropertyName("start_time"), JsonConverter(typeof(Rfc2822Converter))] public DateTimeOffset? StartTime { get; init; }
    /// <summary>When the call ended; null while it lasts.</summary>
    [JsonPropertyName("end_time"), JsonConverter(typeof(Rfc2822Converter))] public DateTimeOffset? EndTime { get; init; }
    [JsonPropertyName("parent_call_sid")] public string? ParentCallSid { get; init; }
}

/// <summary>One page of Twilio's "Read multiple Call resources" (<c>GET .../Calls.json</c>).</summary>
internal sealed record TwilioCallPage(
    [property: JsonPropertyName("calls")] IReadOnlyList<TwilioCallResource>? Calls,
    [property: JsonPropertyName("next_page_uri")] string? NextPageUri);

/// <summary>
/// Twilio's Recording resource of a call (schema <c>api.v2010.account.call.call_recording</c>), the fields Outdial reads.
/// </summary>
public sealed record TwilioRecordingResource
{
    /// <summary>RE followed by 32 hex digits.</summary>
    [JsonPropertyName("sid")] public string Sid { get; init; } = "";
    [JsonPropertyName("account_sid")] public string? AccountSid { get; init; }
    [JsonPropertyName("call_sid")] public string? CallSid { get; init; }
    /// <summary>in-progress, paused, stopped, processing, completed or absent.</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
    /// <summary>Length of the recording in seconds, as text.</summary>
    [JsonPropertyName("duration")] public string? Duration { get; init; }
    [JsonPropertyName("date_created"), JsonConverter(typeof(Rfc2822Converter))] public DateTimeOffset? DateCreated { get; init; }
}

/// <summary>One page of Twilio's "Read multiple Recording resources" of a call (<c>GET .../Calls/{CallSid}/Recordings.json</c>).</summary>
internal sealed record TwilioRecordingPage(
    [property: JsonPropertyName("recordings")] IReadOnlyList<TwilioRecordingResource>? Recordings);

/// <summary>Twilio's REST error body (Twilio "Twilio's response": <c>{code, message, more_info, status}</c>).</summary>
internal sealed record TwilioErrorBody(
    [property: JsonPropertyName("code")] int? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("more_info")] string? MoreInfo,
    [property: JsonPropertyName("status")] int? Status);

/// <summary>
/// Twilio answered a REST request with an error status. <see cref="Code"/> is Twilio's error dictionary code
/// (https://www.twilio.com/docs/api/errors), null when the body was not Twilio's error JSON.
/// </summary>
public sealed class TwilioApiException(int httpStatus, int? code, string message, string? moreInfo, TimeSpan? retryAfter)
    : Exception($"Twilio answered HTTP {httpStatus}" + (code is null ? "" : $", error {code}") + $": {message}")
{
    /// <summary>The HTTP status code, e.g. 400, 401, 404, 429.</summary>
    public int HttpStatus { get; } = httpStatus;

    /// <summary>Twilio's error code, e.g. 21211 (invalid 'To' number).</summary>
    public int? Code { get; } = code;

    /// <summary>Twilio's message (or the raw body when it was not Twilio's error JSON).</summary>
    public string TwilioMessage { get; } = message;

    /// <summary>Link to the error's page in Twilio's dictionary.</summary>
    public string? MoreInfo { get; } = moreInfo;

    /// <summary>The <c>Retry-After</c> header of a 429, as a delay.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Reads and writes Twilio's RFC 2822 timestamps (<c>ddd, dd MMM yyyy HH:mm:ss +0000</c>) as UTC. Reading also accepts
/// other common spellings (<c>GMT</c>, ISO-8601) and gives null for text that is no timestamp at all.
/// </summary>
internal sealed class Rfc2822Converter : JsonConverter<DateTimeOffset?>
{
    private const string Format = "ddd, dd MMM yyyy HH:mm:ss zzz";

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        var text = reader.GetString();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        // "+0000" → "+00:00" so that "zzz" parses it.
        var normalised = text.Length > 5 && text[^5] is '+' or '-' ? text[..^2] + ":" + text[^2..] : text;
        if (DateTimeOffset.TryParseExact(normalised, Format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at.ToUniversalTime();
        }
        // Other spellings ("… GMT", ISO-8601) are read as UTC; anything else is left unknown rather than failing the whole
        // answer: a call Twilio accepted must not turn into an "unknown" dial over a timestamp's format.
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var other)
            ? other
            : null;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteStringValue(v.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
