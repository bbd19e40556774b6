using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;
using Outdial.Core.Telephony;
using Outdial.Telephony.Plivo;
using static Outdial.Server.Providers.Twilio.TwilioCallbacksApi;

namespace Outdial.Server.Providers.Plivo;

/// <summary>
/// What Plivo requests from Outdial during a call, under <see cref="PlivoUrls"/>
/// (<c>/providers/plivo/calls/{attemptId}/answer|ring|hangup|amd|recording</c>): form-encoded POSTs without an API key,
/// each verified first by <see cref="PlivoRequestVerification"/> (404 when Plivo is not configured, 403 when the signature
/// fails, and then nothing changes). Reports go through <see cref="IProviderEventSink"/>, the one state machine, which ignores
/// duplicates and never moves a call backwards; Plivo's values are mapped by <see cref="PlivoStatusMap"/> only, outcomes by
/// <see cref="OutcomeMapper"/>. Every report carries Plivo's <c>RequestUUID</c> (else <c>ALegRequestUUID</c>, else
/// <c>CallUUID</c>) as the provider call id and keeps <c>CallUUID</c> in its raw values (the reconciler and hang-up use it).
/// Sources: Plivo "XML request" (https://www.plivo.com/docs/voice/xml/request), "Make a call"
/// (https://www.plivo.com/docs/voice/api/call/make-a-call), "Asynchronous machine detection"
/// (https://www.plivo.com/docs/voice/api/call/asynchronous-machine-detection), "Record" (https://www.plivo.com/docs/voice/xml/record).
/// </summary>
public static partial class PlivoCallbacksApi
{
    /// <summary>Name of this provider on attempts and reports.</summary>
    public const string Provider = "plivo";

    private static readonly string[] CallKeys = ["CallUUID", "RequestUUID", "ALegRequestUUID", "CallStatus"];

    /// <summary>Maps the callbacks; anonymous, not rate limited per API key, left out of the OpenAPI document.</summary>
    public static RouteGroupBuilder MapPlivoCallbacks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlivoUrls.Prefix + "/{attemptId}")
            .AllowAnonymous()
            .DisableRateLimiting()
            .ExcludeFromDescription()
            .AddEndpointFilter<PlivoRequestVerification>();
        group.MapPost("/answer", AnswerAsync).WithName("PlivoAnswer");
        group.MapPost("/ring", RingAsync).WithName("PlivoRingCallback");
        group.MapPost("/hangup", HangupAsync).WithName("PlivoHangupCallback");
        group.MapPost("/amd", AmdAsync).WithName("PlivoMachineDetectionCallback");
        group.MapPost("/recording", RecordingAsync).WithName("PlivoRecordingCallback");
        return group;
    }

    /// <summary>
    /// 200 <c>text/xml</c>: the Plivo XML for an answered call. The request itself is the answer: it is applied as an
    /// <see cref="ProviderEventKind.Answered"/> report (who answered from <c>Machine</c> when synchronous detection sent it,
    /// or from <c>?machine=true</c> on the transfer after asynchronous detection found a machine). Then
    /// <see cref="CallAnswering.PlanAsync"/> decides: <see cref="AnswerPlan.Say"/> (a message drop, or the voicemail message
    /// for a machine) → <c>&lt;Speak&gt;</c> then <c>&lt;Hangup/&gt;</c>, preceded by a background session
    /// <c>&lt;Record&gt;</c> when the call asked to be recorded (<see cref="PlivoXml.Speak"/>); anything else — an unknown or
    /// ended attempt, a machine with no voicemail message, or a conversation (which Plivo cannot carry: intake and the
    /// dispatcher refuse it, so this happens only if the agent changed mid-dial) → <c>&lt;Hangup/&gt;</c>. Planning a spoken
    /// message writes it to the transcript once, however often Plivo asks.
    /// </summary>
    public static async Task<IResult> AnswerAsync(string attemptId, HttpContext http, CallAnswering answering, IProviderEventSink sink, ICallStore calls,
        IOptions<OutdialOptions> options, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var form = http.Request.Form;
        var machine = http.Request.Query["machine"] == "true" ? AnsweredBy.Machine : PlivoStatusMap.AnsweredByOf(Value(form, "Machine"));
        if (CallId(form) is { } callId)
        {
            await sink.ApplyAsync(Report(attemptId, callId, ProviderEventKind.Answered, clock) with
            {
                At = PlivoStatusMap.ParseTime(Value(form, "AnswerTime")) ?? clock.GetUtcNow(),
                AnsweredBy = machine,
                ProviderStatus = Value(form, "CallStatus") ?? "in-progress",
                Raw = Raw(form, [.. CallKeys, "Machine", "AnswerTime"]),
            }, ct);
        }
        var plan = await answering.PlanAsync(attemptId, machine, ct);
        if (plan is AnswerPlan.Converse)
        {
            LogCannotConverse(loggers.CreateLogger(typeof(PlivoCallbacksApi)), attemptId);
        }
        if (plan is not AnswerPlan.Say say)
        {
            return Xml(PlivoXml.HangUp());
        }
        var record = await calls.GetAttemptAsync(attemptId, ct) is { RecordingRequested: true }
            ? PlivoUrls.Recording(options.Value.PublicBaseUrl!, attemptId)
            : null;
        return Xml(PlivoXml.Speak(say.Text, say.Voice, say.Language, record));
    }

    /// <summary>204. The ring notification (<c>CallStatus=ringing</c>) becomes a <see cref="ProviderEventKind.Ringing"/> report.</summary>
    public static async Task<IResult> RingAsync(string attemptId, HttpContext http, IProviderEventSink sink, TimeProvider clock, CancellationToken ct)
    {
        var form = http.Request.Form;
        if (CallId(form) is { } callId)
        {
            await sink.ApplyAsync(Report(attemptId, callId, ProviderEventKind.Ringing, clock) with
            {
                ProviderStatus = Value(form, "CallStatus") ?? "ringing",
                Raw = Raw(form, CallKeys),
            }, ct);
        }
        return TypedResults.NoContent();
    }

    /// <summary>
    /// 204. The hang-up notification ends the attempt: a <see cref="ProviderEventKind.Completed"/> report with the end status
    /// of <see cref="PlivoStatusMap.EndStatusOf"/> (from <c>CallStatus</c>, <c>HangupCauseCode</c>, <c>HangupCauseName</c> and
    /// whether it was answered: <c>CallStatus=completed</c> or an <c>AnswerTime</c>), the Q.850 cause of
    /// <see cref="PlivoStatusMap.Q850Of"/> (<c>HangupCause</c>), <c>Duration</c> seconds, at <c>EndTime</c> (else now); the
    /// outcome then comes from <see cref="OutcomeMapper"/> with the attempt's AMD verdict. Raw values kept: <c>CallUUID</c>,
    /// <c>CallStatus</c>, <c>HangupCause</c>, <c>HangupCauseCode</c>, <c>HangupCauseName</c>, <c>HangupSource</c>,
    /// <c>Duration</c>, <c>BillDuration</c>, <c>AnswerTime</c>, <c>EndTime</c>. Without a call id it is ignored (still 204).
    /// </summary>
    public static async Task<IResult> HangupAsync(string attemptId, HttpContext http, IProviderEventSink sink, TimeProvider clock, CancellationToken ct)
    {
        var form = http.Request.Form;
        if (CallId(form) is not { } callId)
        {
            return TypedResults.NoContent();
        }
        var status = Value(form, "CallStatus");
        var code = PlivoStatusMap.ParseInt(Value(form, "HangupCauseCode"));
        var name = Value(form, "HangupCauseName");
        var answered = status == "completed" || !string.IsNullOrEmpty(Value(form, "AnswerTime"));
        await sink.ApplyAsync(Report(attemptId, callId, ProviderEventKind.Completed, clock) with
        {
            At = PlivoStatusMap.ParseTime(Value(form, "EndTime")) ?? clock.GetUtcNow(),
            EndStatus = PlivoStatusMap.EndStatusOf(status, code, name, answered),
            Q850Code = PlivoStatusMap.Q850Of(Value(form, "HangupCause"), code, name),
            DurationSec = PlivoStatusMap.ParseInt(Value(form, "Duration")),
            ProviderStatus = status ?? "completed",
            Raw = Raw(form, [.. CallKeys, "HangupCause", "HangupCauseCode", "HangupCauseName", "HangupSource", "Duration", "BillDuration",
                "AnswerTime", "EndTime"]),
        }, ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// 204. The session recording is ready: Plivo posts to <c>&lt;Record callbackUrl&gt;</c> <c>record_url</c>, <c>call_uuid</c>,
    /// <c>recording_id</c>, <c>recording_duration</c> (seconds), <c>recording_duration_ms</c>, <c>recording_start_ms</c>,
    /// <c>recording_end_ms</c> (Plivo "Record a call", callback_url parameters, https://www.plivo.com/docs/api/call/record/);
    /// the names of the <c>&lt;Record action&gt;</c> request (<c>RecordUrl</c>, <c>CallUUID</c>, <c>RecordingID</c>,
    /// <c>RecordingDuration</c>) are accepted too. The URL is stored on the attempt through a report of the lowest kind, which
    /// never advances the attempt or the call. Without a URL it is ignored.
    /// </summary>
    public static async Task<IResult> RecordingAsync(string attemptId, HttpContext http, IProviderEventSink sink, TimeProvider clock, CancellationToken ct)
    {
        var form = http.Request.Form;
        if ((Value(form, "record_url") ?? Value(form, "RecordUrl")) is not { Length: > 0 } url)
        {
            return TypedResults.NoContent();
        }
        await sink.ApplyAsync(Report(attemptId, CallId(form) ?? Value(form, "call_uuid") ?? "", ProviderEventKind.Initiated, clock) with
        {
            RecordingUrl = url,
            Raw = Raw(form, "call_uuid", "record_url", "recording_id", "recording_duration", "CallUUID", "RecordUrl", "RecordingID", "RecordingDuration"),
        }, ct);
        return TypedResults.NoContent();
    }

    private static ProviderEvent Report(string attemptId, string callId, ProviderEventKind kind, TimeProvider clock) => new()
    {
        Provider = Provider,
        ProviderCallId = callId,
        AttemptId = attemptId,
        Kind = kind,
        Sequence = 0,
        At = clock.GetUtcNow(),
    };

    /// <summary>Plivo's id for the call as the attempt knows it: <c>RequestUUID</c>, else <c>ALegRequestUUID</c>, else <c>CallUUID</c>; null when none.</summary>
    private static string? CallId(IFormCollection form) =>
        new[] { Value(form, "RequestUUID"), Value(form, "ALegRequestUUID"), Value(form, "CallUUID") }.FirstOrDefault(v => !string.IsNullOrEmpty(v));

    private static IResult Xml(string xml) => TypedResults.Text(xml, PlivoXml.ContentType);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning,
        Message = "Plivo attempt {AttemptId} was answered for a conversation, which Plivo cannot carry: hung up")]
    private static partial void LogCannotConverse(ILogger logger, string attemptId);
}
