using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Telnyx;

/// <summary>
/// Telephony through Telnyx's Call Control v2 API (provider name <c>telnyx</c>). Dials with Dial (<c>POST /v2/calls</c>),
/// ends calls with the hangup command and answers the reconciler from "Retrieve a call status" and the connection's
/// active calls. Progress arrives as Telnyx's signed webhooks under <see cref="TelnyxUrls"/> (handled by the server);
/// what an answered call does (Conversation Relay, a spoken message, a hang-up) is sent as commands by the server
/// through <see cref="StartConversationAsync"/>, <see cref="SpeakAsync"/> and <see cref="HangUpAsync"/>.
/// Delivery rule (ARCHITECTURE §5): a dial whose result Telnyx did not state (5xx, timeout, network error, 429 after the
/// retries) throws, so the attempt goes to the reconciler and is never redialed blindly; <c>command_id</c> = the attempt id
/// makes Telnyx ignore a repeated Dial of the same attempt.
/// </summary>
public sealed partial class TelnyxProvider(
    TelnyxRestClient client,
    TelnyxHealth health,
    IOptions<TelnyxOptions> options,
    IOptions<OutdialOptions> outdial,
    TimeProvider clock,
    ILogger<TelnyxProvider> log) : ITelephonyProvider
{
    /// <summary>Provider name on phone numbers, attempts and reports.</summary>
    public const string ProviderName = "telnyx";

    /// <summary>Provider status of a dial refused because of the Telnyx account's configuration.</summary>
    public const string ConfigurationStatus = "provider_configuration";

    /// <summary>Provider status of a dial Telnyx refused as a bad request for another reason (no call exists).</summary>
    public const string RejectedStatus = "provider_rejected";

    /// <summary>Telnyx error codes meaning the callee's number is not dialable: 10016 "Phone number must be in +E164 format" (on <c>to</c>).</summary>
    public static readonly IReadOnlySet<int> InvalidNumberCodes = new HashSet<int> { 10016 };

    /// <summary>
    /// Telnyx error codes meaning the account is misconfigured (Telnyx "API errors", https://developers.telnyx.com/docs/overview/errors):
    /// 10009 authentication failed, 10010 authorization failed (the key may not use this resource). HTTP 401 and 403 are
    /// treated the same whatever the code, and so is an error about <c>connection_id</c> or <c>from</c> (e.g. 10015
    /// "Invalid value for connection_id", or a caller ID the account does not own).
    /// </summary>
    public static readonly IReadOnlySet<int> ConfigurationCodes = new HashSet<int> { 10009, 10010 };

    /// <summary>Telnyx error codes meaning the call is over or unknown, so a command has nothing left to act on: 90018 call has already ended, 90015 invalid call control id.</summary>
    public static readonly IReadOnlySet<int> CallGoneCodes = new HashSet<int> { 90018, 90015 };

    /// <summary>An attempt with no call control id and no live call this long after its creation never reached Telnyx (at least 15 minutes).</summary>
    private TimeSpan NeverReachedAfter => TimeSpan.FromMinutes(15) > client.MaxRequestSpan + TimeSpan.FromSeconds(60)
        ? TimeSpan.FromMinutes(15)
        : client.MaxRequestSpan + TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public string Name => ProviderName;

    /// <inheritdoc />
    public double? CallsPerSecond => options.Value.CallsPerSecond;

    private string PublicBaseUrl => outdial.Value.PublicBaseUrl
        ?? throw new InvalidOperationException("Outdial:PublicBaseUrl is required for Telnyx (it is validated at start).");

    /// <summary>
    /// The Dial body for <paramref name="request"/>: <c>webhook_url</c> = <see cref="TelnyxUrls.Events"/> (POST),
    /// <c>client_state</c> = base64 of the attempt id, <c>command_id</c> = the attempt id (Telnyx ignores another Dial with
    /// the same one), <c>timeout_secs</c> = ring timeout clamped to Telnyx's 5-600 s, <c>time_limit_secs</c> = maximum duration
    /// clamped to 30-14400 s, <c>answering_machine_detection</c> <c>detect</c> (Enable) or <c>greeting_end</c> (DetectMessageEnd,
    /// which also reports the end of a machine's greeting), and <c>record: record-from-answer</c> (mp3) when asked.
    /// The conversation is not configured here: the server starts it with <c>conversation_relay_start</c> after
    /// <c>call.answered</c>, once it knows whether to converse, speak a message or hang up (docs/telnyx.md).
    /// </summary>
    public static TelnyxDialRequest DialRequestFor(DialRequest request, string connectionId, string publicBaseUrl) => new()
    {
        ConnectionId = connectionId,
        To = request.To,
        From = request.From,
        WebhookUrl = TelnyxUrls.Events(publicBaseUrl, request.AttemptId),
        WebhookUrlMethod = "POST",
        AnsweringMachineDetection = request.Amd switch
        {
            AnsweringMachineDetection.Enable => "detect",
            AnsweringMachineDetection.DetectMessageEnd => "greeting_end",
            _ => null,
        },
        TimeoutSecs = Math.Clamp(request.RingTimeoutSec, 5, 600),
        TimeLimitSecs = Math.Clamp(request.MaxDurationSec, 30, 14400),
        ClientState = TelnyxUrls.ClientState(request.AttemptId),
        CommandId = request.AttemptId,
        Record = request.Record ? "record-from-answer" : null,
        RecordFormat = request.Record ? "mp3" : null,
    };

    /// <summary>
    /// What a Telnyx error answered to Dial means: a refusal for a bad number or a configuration problem, a refusal of
    /// another bad request (other 4xx: no call was created), or null when the outcome is unknown (5xx, 429, 408).
    /// </summary>
    public static DialResult.Refused? RefusalFor(TelnyxApiException e)
    {
        var code = e.Code?.ToString(CultureInfo.InvariantCulture);
        var text = $"Telnyx error {code ?? "-"} (HTTP {e.HttpStatus}): {e.TelnyxMessage}";
        var status = code ?? e.HttpStatus.ToString(CultureInfo.InvariantCulture);
        if (e.Code is { } c && InvalidNumberCodes.Contains(c))
        {
            return new DialResult.Refused(CallOutcome.InvalidNumber, status, null, null, text);
        }
        if (e.HttpStatus is 401 or 403 || (e.Code is { } cc && ConfigurationCodes.Contains(cc))
            || e.Pointer is "/connection_id" or "/from")
        {
            return new DialResult.Refused(CallOutcome.Error, ConfigurationStatus, null, null, text);
        }
        return e.HttpStatus is >= 400 and < 500 and not 429 and not 408
            ? new DialResult.Refused(CallOutcome.Error, RejectedStatus, null, null, text)
            : null;
    }

    /// <inheritdoc />
    /// <remarks>Throws <see cref="TelnyxApiException"/> (5xx, 429 after retries), <see cref="TimeoutException"/> or
    /// <see cref="HttpRequestException"/> when Telnyx did not state the result.</remarks>
    public async Task<DialResult> DialAsync(DialRequest request, CancellationToken ct)
    {
        TelnyxCall call;
        try
        {
            call = await client.DialAsync(DialRequestFor(request, options.Value.ConnectionId, PublicBaseUrl), ct);
        }
        catch (TelnyxApiException e) when (RefusalFor(e) is { } refused)
        {
            if (refused.ProviderStatus == ConfigurationStatus)
            {
                health.RecordConfigurationError(e.HttpStatus, e.Code, refused.Error);
                // Telnyx's detail can quote phone numbers: it stays on the call and in /health, out of the log.
                LogConfigurationError(request.AttemptId, e.HttpStatus, e.Code);
            }
            return refused;
        }
        health.RecordSuccess();
        return new DialResult.Placed(call.CallControlId);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <c>POST /v2/calls/{id}/actions/hangup</c> (ends a ringing call too). Telnyx's 404 and 422 with 90018 (already ended)
    /// or 90015 (unknown id) mean there is nothing left to end.
    /// </remarks>
    public async Task HangUpAsync(string providerCallId, CancellationToken ct)
    {
        try
        {
            await client.ActionAsync(providerCallId, "hangup", new TelnyxHangupRequest(null), ct);
        }
        catch (TelnyxApiException e) when (IsCallGone(e))
        {
            // Already ended: hanging up is idempotent.
        }
    }

    /// <summary>
    /// Starts the Conversation Relay session of an answered call (<c>POST /v2/calls/{id}/actions/conversation_relay_start</c>):
    /// Telnyx opens a WebSocket to <paramref name="relayUrl"/> and speaks the plan's greeting itself; <c>interruptible</c>
    /// <c>any</c> or <c>none</c> as <see cref="ConversationPlan.Interruptible"/>; DTMF detection on; the agent's voice unless it
    /// is one of Twilio's basic <c>&lt;Say&gt;</c> voices (alice, man, woman), which Telnyx does not know.
    /// </summary>
    /// <exception cref="TelnyxApiException">Telnyx refused (e.g. 422 90018: the call ended meanwhile).</exception>
    /// <exception cref="TimeoutException">Telnyx did not answer within RequestTimeout.</exception>
    /// <param name="commandId">Telnyx ignores a repeated command with the same id on the call (a retried webhook starts one session).</param>
    public Task StartConversationAsync(string callControlId, string relayUrl, ConversationPlan plan, string? commandId, CancellationToken ct) =>
        client.ActionAsync(callControlId, "conversation_relay_start", new TelnyxConversationRelayStart
        {
            CommandId = commandId,
            Url = relayUrl,
            Greeting = OrNull(plan.WelcomeGreeting),
            Language = OrNull(plan.Language),
            Voice = IsBasicVoice(plan.Voice) ? null : plan.Voice,
            DtmfDetection = true,
            Interruptible = plan.Interruptible ? "any" : "none",
        }, ct);

    /// <summary>
    /// Speaks <paramref name="text"/> once (<c>POST /v2/calls/{id}/actions/speak</c>); the server hangs up on the following
    /// <c>call.speak.ended</c>. Voice: the agent's, with Twilio's basic voices mapped to Telnyx's basic ones (alice and woman
    /// → <c>female</c>, man → <c>male</c>, none → <c>female</c>); language (BCP-47) as given, left out when empty.
    /// </summary>
    /// <exception cref="TelnyxApiException">Telnyx refused (e.g. 422 90018: the call ended meanwhile).</exception>
    /// <exception cref="TimeoutException">Telnyx did not answer within RequestTimeout.</exception>
    /// <param name="commandId">Telnyx ignores a repeated command with the same id on the call (a retried webhook speaks once).</param>
    public Task SpeakAsync(string callControlId, string text, string voice, string language, string? commandId, CancellationToken ct) =>
        client.ActionAsync(callControlId, "speak", new TelnyxSpeakRequest
        {
            CommandId = commandId,
            Payload = text,
            Voice = SpeakVoice(voice),
            Language = OrNull(language),
        }, ct);

    /// <summary>
    /// Transfers the call to <paramref name="to"/> (E.164) showing <paramref name="from"/> (<c>POST /v2/calls/{id}/actions/transfer</c>),
    /// after the conversation asked for it.
    /// </summary>
    /// <exception cref="TelnyxApiException">Telnyx refused (e.g. 422 90018: the call ended meanwhile).</exception>
    /// <exception cref="TimeoutException">Telnyx did not answer within RequestTimeout.</exception>
    public Task TransferAsync(string callControlId, string to, string from, string? commandId, CancellationToken ct) =>
        client.ActionAsync(callControlId, "transfer", new TelnyxTransferRequest(to, from, commandId), ct);

    /// <summary>True when <paramref name="e"/> says the call is over or unknown (HTTP 404, or 90018/90015).</summary>
    public static bool IsCallGone(TelnyxApiException e) => e.HttpStatus == 404 || (e.Code is { } c && CallGoneCodes.Contains(c));

    /// <inheritdoc />
    /// <remarks>
    /// With a call control id: <c>GET /v2/calls/{id}</c> as events (<see cref="Snapshot"/>); Telnyx's 404 (it keeps a call
    /// for 10 minutes after it ended) answers null. Without one (the Dial answer was lost and no webhook arrived): the
    /// connection's active calls whose <c>client_state</c> is the attempt's; one → its events; none and the attempt older
    /// than max(15 min, MaxRequestSpan + 60 s) → null (never reached Telnyx: Telnyx sends <c>call.initiated</c> for every
    /// call it creates and retries webhooks, so a call it made would have told us by then); otherwise throws.
    /// </remarks>
    public async Task<ProviderCallSnapshot?> LookupAsync(Attempt attempt, CancellationToken ct)
    {
        if (attempt.ProviderCallId is { } id)
        {
            var call = await client.RetrieveCallAsync(id, ct);
            return call is null ? null : Snapshot(call, attempt, clock.GetUtcNow());
        }
        var state = TelnyxUrls.ClientState(attempt.Id);
        var matches = (await client.ListActiveCallsAsync(ct)).Where(c => c.ClientState == state).ToList();
        var now = clock.GetUtcNow();
        return matches.Count switch
        {
            1 => Snapshot(matches[0] with { IsAlive = true }, attempt, now),
            0 when now - attempt.CreatedAt > NeverReachedAfter => null,
            0 => throw new InvalidOperationException($"No live Telnyx call for attempt {attempt.Id} yet; it may still be created. Ask again later."),
            _ => throw new InvalidOperationException($"{matches.Count} live Telnyx calls carry attempt {attempt.Id}; cannot tell which is ours."),
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// <c>GET /v2/recordings?filter[call_control_id]=</c>: the newest <c>completed</c> recording's mp3 URL (else wav); none
    /// answers null. Telnyx's download URLs are short-lived presigned links: the stored URL is for prompt retrieval.
    /// </remarks>
    public async Task<string?> LookupRecordingAsync(Attempt attempt, CancellationToken ct)
    {
        if (attempt.ProviderCallId is not { } id)
        {
            return null;
        }
        var done = (await client.ListRecordingsAsync(id, ct))
            .Where(r => r.Status == "completed" && (r.DownloadUrls?.Mp3 ?? r.DownloadUrls?.Wav) is { Length: > 0 })
            .MaxBy(r => TelnyxStatusMap.ParseTime(r.CreatedAt));
        return done?.DownloadUrls?.Mp3 ?? done?.DownloadUrls?.Wav;
    }

    /// <summary>
    /// The reports a Telnyx call implies, in order: initiated (at <c>start_time</c>); for an ended call (<c>is_alive</c>
    /// false), completed at <c>end_time</c> with <c>call_duration</c>. Telnyx's call status carries no hang-up cause, so the
    /// end status is what the attempt already knew: completed when it was answered (outcome answered or voicemail by the
    /// attempt's AMD verdict), else failed with provider status <c>hangup_unknown</c> (outcome <c>error</c>: the cause was
    /// in the lost <c>call.hangup</c> webhook). A live call adds nothing beyond initiated.
    /// </summary>
    public static ProviderCallSnapshot Snapshot(TelnyxCall call, Attempt attempt, DateTimeOffset now)
    {
        var started = TelnyxStatusMap.ParseTime(call.StartTime) ?? attempt.CreatedAt;
        var raw = new Dictionary<string, string>(StringComparer.Ordinal) { ["is_alive"] = call.IsAlive ? "true" : "false" };
        if (call.CallDuration is { } d)
        {
            raw["call_duration"] = d.ToString(CultureInfo.InvariantCulture);
        }
        var events = new List<ProviderEvent>
        {
            new()
            {
                Provider = ProviderName, ProviderCallId = call.CallControlId, AttemptId = attempt.Id,
                Kind = ProviderEventKind.Initiated, Sequence = 1, At = started, ProviderStatus = "initiated", Raw = raw,
            },
        };
        if (!call.IsAlive)
        {
            var answered = attempt.AnsweredAt is not null;
            events.Add(events[0] with
            {
                Kind = ProviderEventKind.Completed,
                Sequence = 2,
                At = TelnyxStatusMap.ParseTime(call.EndTime) ?? now,
                EndStatus = answered ? CallEndStatus.Completed : CallEndStatus.Failed,
                ProviderStatus = answered ? "hangup" : "hangup_unknown",
                DurationSec = call.CallDuration,
                Error = answered ? null : "Telnyx reports the call ended; its hang-up cause was in a call.hangup webhook that never arrived.",
            });
        }
        return new ProviderCallSnapshot(call.CallControlId, events);
    }

    private static readonly HashSet<string> BasicVoices = new(["alice", "man", "woman"], StringComparer.OrdinalIgnoreCase);

    private static bool IsBasicVoice(string? voice) => string.IsNullOrWhiteSpace(voice) || BasicVoices.Contains(voice);

    private static string SpeakVoice(string? voice) => voice?.Trim().ToLowerInvariant() switch
    {
        null or "" or "alice" or "woman" => "female",
        "man" => "male",
        _ => voice!,
    };

    private static string? OrNull(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error,
        Message = "Telnyx refused attempt {AttemptId} for a configuration problem: HTTP {HttpStatus}, error {Code} (see GET /health)")]
    private partial void LogConfigurationError(string attemptId, int httpStatus, int? code);
}
