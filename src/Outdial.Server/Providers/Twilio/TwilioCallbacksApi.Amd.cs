using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;

namespace Outdial.Server.Providers.Twilio;

public static partial class TwilioCallbacksApi
{
    /// <summary>
    /// 204. The asynchronous AMD verdict (<c>CallSid</c>, <c>AnsweredBy</c>: human, machine_start, machine_end_beep,
    /// machine_end_silence, machine_end_other, fax, unknown; <c>MachineDetectionDuration</c> ms) becomes an
    /// <see cref="ProviderEventKind.Answered"/> report with who answered. Twilio usually posts the in-progress status
    /// callback first, so the attempt is often answered already with <c>unknown</c>: the report then refines the
    /// attempt's <c>answeredBy</c> (<see cref="CallProgress.Advance"/>), which the final status uses for its outcome
    /// (completed + machine → voicemail). For a machine on an attempt still live, the call is redirected (Twilio "Update a
    /// Call" with <c>Twiml</c>, which also ends a ConversationRelay session already started) to what
    /// <see cref="CallAnswering.PlanAsync"/> plans for a machine — the agent's voicemail message with its disclosures, as
    /// <c>&lt;Say&gt;</c> then <c>&lt;Hangup/&gt;</c> — or hung up when it plans no message or a fax answered; when Twilio
    /// answers 400 or 404 (the call ended meanwhile) nothing more is done. A missing or empty verdict is ignored. Other Twilio errors
    /// propagate (500) after the verdict has been applied.
    /// </summary>
    public static async Task<IResult> AmdAsync(string attemptId, HttpContext http, ICallStore calls, CallAnswering answering,
        IProviderEventSink sink, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var form = http.Request.Form;
        var callSid = Value(form, "CallSid");
        var raw = Value(form, "AnsweredBy");
        if (string.IsNullOrEmpty(callSid) || TwilioStatusMap.AnsweredByOf(raw) is not { } verdict)
        {
            return TypedResults.NoContent();
        }
        await sink.ApplyAsync(new ProviderEvent
        {
            Provider = Provider,
            ProviderCallId = callSid,
            AttemptId = attemptId,
            Kind = ProviderEventKind.Answered,
            Sequence = 0,
            At = clock.GetUtcNow(),
            AnsweredBy = verdict,
            Raw = Raw(form, "CallSid", "AnsweredBy", "MachineDetectionDuration"),
        }, ct);
        if (verdict == AnsweredBy.Machine && await calls.GetAttemptAsync(attemptId, ct) is { Status: not AttemptStatus.Completed })
        {
            // Registered only when Outdial:Twilio:AccountSid is set; without it this server cannot act on a live call.
            if (http.RequestServices.GetService<TwilioProvider>() is not { } twilio)
            {
                var log = loggers.CreateLogger(typeof(TwilioCallbacksApi));
                LogNoProvider(log, attemptId);
                return TypedResults.NoContent();
            }
            var twiml = raw != "fax" && await answering.PlanAsync(attemptId, AnsweredBy.Machine, ct) is AnswerPlan.Say say
                ? Twiml.Say(say.Text, say.Voice, say.Language)
                : null;
            try
            {
                await twilio.PlayVoicemailAsync(callSid, twiml, ct);
            }
            catch (TwilioApiException e) when (e.HttpStatus is 400 or 404)
            {
                // The call ended meanwhile (Twilio "Update a Call": only in-progress calls take new TwiML); its final status follows.
                var log = loggers.CreateLogger(typeof(TwilioCallbacksApi));
                LogCallAlreadyOver(log, attemptId, e.HttpStatus);
            }
        }
        return TypedResults.NoContent();
    }

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning,
        Message = "A machine answered Twilio attempt {AttemptId} but Outdial:Twilio:AccountSid is not set: no voicemail message is played")]
    private static partial void LogNoProvider(ILogger logger, string attemptId);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information,
        Message = "Voicemail for Twilio attempt {AttemptId} not played: Twilio answered HTTP {HttpStatus} (the call is over)")]
    private static partial void LogCallAlreadyOver(ILogger logger, string attemptId, int httpStatus);
}
