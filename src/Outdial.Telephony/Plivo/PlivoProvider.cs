using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Plivo;

/// <summary>
/// Telephony through Plivo's Voice API (provider name <c>plivo</c>): dials with "Make a call", ends calls with "Hang up a
/// call" / "Cancel a queued call", answers the reconciler from "Retrieve a call" / "Retrieve a live call". Progress arrives
/// as Plivo's callbacks under <see cref="PlivoUrls"/> (handled by the server). The attempt's provider call id is Plivo's
/// <c>request_uuid</c> (known when the dial is accepted); the call's <c>CallUUID</c> arrives with the callbacks and is kept
/// in the attempt's raw values (<c>CallUUID</c>).
/// <para>Plivo cannot carry Outdial's AI conversation (<see cref="CanConverse"/> is false): its <c>&lt;Stream&gt;</c> sends raw
/// audio, and Outdial has no speech-to-text or text-to-speech of its own. Message drops and voicemail drops work.</para>
/// Delivery rule (ARCHITECTURE §5): a dial whose result Plivo did not state (5xx, 408, 429, timeout, network error) throws,
/// so the attempt goes to the reconciler and is never redialed blindly.
/// </summary>
public sealed partial class PlivoProvider(
    PlivoRestClient client,
    PlivoHealth health,
    IOptions<PlivoOptions> options,
    IOptions<OutdialOptions> outdial,
    TimeProvider clock,
    ILogger<PlivoProvider> log) : ITelephonyProvider
{
    /// <summary>Provider status of a dial refused because of the Plivo account's configuration.</summary>
    public const string ConfigurationStatus = "provider_configuration";

    /// <summary>Provider status of a dial Plivo refused as a bad request for another reason (no call exists).</summary>
    public const string RejectedStatus = "provider_rejected";

    /// <summary>The raw value (and callback parameter) that carries Plivo's call UUID.</summary>
    public const string CallUuidKey = "CallUUID";

    /// <summary>An attempt with no call found this long after its creation never reached Plivo (at least 2 minutes).</summary>
    private TimeSpan NeverReachedAfter => TimeSpan.FromMinutes(2) > client.MaxRequestSpan + TimeSpan.FromSeconds(60)
        ? TimeSpan.FromMinutes(2)
        : client.MaxRequestSpan + TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public string Name => "plivo";

    /// <inheritdoc />
    public double? CallsPerSecond => options.Value.CallsPerSecond;

    /// <inheritdoc />
    /// <remarks>False: Plivo's only media seam is raw audio (<c>&lt;Stream&gt;</c>, mu-law/L16 over a WebSocket).</remarks>
    public bool CanConverse => false;

    private string PublicBaseUrl => outdial.Value.PublicBaseUrl
        ?? throw new InvalidOperationException("Outdial:PublicBaseUrl is required for Plivo (it is validated at start).");

    /// <summary>A number in Plivo's documented form: E.164 without the leading <c>+</c> (<c>+14155550100</c> → <c>14155550100</c>).</summary>
    public static string PlivoNumber(string e164) => e164.StartsWith('+') ? e164[1..] : e164;

    /// <summary>
    /// The "Make a call" arguments for <paramref name="request"/>: answer, ring and hangup URLs under
    /// <paramref name="publicBaseUrl"/> (<see cref="PlivoUrls"/>; answer by POST), <c>ring_timeout</c> = ring timeout and
    /// <c>time_limit</c> = maximum duration (seconds); with answering-machine detection asked for, <c>machine_detection=true</c>
    /// with an asynchronous <c>machine_detection_url</c> (Plivo answers at once and posts the verdict there).
    /// </summary>
    public static PlivoCreateCall CreateCallFor(DialRequest request, string publicBaseUrl)
    {
        var amd = request.Amd != AnsweringMachineDetection.Off;
        return new PlivoCreateCall(
            From: PlivoNumber(request.From),
            To: PlivoNumber(request.To),
            AnswerUrl: PlivoUrls.Answer(publicBaseUrl, request.AttemptId),
            AnswerMethod: "POST",
            RingUrl: PlivoUrls.Ring(publicBaseUrl, request.AttemptId),
            RingMethod: null,
            HangupUrl: PlivoUrls.Hangup(publicBaseUrl, request.AttemptId),
            HangupMethod: null,
            MachineDetection: amd ? "true" : null,
            MachineDetectionUrl: amd ? PlivoUrls.Amd(publicBaseUrl, request.AttemptId) : null,
            MachineDetectionMethod: amd ? "POST" : null,
            TimeLimit: request.MaxDurationSec,
            RingTimeout: request.RingTimeoutSec);
    }

    /// <summary>
    /// What a Plivo error answered to "Make a call" means (Plivo "API response", https://www.plivo.com/docs/voice/api/response, documents 400, 401, 404, 405, 429 and 500; the npm
    /// library adds 403 for a destination the account's geo permissions block):
    /// 401 (credentials), 402 (out of credit), 403 (forbidden, e.g. the destination's geo permission is off) and 404 (the
    /// account path) → a configuration problem; 400 whose error names the <c>from</c> number (a caller ID the account cannot
    /// use) → configuration; 400 whose error names the <c>to</c> number or the destination → <c>invalid_number</c>; any other
    /// 400, 405, 409, 422 → refused (<see cref="RejectedStatus"/>: no call exists); 408, 429 and 5xx → null: the outcome is
    /// unknown and the dial throws.
    /// </summary>
    public static DialResult.Refused? RefusalFor(PlivoApiException e)
    {
        var text = $"Plivo error (HTTP {e.HttpStatus}): {e.PlivoMessage}";
        var status = e.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = e.PlivoMessage.ToLowerInvariant();
        if (e.HttpStatus is 401 or 402 or 403 or 404 || (e.HttpStatus == 400 && Names(message, "from")))
        {
            return new DialResult.Refused(CallOutcome.Error, ConfigurationStatus, null, null, text);
        }
        if (e.HttpStatus == 400 && (Names(message, "to") || message.Contains("destination", StringComparison.Ordinal)))
        {
            return new DialResult.Refused(CallOutcome.InvalidNumber, status, null, null, text);
        }
        return e.HttpStatus is 400 or 405 or 409 or 422 ? new DialResult.Refused(CallOutcome.Error, RejectedStatus, null, null, text) : null;
    }

    /// <summary>True when Plivo's error text names parameter <paramref name="name"/> (<c>'to'</c>, <c>"to"</c>, <c>to number</c>, <c>to parameter</c>).</summary>
    private static bool Names(string message, string name) =>
        message.Contains($"'{name}'", StringComparison.Ordinal) || message.Contains($"\"{name}\"", StringComparison.Ordinal)
        || message.Contains($"{name} number", StringComparison.Ordinal) || message.Contains($"{name} parameter", StringComparison.Ordinal)
        || message.Contains($"{name}_number", StringComparison.Ordinal);

    /// <inheritdoc />
    /// <remarks>Throws <see cref="PlivoApiException"/> (408, 429, 5xx), <see cref="TimeoutException"/> or
    /// <see cref="HttpRequestException"/> when Plivo did not state the result.</remarks>
    public async Task<DialResult> DialAsync(DialRequest request, CancellationToken ct)
    {
        PlivoCreateCallResponse created;
        try
        {
            created = await client.CreateCallAsync(CreateCallFor(request, PublicBaseUrl), ct);
        }
        catch (PlivoApiException e) when (RefusalFor(e) is { } refused)
        {
            if (refused.ProviderStatus == ConfigurationStatus)
            {
                health.RecordConfigurationError(e.HttpStatus, null, refused.Error);
                // Plivo's message can quote phone numbers: it stays on the call and in /health, out of the log.
                LogConfigurationError(request.AttemptId, e.HttpStatus);
            }
            return refused;
        }
        health.RecordSuccess();
        return new DialResult.Placed(created.RequestUuid!);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="providerCallId"/> is a request UUID (or a call UUID). In order: "Hang up a call" with it as a call UUID;
    /// on 404 "Cancel a queued call" with it as a request UUID (a call not answered yet); on 404 the live call whose
    /// <c>request_uuid</c> it is (live calls listed and retrieved one by one, at most 100) is hung up. Nothing found means the
    /// call is over: not an error.
    /// </remarks>
    public async Task HangUpAsync(string providerCallId, CancellationToken ct)
    {
        if (await client.HangUpCallAsync(providerCallId, ct) || await client.CancelRequestAsync(providerCallId, ct))
        {
            return;
        }
        if (await FindLiveByRequestAsync(providerCallId, null, null, ct) is { CallUuid: { Length: > 0 } callUuid })
        {
            await client.HangUpCallAsync(callUuid, ct);
        }
    }

    /// <summary>
    /// Gives the live call <paramref name="callUuid"/> new Plivo XML from <paramref name="alegUrl"/> (Plivo "Transfer a call"),
    /// e.g. the voicemail message once asynchronous machine detection found a machine. False when the call is not live (404).
    /// </summary>
    /// <exception cref="PlivoApiException">Plivo refused the transfer for another reason.</exception>
    public async Task<bool> TransferAsync(string callUuid, string alegUrl, CancellationToken ct)
    {
        try
        {
            await client.TransferAsync(callUuid, alegUrl, ct);
            return true;
        }
        catch (PlivoApiException e) when (e.HttpStatus == 404)
        {
            return false;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// With the call's UUID (from an earlier callback, the attempt's raw <c>CallUUID</c>): its call detail record, else the
    /// live call; neither → throws (Plivo writes the record shortly after the end: ask later). With only the request UUID:
    /// the live call with that <c>request_uuid</c> between the attempt's numbers, else the record retrieved with it as a call
    /// UUID, else the one call between the attempt's numbers that ended since the attempt was created; otherwise throws (the
    /// call exists: Plivo accepted it). With neither (the dial's answer was lost): the one live or ended call between the
    /// numbers since the attempt was created; none and the attempt older than max(2 min, RequestTimeout + 60 s) → null (it
    /// never reached Plivo); more than one or too early → throws.
    /// </remarks>
    public async Task<ProviderCallSnapshot?> LookupAsync(Attempt attempt, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var from = PlivoNumber(attempt.From);
        var to = PlivoNumber(attempt.To);
        if (attempt.ProviderRaw?.GetValueOrDefault(CallUuidKey) is { Length: > 0 } callUuid)
        {
            if (await client.GetCallAsync(callUuid, ct) is { } ended)
            {
                return Snapshot(ended, attempt.ProviderCallId, attempt.Id, live: false, now);
            }
            return await client.GetLiveCallAsync(callUuid, ct) is { } live
                ? Snapshot(live, attempt.ProviderCallId, attempt.Id, live: true, now)
                : throw new InvalidOperationException($"Plivo has no record of call {callUuid} yet (attempt {attempt.Id}). Ask again later.");
        }
        var since = attempt.CreatedAt - TimeSpan.FromSeconds(10);
        if (attempt.ProviderCallId is { } requestUuid)
        {
            if (await FindLiveByRequestAsync(requestUuid, from, to, ct) is { } live)
            {
                return Snapshot(live, requestUuid, attempt.Id, live: true, now);
            }
            if (await client.GetCallAsync(requestUuid, ct) is { } record)
            {
                return Snapshot(record, requestUuid, attempt.Id, live: false, now);
            }
            var ended = await client.ListEndedCallsAsync(from, to, since, ct);
            return ended.Count == 1
                ? Snapshot(ended[0], requestUuid, attempt.Id, live: false, now)
                : throw new InvalidOperationException(
                    $"Plivo request {requestUuid} (attempt {attempt.Id}) matches {ended.Count} ended calls and no live one. Ask again later.");
        }
        var liveIds = await client.ListLiveCallsAsync(from, to, ct);
        var endedCalls = await client.ListEndedCallsAsync(from, to, since, ct);
        if (liveIds.Count + endedCalls.Count == 1)
        {
            return liveIds.Count == 1 && await client.GetLiveCallAsync(liveIds[0], ct) is { } one
                ? Snapshot(one, one.RequestUuid, attempt.Id, live: true, now)
                : endedCalls.Count == 1
                    ? Snapshot(endedCalls[0], null, attempt.Id, live: false, now)
                    : throw new InvalidOperationException($"The Plivo call of attempt {attempt.Id} ended while being looked up. Ask again later.");
        }
        return liveIds.Count + endedCalls.Count == 0 && now - attempt.CreatedAt > NeverReachedAfter
            ? null
            : throw new InvalidOperationException(
                $"{liveIds.Count + endedCalls.Count} Plivo calls match attempt {attempt.Id}; cannot tell yet which is ours. Ask again later.");
    }

    /// <inheritdoc />
    /// <remarks>
    /// Lists the recordings of the attempt's call (its raw <c>CallUUID</c>; none known → null) with Plivo "List all
    /// recordings": the newest (by <c>add_time</c>) with a <c>recording_url</c> gives the URL, the form the recording callback
    /// gives as <c>record_url</c>; none → null. Plivo lists a recording only once its file is ready, so an answer of none is
    /// final for the reconciler, which asks only once the attempt has been quiet for its <c>StaleAfter</c> (2 minutes by default).
    /// </remarks>
    public async Task<string?> LookupRecordingAsync(Attempt attempt, CancellationToken ct)
    {
        if (attempt.ProviderRaw?.GetValueOrDefault(CallUuidKey) is not { Length: > 0 } callUuid)
        {
            return null;
        }
        var recordings = await client.ListRecordingsAsync(callUuid, ct);
        return recordings.Where(r => !string.IsNullOrEmpty(r.RecordingUrl))
            .MaxBy(r => PlivoStatusMap.ParseTime(r.AddTime) ?? DateTimeOffset.MinValue)?.RecordingUrl;
    }

    private async Task<PlivoCallResource?> FindLiveByRequestAsync(string requestUuid, string? from, string? to, CancellationToken ct)
    {
        foreach (var uuid in (await client.ListLiveCallsAsync(from, to, ct)).Take(100))
        {
            if (await client.GetLiveCallAsync(uuid, ct) is { } live && live.RequestUuid == requestUuid)
            {
                return live;
            }
        }
        return null;
    }

    /// <summary>
    /// The reports a Plivo call resource implies, in order (sequence 1 to 4): initiated (at <c>initiation_time</c>); ringing
    /// when it rang; answered (at <c>answer_time</c>, or <c>session_start</c> for a live call) when <c>call_status</c> is
    /// <c>in-progress</c> or the record has an answer time or a duration; for an ended call (<paramref name="live"/> false)
    /// completed at <c>end_time</c> with the end status of <see cref="PlivoStatusMap.EndStatusOf"/>, the Q.850 cause of
    /// <see cref="PlivoStatusMap.Q850Of"/> and <c>call_duration</c> seconds. Reports carry <paramref name="requestUuid"/>
    /// (else the call UUID) as the provider call id, and raw values under the callback names (<c>CallUUID</c>,
    /// <c>CallStatus</c>, <c>HangupCauseCode</c>, <c>HangupCauseName</c>, <c>HangupSource</c>, <c>Duration</c>, <c>BillDuration</c>).
    /// </summary>
    public static ProviderCallSnapshot Snapshot(PlivoCallResource call, string? requestUuid, string? attemptId, bool live, DateTimeOffset now)
    {
        var id = requestUuid ?? call.RequestUuid ?? call.CallUuid ?? "";
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);
        void Raw(string key, object? value)
        {
            if (value?.ToString() is { Length: > 0 } text)
            {
                raw[key] = text;
            }
        }
        Raw(CallUuidKey, call.CallUuid);
        Raw("CallStatus", call.CallStatus ?? call.CallState);
        Raw("HangupCauseCode", call.HangupCauseCode);
        Raw("HangupCauseName", call.HangupCauseName);
        Raw("HangupSource", call.HangupSource);
        Raw("Duration", call.CallDuration);
        Raw("BillDuration", call.BillDuration);
        var created = PlivoStatusMap.ParseTime(call.InitiationTime) ?? PlivoStatusMap.ParseTime(call.SessionStart) ?? now;
        var answeredAt = PlivoStatusMap.ParseTime(call.AnswerTime) ?? (live ? PlivoStatusMap.ParseTime(call.SessionStart) : null);
        var answered = live ? call.CallStatus == "in-progress" : answeredAt is not null || call.CallDuration > 0;
        var endStatus = live ? (CallEndStatus?)null : PlivoStatusMap.EndStatusOf(null, call.HangupCauseCode, call.HangupCauseName, answered);
        var rang = answered || (live ? call.CallStatus == "ringing" : endStatus is CallEndStatus.NoAnswer or CallEndStatus.Busy);
        var status = call.CallStatus ?? call.CallState ?? (live ? "live" : "ended");
        ProviderEvent Event(ProviderEventKind kind, long seq, DateTimeOffset at) => new()
        {
            Provider = "plivo",
            ProviderCallId = id,
            AttemptId = attemptId,
            Kind = kind,
            Sequence = seq,
            At = at,
            ProviderStatus = status,
            Raw = raw,
        };
        var events = new List<ProviderEvent> { Event(ProviderEventKind.Initiated, 1, created) };
        if (rang)
        {
            events.Add(Event(ProviderEventKind.Ringing, 2, created));
        }
        var ended = PlivoStatusMap.ParseTime(call.EndTime) ?? now;
        if (answered)
        {
            events.Add(Event(ProviderEventKind.Answered, 3, answeredAt ?? (call.CallDuration is { } d ? ended - TimeSpan.FromSeconds(d) : created)));
        }
        if (!live)
        {
            events.Add(Event(ProviderEventKind.Completed, 4, ended) with
            {
                EndStatus = endStatus,
                Q850Code = PlivoStatusMap.Q850Of(null, call.HangupCauseCode, call.HangupCauseName),
                DurationSec = call.CallDuration,
            });
        }
        return new ProviderCallSnapshot(id, events);
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error,
        Message = "Plivo refused attempt {AttemptId} for a configuration problem: HTTP {HttpStatus} (see GET /health)")]
    private partial void LogConfigurationError(string attemptId, int httpStatus);
}
