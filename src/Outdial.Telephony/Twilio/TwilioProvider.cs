using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Telephony;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// Telephony through Twilio's Programmable Voice REST API (provider name <c>twilio</c>). Dials with "Create a Call",
/// ends calls with "Update a Call" and answers the reconciler from "Fetch"/"Read" Call resources. Progress arrives
/// as Twilio's callbacks under <see cref="TwilioUrls"/> (handled by the server), not here.
/// Delivery rule (ARCHITECTURE §5): a dial whose result Twilio did not state (5xx, timeout, network error, 429 after
/// the retries) throws, so the attempt goes to the reconciler and is never redialed blindly.
/// </summary>
public sealed partial class TwilioProvider(
    TwilioRestClient client,
    TwilioHealth health,
    IOptions<TwilioOptions> options,
    IOptions<OutdialOptions> outdial,
    TimeProvider clock,
    ILogger<TwilioProvider> log) : ITelephonyProvider
{
    /// <summary>Provider status of a dial refused because of the Twilio account's configuration.</summary>
    public const string ConfigurationStatus = "provider_configuration";

    /// <summary>Provider status of a dial Twilio refused as a bad request for another reason (no call exists).</summary>
    public const string RejectedStatus = "provider_rejected";

    /// <summary>
    /// Twilio error codes meaning the callee's number is not dialable (Twilio's error dictionary,
    /// https://www.twilio.com/docs/api/errors/{code}): 21211 invalid 'To' phone number, 21214 'To' phone number cannot be
    /// reached, 21217 phone number does not appear to be valid, 13223 Dial: invalid phone number format, 13224 Dial: Twilio
    /// does not support calling this number or the number is invalid.
    /// </summary>
    public static readonly IReadOnlySet<int> InvalidNumberCodes = new HashSet<int> { 21211, 21214, 21217, 13223, 13224 };

    /// <summary>
    /// Twilio error codes meaning the account or caller ID is misconfigured (same dictionary): 20003 authentication
    /// failed, 20005 account not active, 20404 resource (the account) not found, 21210 'From' phone number not verified,
    /// 21212 invalid caller phone number, 21213 caller ('From') phone number is required, 21401 invalid phone number (a
    /// sender the account has not bought or ported), 21215 and 13227 blocked by the account's voice geo permissions, 21219
    /// 'To' not verified (trial account). HTTP 401, 403 and 404 (CreateCall's path names only the account) are treated the
    /// same whatever the code.
    /// </summary>
    public static readonly IReadOnlySet<int> ConfigurationCodes = new HashSet<int> { 20003, 20005, 20404, 21210, 21212, 21213, 21215, 21219, 21401, 13227 };

    /// <summary>Twilio's status callback events Outdial subscribes to (Twilio "Call resource", StatusCallbackEvent).</summary>
    public static readonly IReadOnlyList<string> StatusEvents = ["initiated", "ringing", "answered", "completed"];

    /// <summary>An attempt with no call found this long after its creation never reached Twilio (at least 2 minutes).</summary>
    private TimeSpan NeverReachedAfter => TimeSpan.FromMinutes(2) > client.MaxRequestSpan + TimeSpan.FromSeconds(60)
        ? TimeSpan.FromMinutes(2)
        : client.MaxRequestSpan + TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public string Name => "twilio";

    /// <inheritdoc />
    public double? CallsPerSecond => options.Value.CallsPerSecond;

    private string PublicBaseUrl => outdial.Value.PublicBaseUrl
        ?? throw new InvalidOperationException("Outdial:PublicBaseUrl is required for Twilio (it is validated at start).");

    /// <summary>
    /// The CreateCall parameters for <paramref name="request"/>: TwiML, status (initiated, ringing, answered, completed;
    /// POST), recording and async-AMD callbacks under <paramref name="publicBaseUrl"/> (<see cref="TwilioUrls"/>),
    /// <c>Timeout</c> = ring timeout, <c>TimeLimit</c> = maximum duration (seconds). <c>Method</c> is not sent: POST is
    /// Twilio's default for <c>Url</c>.
    /// </summary>
    public static TwilioCreateCall CreateCallFor(DialRequest request, string publicBaseUrl)
    {
        var amd = request.Amd != AnsweringMachineDetection.Off;
        return new TwilioCreateCall(
            To: request.To,
            From: request.From,
            Url: TwilioUrls.Twiml(publicBaseUrl, request.AttemptId),
            StatusCallback: TwilioUrls.Status(publicBaseUrl, request.AttemptId),
            StatusCallbackEvent: StatusEvents,
            StatusCallbackMethod: "POST",
            Timeout: request.RingTimeoutSec,
            Record: request.Record ? true : null,
            RecordingStatusCallback: request.Record ? TwilioUrls.Recording(publicBaseUrl, request.AttemptId) : null,
            MachineDetection: request.Amd switch
            {
                AnsweringMachineDetection.Enable => "Enable",
                AnsweringMachineDetection.DetectMessageEnd => "DetectMessageEnd",
                _ => null,
            },
            AsyncAmd: amd ? true : null,
            AsyncAmdStatusCallback: amd ? TwilioUrls.Amd(publicBaseUrl, request.AttemptId) : null,
            TimeLimit: request.MaxDurationSec);
    }

    /// <summary>
    /// What a Twilio error answered to CreateCall means: a refusal for a bad number or a configuration problem, a
    /// refusal of another bad request (other 4xx: no call was created), or null when the outcome is unknown (5xx, 429).
    /// </summary>
    public static DialResult.Refused? RefusalFor(TwilioApiException e)
    {
        var text = $"Twilio error {e.Code?.ToString(CultureInfo.InvariantCulture) ?? "-"} (HTTP {e.HttpStatus}): {e.TwilioMessage}"
            + (e.MoreInfo is null ? "" : $" {e.MoreInfo}");
        var status = e.Code?.ToString(CultureInfo.InvariantCulture) ?? e.HttpStatus.ToString(CultureInfo.InvariantCulture);
        if (e.Code is { } code && InvalidNumberCodes.Contains(code))
        {
            return new DialResult.Refused(CallOutcome.InvalidNumber, status, null, null, text);
        }
        if (e.HttpStatus is 401 or 403 or 404 || (e.Code is { } c && ConfigurationCodes.Contains(c)))
        {
            return new DialResult.Refused(CallOutcome.Error, ConfigurationStatus, null, null, text);
        }
        return e.HttpStatus is >= 400 and < 500 and not 429 and not 408
            ? new DialResult.Refused(CallOutcome.Error, RejectedStatus, null, null, text)
            : null;
    }

    /// <inheritdoc />
    /// <remarks>Throws <see cref="TwilioApiException"/> (5xx, 429 after retries), <see cref="TimeoutException"/> or
    /// <see cref="HttpRequestException"/> when Twilio did not state the result.</remarks>
    public async Task<DialResult> DialAsync(DialRequest request, CancellationToken ct)
    {
        TwilioCallResource call;
        try
        {
            call = await client.CreateCallAsync(CreateCallFor(request, PublicBaseUrl), ct);
        }
        catch (TwilioApiException e) when (RefusalFor(e) is { } refused)
        {
            if (refused.ProviderStatus == ConfigurationStatus)
            {
                health.RecordConfigurationError(e.HttpStatus, e.Code, refused.Error);
                // Twilio's message can quote phone numbers: it stays on the call and in /health, out of the log.
                LogConfigurationError(request.AttemptId, e.HttpStatus, e.Code);
            }
            return refused;
        }
        health.RecordSuccess();
        return new DialResult.Placed(call.Sid);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Sends <c>Status=completed</c> (ends an in-progress call); when Twilio answers 400 (the call is queued or ringing,
    /// or already over) sends <c>Status=canceled</c>. A 404 or a second 400 means there is nothing left to end.
    /// </remarks>
    public async Task HangUpAsync(string providerCallId, CancellationToken ct)
    {
        try
        {
            await client.UpdateCallAsync(providerCallId, new TwilioUpdateCall(Status: "completed"), ct);
            return;
        }
        catch (TwilioApiException e) when (e.HttpStatus == 404)
        {
            return;
        }
        catch (TwilioApiException e) when (e.HttpStatus == 400)
        {
            // Not in progress: cancel it if it is still queued or ringing.
        }
        try
        {
            await client.UpdateCallAsync(providerCallId, new TwilioUpdateCall(Status: "canceled"), ct);
        }
        catch (TwilioApiException e) when (e.HttpStatus is 400 or 404)
        {
            // Already ended: hanging up is idempotent.
        }
    }

    /// <summary>
    /// What to do once async AMD says a machine answered: with <paramref name="twiml"/> null, hang up; else replace the
    /// call's instructions with that TwiML document (e.g. <c>&lt;Response&gt;&lt;Say&gt;...&lt;/Say&gt;&lt;/Response&gt;</c>)
    /// through UpdateCall <c>Twiml</c>.
    /// </summary>
    /// <exception cref="TwilioApiException">Twilio refused the update (e.g. the call already ended: 400 or 404).</exception>
    /// <exception cref="TimeoutException">Twilio did not answer within RequestTimeout.</exception>
    public async Task PlayVoicemailAsync(string callSid, string? twiml, CancellationToken ct)
    {
        if (twiml is null)
        {
            await HangUpAsync(callSid, ct);
            return;
        }
        await client.UpdateCallAsync(callSid, new TwilioUpdateCall(Twiml: twiml), ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// With a SID: the call's resource as events (a SID Twilio does not know throws: we stored it from Twilio's own
    /// answer). Without: the calls between the attempt's numbers created in [CreatedAt − 10 s, CreatedAt +
    /// <see cref="TwilioRestClient.MaxRequestSpan"/> + 30 s]; exactly one → its events; none and the attempt older than
    /// max(2 min, MaxRequestSpan + 60 s) → null (never reached Twilio); otherwise throws (ambiguous or too early).
    /// </remarks>
    public async Task<ProviderCallSnapshot?> LookupAsync(Attempt attempt, CancellationToken ct)
    {
        if (attempt.ProviderCallId is { } sid)
        {
            var call = await client.FetchCallAsync(sid, ct)
                ?? throw new InvalidOperationException($"Twilio has no call {sid}, although it gave us that SID for attempt {attempt.Id}.");
            return Snapshot(call, attempt.Id, clock.GetUtcNow());
        }
        var from = attempt.CreatedAt - TimeSpan.FromSeconds(10);
        var calls = await client.ListCallsAsync(attempt.To, attempt.From, DateOnly.FromDateTime(from.UtcDateTime), ct);
        var until = attempt.CreatedAt + client.MaxRequestSpan + TimeSpan.FromSeconds(30);
        var matches = calls.Where(c => c.DateCreated is { } at && at >= from && at <= until).ToList();
        var now = clock.GetUtcNow();
        return matches.Count switch
        {
            1 => Snapshot(matches[0], attempt.Id, now),
            0 when now - attempt.CreatedAt > NeverReachedAfter => null,
            0 => throw new InvalidOperationException($"No Twilio call for attempt {attempt.Id} yet; it may still be created. Ask again later."),
            _ => throw new InvalidOperationException(
                $"{matches.Count} Twilio calls match attempt {attempt.Id} ({string.Join(", ", matches.Select(m => m.Sid))}); cannot tell which is ours."),
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// Lists the call's recordings (<c>GET .../Calls/{Sid}/Recordings.json</c>): the newest <c>completed</c> one gives the
    /// URL, in the form the recording status callback uses; one still <c>in-progress</c>, <c>paused</c>, <c>stopped</c>
    /// or <c>processing</c> makes this throw (ask later); none, or only <c>absent</c> ones, answers null.
    /// </remarks>
    public async Task<string?> LookupRecordingAsync(Attempt attempt, CancellationToken ct)
    {
        if (attempt.ProviderCallId is not { } sid)
        {
            return null;
        }
        var recordings = await client.ListCallRecordingsAsync(sid, ct);
        if (recordings.Where(r => r.Status == "completed" && r.Sid.Length > 0).MaxBy(r => r.DateCreated) is { } done)
        {
            return client.RecordingUrl(done.Sid);
        }
        if (recordings.Any(r => r.Status is "in-progress" or "paused" or "stopped" or "processing"))
        {
            throw new InvalidOperationException($"The recording of Twilio call {sid} is not finished yet. Ask again later.");
        }
        return null;
    }

    /// <summary>
    /// The reports a Call resource implies, in order: initiated (at <c>date_created</c>); ringing and answered as the
    /// status implies; completed for an ended call (at <c>end_time</c>, end status by <see cref="TwilioStatusMap.EndStatusOf"/>,
    /// duration from <c>duration</c>). Raw values use the callback names <c>CallStatus</c>, <c>AnsweredBy</c>,
    /// <c>CallDuration</c>. Sequence is 1 (initiated) to 4 (completed) whatever the subset.
    /// </summary>
    public static ProviderCallSnapshot Snapshot(TwilioCallResource call, string? attemptId, DateTimeOffset now)
    {
        var status = call.Status ?? "queued";
        var kind = TwilioStatusMap.KindOf(status) ?? ProviderEventKind.Initiated;
        var answeredBy = TwilioStatusMap.AnsweredByOf(call.AnsweredBy);
        var duration = TwilioStatusMap.ParseInt(call.Duration);
        var raw = new Dictionary<string, string>(StringComparer.Ordinal) { ["CallStatus"] = status };
        if (!string.IsNullOrEmpty(call.AnsweredBy))
        {
            raw["AnsweredBy"] = call.AnsweredBy;
        }
        if (!string.IsNullOrEmpty(call.Duration))
        {
            raw["CallDuration"] = call.Duration;
        }
        var created = call.DateCreated ?? call.StartTime ?? now;
        var ended = call.EndTime ?? call.DateUpdated ?? now;
        var answered = status is "in-progress" or "completed";
        var rang = answered || status is "ringing" or "no-answer";
        ProviderEvent Event(ProviderEventKind k, long seq, DateTimeOffset at) => new()
        {
            Provider = "twilio",
            ProviderCallId = call.Sid,
            AttemptId = attemptId,
            Kind = k,
            Sequence = seq,
            At = at,
            ProviderStatus = status,
            AnsweredBy = k is ProviderEventKind.Answered or ProviderEventKind.Completed && answered ? answeredBy : null,
            Raw = raw,
        };
        var events = new List<ProviderEvent> { Event(ProviderEventKind.Initiated, 1, created) };
        if (rang)
        {
            events.Add(Event(ProviderEventKind.Ringing, 2, call.StartTime ?? created));
        }
        if (answered)
        {
            var answeredAt = kind == ProviderEventKind.Completed && duration is { } d ? ended - TimeSpan.FromSeconds(d) : call.StartTime ?? created;
            events.Add(Event(ProviderEventKind.Answered, 3, answeredAt));
        }
        if (kind == ProviderEventKind.Completed)
        {
            events.Add(Event(ProviderEventKind.Completed, 4, ended) with
            {
                EndStatus = TwilioStatusMap.EndStatusOf(status),
                DurationSec = duration,
            });
        }
        return new ProviderCallSnapshot(call.Sid, events);
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error,
        Message = "Twilio refused attempt {AttemptId} for a configuration problem: HTTP {HttpStatus}, error {Code} (see GET /health)")]
    private partial void LogConfigurationError(string attemptId, int httpStatus, int? code);
}
