using Outdial.Core.Calls;
using Outdial.Core.Storage;
using Outdial.Core.Telephony;
using Outdial.Telephony.Plivo;
using static Outdial.Server.Providers.Twilio.TwilioCallbacksApi;

namespace Outdial.Server.Providers.Plivo;

public static partial class PlivoCallbacksApi
{
    /// <summary>
    /// 204. The asynchronous machine-detection verdict (<c>Machine</c> true/false, <c>CallUUID</c>, <c>Event=MachineDetection</c>)
    /// becomes an <see cref="ProviderEventKind.Answered"/> report with who answered; it refines the attempt's <c>answeredBy</c>
    /// (the answer URL reported it first, unknown), which the hang-up then maps (completed + machine → voicemail). For a machine
    /// on an attempt still live, the call is transferred (Plivo "Transfer a call") to the answer URL with <c>?machine=true</c>,
    /// which answers the voicemail message or a hang-up; when Plivo answers 404 (the call ended meanwhile) nothing more is done.
    /// A missing verdict or call UUID is ignored. Other Plivo errors propagate (500) after the verdict has been applied.
    /// </summary>
    public static async Task<IResult> AmdAsync(string attemptId, HttpContext http, ICallStore calls, IProviderEventSink sink,
        Microsoft.Extensions.Options.IOptions<Core.Accounts.OutdialOptions> options, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var form = http.Request.Form;
        var callUuid = Value(form, "CallUUID");
        if (string.IsNullOrEmpty(callUuid) || PlivoStatusMap.AnsweredByOf(Value(form, "Machine")) is not { } verdict)
        {
            return TypedResults.NoContent();
        }
        await sink.ApplyAsync(Report(attemptId, CallId(form)!, ProviderEventKind.Answered, clock) with
        {
            AnsweredBy = verdict,
            ProviderStatus = Value(form, "CallStatus") ?? "in-progress",
            Raw = Raw(form, [.. CallKeys, "Machine", "IfMachine", "Event"]),
        }, ct);
        if (verdict == AnsweredBy.Machine && await calls.GetAttemptAsync(attemptId, ct) is { Status: not AttemptStatus.Completed })
        {
            var log = loggers.CreateLogger(typeof(PlivoCallbacksApi));
            // Registered only when Outdial:Plivo:AuthId is set; without it this server cannot act on a live call.
            if (http.RequestServices.GetService<PlivoProvider>() is not { } plivo)
            {
                LogNoProvider(log, attemptId);
            }
            else if (!await plivo.TransferAsync(callUuid, PlivoUrls.AnswerForMachine(options.Value.PublicBaseUrl!, attemptId), ct))
            {
                LogCallAlreadyOver(log, attemptId);
            }
        }
        return TypedResults.NoContent();
    }

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning,
        Message = "A machine answered Plivo attempt {AttemptId} but Outdial:Plivo:AuthId is not set: no voicemail message is played")]
    private static partial void LogNoProvider(ILogger logger, string attemptId);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Information,
        Message = "Voicemail for Plivo attempt {AttemptId} not played: the call is over (Plivo answered 404 to the transfer)")]
    private static partial void LogCallAlreadyOver(ILogger logger, string attemptId);
}
