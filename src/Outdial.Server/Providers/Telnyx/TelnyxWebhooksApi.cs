using System.Text.Json;
using Outdial.Core.Conversation;
using Outdial.Core.Telephony;
using Outdial.Server.Providers.Twilio;
using Outdial.Telephony.Telnyx;

namespace Outdial.Server.Providers.Telnyx;

/// <summary>
/// What Telnyx sends Outdial during a call: the Call Control webhooks of each attempt
/// (<c>POST /providers/telnyx/calls/{attemptId}/events</c>, the dial's <c>webhook_url</c>; JSON
/// <c>{"data":{"event_type","occurred_at","payload":{...}}}</c>) verified first by <see cref="TelnyxWebhookVerification"/>
/// (404 when Telnyx is not configured, 403 when the Ed25519 signature is missing, wrong or stale, and then nothing changes),
/// and the Conversation Relay WebSocket (<c>/providers/telnyx/relay/{attemptId}/{token}</c>). Reports go through
/// <see cref="IProviderEventSink"/>, the one state machine, which ignores duplicates and never moves a call backwards; raw
/// values are mapped by <see cref="TelnyxStatusMap"/> only. An event whose <c>client_state</c> is not the attempt's (a
/// signed body replayed to another attempt's URL) is ignored. Answers 204 to every verified event, also ignored ones;
/// 500 when a command to Telnyx failed for another reason than the call being over, so that Telnyx sends the event again.
/// Sources: Telnyx "Receiving webhooks" (https://developers.telnyx.com/docs/voice/programmable-voice/receiving-webhooks)
/// and the webhook schemas of Telnyx's OpenAPI spec (CallInitiated, CallAnswered, CallHangup, CallMachineDetectionEnded,
/// CallMachinePremiumDetectionEnded, CallMachineGreetingEnded, CallRecordingSaved, CallSpeakEnded, CallConversationEnded).
/// </summary>
public static partial class TelnyxWebhooksApi
{
    /// <summary>Name of this provider on attempts and reports.</summary>
    public const string Provider = TelnyxProvider.ProviderName;

    /// <summary>Maps the webhooks and the relay WebSocket; anonymous, not rate limited per API key, left out of the OpenAPI document.</summary>
    public static RouteGroupBuilder MapTelnyxWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapGet(TelnyxUrls.RelayPrefix + "/{attemptId}/{token}", RelayAsync)
            .WithName("TelnyxConversationRelay")
            .AllowAnonymous()
            .DisableRateLimiting()
            .ExcludeFromDescription();
        var group = app.MapGroup(TelnyxUrls.Prefix + "/{attemptId}")
            .AllowAnonymous()
            .DisableRateLimiting()
            .ExcludeFromDescription()
            .AddEndpointFilter<TelnyxWebhookVerification>();
        group.MapPost("/events", EventAsync).WithName("TelnyxWebhook");
        return group;
    }

    /// <summary>
    /// The Conversation Relay WebSocket of attempt <paramref name="attemptId"/>: 404 when Telnyx is not configured, 403 unless
    /// <paramref name="token"/> is the attempt's <see cref="TelnyxUrls.RelayToken"/> (Telnyx does not sign WebSocket
    /// upgrades; the token, which only this server can compute, is in the URL Outdial gave Telnyx), then the same relay
    /// session as Twilio's (<see cref="TwilioCallbacksApi.RelayAsync"/>: the frames are the same).
    /// </summary>
    public static async Task<IResult> RelayAsync(string attemptId, string token, HttpContext http, ConversationEngine engine, IConfiguration config)
    {
        var apiKey = config[TelnyxOptions.Section + ":" + nameof(TelnyxOptions.ApiKey)];
        if (string.IsNullOrEmpty(apiKey))
        {
            return TypedResults.NotFound();
        }
        if (!TelnyxUrls.IsValidRelayToken(apiKey, attemptId, token))
        {
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }
        return await TwilioCallbacksApi.RelayAsync(attemptId, http, engine);
    }

    /// <summary>One verified webhook of attempt <paramref name="attemptId"/>; see <see cref="TelnyxWebhooksApi"/> and docs/telnyx.md for each event.</summary>
    public static async Task<IResult> EventAsync(string attemptId, HttpContext http, IProviderEventSink sink, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken ct)
    {
        TelnyxEvent? e;
        try
        {
            e = TelnyxEvent.Parse((byte[])http.Items[TelnyxWebhookVerification.BodyKey]!);
        }
        catch (JsonException)
        {
            return TypedResults.BadRequest();
        }
        var log = loggers.CreateLogger(typeof(TelnyxWebhooksApi));
        if (e is null || string.IsNullOrEmpty(e.CallControlId) && e.Type != "call.recording.saved")
        {
            return TypedResults.NoContent();
        }
        if (e.ClientState is { Length: > 0 } state && state != TelnyxUrls.ClientState(attemptId))
        {
            LogForeignState(log, attemptId, e.Type);
            return TypedResults.NoContent();
        }
        var at = e.OccurredAt ?? clock.GetUtcNow();
        var report = new ProviderEvent
        {
            Provider = Provider,
            ProviderCallId = e.CallControlId ?? "",
            AttemptId = attemptId,
            Kind = ProviderEventKind.Initiated,
            Sequence = 0,
            At = at,
            ProviderStatus = e.Type,
            Raw = e.Raw,
        };
        var actions = new TelnyxCallActions(http.RequestServices, attemptId, e.CallControlId ?? "", log);
        try
        {
            switch (e.Type)
            {
                case "call.initiated":
                    await sink.ApplyAsync(report, ct);
                    break;
                case "call.answered":
                    await sink.ApplyAsync(report with { Kind = ProviderEventKind.Answered }, ct);
                    await actions.OnAnsweredAsync(ct);
                    break;
                case "call.machine.detection.ended" or "call.machine.premium.detection.ended":
                    if (TelnyxStatusMap.AnsweredByOf(e.Result) is { } verdict)
                    {
                        await sink.ApplyAsync(report with { Kind = ProviderEventKind.Answered, AnsweredBy = verdict, ProviderStatus = null }, ct);
                        await actions.OnVerdictAsync(verdict, fax: e.Result == "fax_detected", ct);
                    }
                    break;
                case "call.machine.greeting.ended" or "call.machine.premium.greeting.ended":
                    await actions.OnGreetingEndedAsync(ct);
                    break;
                case "call.speak.ended":
                    await actions.HangUpAsync(ct);
                    break;
                case "call.conversation.ended":
                    await actions.OnConversationEndedAsync(ct);
                    break;
                case "call.hangup":
                    var sip = TelnyxStatusMap.SipCodeOf(e.SipHangupCause);
                    var end = TelnyxStatusMap.EndStatusOf(e.HangupCause);
                    await sink.ApplyAsync(report with
                    {
                        Kind = ProviderEventKind.Completed,
                        EndStatus = end,
                        Outcome = TelnyxStatusMap.OutcomeWithoutSip(e.HangupCause, sip),
                        ProviderStatus = e.HangupCause ?? "hangup",
                        SipCode = sip,
                        // Connected seconds only for a connected call; Telnyx's start_time is "when the call started".
                        DurationSec = end == CallEndStatus.Completed && e.StartTime is { } start && at > start ? (int)(at - start).TotalSeconds : null,
                    }, ct);
                    break;
                case "call.recording.saved" when e.RecordingUrl is { Length: > 0 } url:
                    // The lowest kind: it can never advance the attempt; CallProgress.Advance only records the URL.
                    await sink.ApplyAsync(report with { RecordingUrl = url, ProviderStatus = null }, ct);
                    break;
            }
        }
        catch (TelnyxApiException ex) when (TelnyxProvider.IsCallGone(ex))
        {
            // The call ended meanwhile; its call.hangup follows.
            LogCallAlreadyOver(log, attemptId, e.Type, ex.HttpStatus);
        }
        return TypedResults.NoContent();
    }

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning,
        Message = "Telnyx {EventType} for attempt {AttemptId} ignored: its client_state belongs to another attempt")]
    private static partial void LogForeignState(ILogger logger, string attemptId, string eventType);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Information,
        Message = "Telnyx attempt {AttemptId}: no command sent for {EventType}, Telnyx answered HTTP {HttpStatus} (the call is over)")]
    private static partial void LogCallAlreadyOver(ILogger logger, string attemptId, string eventType, int httpStatus);
}
