using System.Globalization;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Conversation;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;

namespace Outdial.Server.Providers.Twilio;

/// <summary>
/// What Twilio requests from Outdial during a call, under <see cref="TwilioUrls"/>
/// (<c>/providers/twilio/calls/{attemptId}/twiml|status|recording|amd|relay-ended</c>): form-encoded POSTs without an API
/// key, and the ConversationRelay WebSocket (<c>/providers/twilio/relay/{attemptId}</c>), each verified first by
/// <see cref="TwilioRequestVerification"/> (404 when Twilio is not configured, 403 when the signature fails, and then
/// nothing changes). Reports go through <see cref="IProviderEventSink"/>, the one state machine, which
/// ignores duplicates and never moves a call backwards; raw values are mapped by <see cref="TwilioStatusMap"/> only.
/// Sources: Twilio "Make outbound calls / StatusCallback parameters" (https://www.twilio.com/docs/voice/api/call-resource#statuscallback),
/// "Recording status callback" (https://www.twilio.com/docs/voice/api/call-resource#recordingstatuscallback) and
/// "Answering Machine Detection" (https://www.twilio.com/docs/voice/answering-machine-detection).
/// </summary>
public static partial class TwilioCallbacksApi
{
    /// <summary>Name of this provider on attempts and reports.</summary>
    public const string Provider = "twilio";

    /// <summary>Maps the callbacks and the relay WebSocket; anonymous, not rate limited per API key, left out of the OpenAPI document.</summary>
    public static RouteGroupBuilder MapTwilioCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapTwilioRelay();
        var group = app.MapGroup(TwilioUrls.Prefix + "/{attemptId}")
            .AllowAnonymous()
            .DisableRateLimiting()
            .ExcludeFromDescription()
            .AddEndpointFilter<TwilioRequestVerification>();
        group.MapPost("/twiml", TwimlAsync).WithName("TwilioTwiml");
        group.MapPost("/status", StatusAsync).WithName("TwilioStatusCallback");
        group.MapPost("/recording", RecordingAsync).WithName("TwilioRecordingCallback");
        group.MapPost("/amd", AmdAsync).WithName("TwilioAmdCallback");
        group.MapPost("/relay-ended", RelayEndedAsync).WithName("TwilioRelayEnded");
        return group;
    }

    /// <summary>
    /// 200 <c>text/xml</c>: what the call does when it connects, as <see cref="CallAnswering.PlanAsync"/> decides from the
    /// request's <c>AnsweredBy</c> (synchronous AMD; absent or <c>unknown</c>: a person). <see cref="AnswerPlan.Converse"/> →
    /// <c>&lt;Connect action=".../relay-ended"&gt;&lt;ConversationRelay url="wss://.../providers/twilio/relay/{attemptId}" .../&gt;</c>
    /// (<see cref="Twiml.ConversationRelay"/>); <see cref="AnswerPlan.Say"/> (a message drop, or the voicemail message for a
    /// machine) → <c>&lt;Say&gt;</c> then <c>&lt;Hangup/&gt;</c>; <see cref="AnswerPlan.HangUp"/> (unknown or ended attempt, a
    /// machine and no voicemail message) → <c>&lt;Hangup/&gt;</c>. A <c>fax</c> hangs up without asking. Planning a spoken
    /// message writes it to the transcript (once, however often Twilio asks); the status callbacks report progress.
    /// </summary>
    public static async Task<IResult> TwimlAsync(string attemptId, HttpContext http, CallAnswering answering, IOptions<OutdialOptions> options,
        CancellationToken ct)
    {
        var raw = Value(http.Request.Form, "AnsweredBy");
        if (raw == "fax")
        {
            return Xml(Twiml.HangUp());
        }
        var publicBase = options.Value.PublicBaseUrl!;
        var plan = await answering.PlanAsync(attemptId, TwilioStatusMap.AnsweredByOf(raw), ct);
        return Xml(plan switch
        {
            AnswerPlan.Converse converse => Twiml.ConversationRelay(
                TwilioUrls.Relay(publicBase, attemptId), TwilioUrls.RelayEnded(publicBase, attemptId), converse.Plan),
            AnswerPlan.Say say => Twiml.Say(say.Text, say.Voice, say.Language),
            _ => Twiml.HangUp(),
        });
    }

    /// <summary>
    /// 204. A status callback (<c>CallSid</c>, <c>CallStatus</c>, <c>SequenceNumber</c>, <c>Timestamp</c> RFC 1123 —
    /// the receipt time when absent or unreadable —, <c>AnsweredBy</c>, <c>SipResponseCode</c>, <c>CallDuration</c>
    /// seconds) becomes one report: kind by <see cref="TwilioStatusMap.KindOf"/>, end status on completion by
    /// <see cref="TwilioStatusMap.EndStatusOf"/> (mapped to the outcome by <see cref="OutcomeMapper"/>, with the attempt's
    /// earlier AMD verdict when this callback carries none),
    /// <c>Sequence</c> = <c>SequenceNumber</c>, provider status = <c>CallStatus</c> verbatim, and those raw values that
    /// were present kept as <see cref="ProviderEvent.Raw"/>. A status Twilio does not document, or no <c>CallSid</c>, is
    /// ignored (still 204: Twilio does not retry status callbacks, so an error would only fill its debugger).
    /// </summary>
    public static async Task<IResult> StatusAsync(string attemptId, HttpContext http, IProviderEventSink sink,
        TimeProvider clock, CancellationToken ct)
    {
        var form = http.Request.Form;
        var status = Value(form, "CallStatus");
        var callSid = Value(form, "CallSid");
        if (TwilioStatusMap.KindOf(status) is not { } kind || string.IsNullOrEmpty(callSid))
        {
            return TypedResults.NoContent();
        }
        var answeredBy = Value(form, "AnsweredBy");
        var sip = TwilioStatusMap.ParseInt(Value(form, "SipResponseCode"));
        // Asynchronous AMD posts its verdict to /amd, not necessarily again with the final status: CallProgress maps the
        // end with the attempt's earlier verdict (OutcomeMapper), so a machine's completed call is voicemail.
        await sink.ApplyAsync(new ProviderEvent
        {
            Provider = Provider,
            ProviderCallId = callSid,
            AttemptId = attemptId,
            Kind = kind,
            Sequence = long.TryParse(Value(form, "SequenceNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : 0,
            At = ParseTimestamp(Value(form, "Timestamp")) ?? clock.GetUtcNow(),
            AnsweredBy = TwilioStatusMap.AnsweredByOf(answeredBy),
            EndStatus = kind == ProviderEventKind.Completed ? TwilioStatusMap.EndStatusOf(status!) : null,
            ProviderStatus = status,
            SipCode = sip,
            DurationSec = TwilioStatusMap.ParseInt(Value(form, "CallDuration")),
            Raw = Raw(form, "CallSid", "CallStatus", "SequenceNumber", "Timestamp", "AnsweredBy", "SipResponseCode", "CallDuration"),
        }, ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// 204. A recording status callback with <c>RecordingStatus=completed</c> stores <c>RecordingUrl</c> on the attempt
    /// (it may arrive after the call ended). The report's kind is <see cref="ProviderEventKind.Initiated"/>, the lowest,
    /// so it can never advance the attempt or the call: <see cref="CallProgress.Advance"/> then only records the URL.
    /// Other recording statuses (<c>in-progress</c>, <c>absent</c>, <c>failed</c>) are ignored.
    /// </summary>
    public static async Task<IResult> RecordingAsync(string attemptId, HttpContext http, IProviderEventSink sink, TimeProvider clock, CancellationToken ct)
    {
        var form = http.Request.Form;
        var url = Value(form, "RecordingUrl");
        if (Value(form, "RecordingStatus") != "completed" || string.IsNullOrEmpty(url))
        {
            return TypedResults.NoContent();
        }
        await sink.ApplyAsync(new ProviderEvent
        {
            Provider = Provider,
            ProviderCallId = Value(form, "CallSid") ?? "",
            AttemptId = attemptId,
            Kind = ProviderEventKind.Initiated,
            Sequence = 0,
            At = clock.GetUtcNow(),
            RecordingUrl = url,
            Raw = Raw(form, "CallSid", "RecordingSid", "RecordingStatus", "RecordingUrl", "RecordingDuration"),
        }, ct);
        return TypedResults.NoContent();
    }

    private static IResult Xml(string twiml) => TypedResults.Text(twiml, Twiml.ContentType);

    internal static string? Value(IFormCollection form, string name) =>
        form.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    internal static Dictionary<string, string>? Raw(IFormCollection form, params string[] names)
    {
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (Value(form, name) is { } v)
            {
                raw[name] = v;
            }
        }
        return raw.Count > 0 ? raw : null;
    }

    /// <summary>Twilio's <c>Timestamp</c>, RFC 1123 (e.g. <c>Mon, 16 Aug 2010 03:45:01 +0000</c>), as UTC; null when absent or unreadable.</summary>
    internal static DateTimeOffset? ParseTimestamp(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
}
