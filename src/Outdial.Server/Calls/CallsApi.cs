using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Calls;

/// <summary>The native calls API: <c>/v1/calls</c>.</summary>
public static class CallsApi
{
    /// <summary>Longest accepted Idempotency-Key header.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    public static RouteGroupBuilder MapCalls(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/calls").WithTags("Calls").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithName("CreateCall")
            .WithSummary("Place a call")
            .WithDescription("""
                Accepts a call to `to` (strict E.164) and answers 202 with the call and its `Location`: `queued` to be dialed now, or
                `scheduled` for the earliest allowed instant (`decision.reason` says why: `notBefore`, the calling window, legal hours,
                a frequency cap). Intake, in order: Idempotency-Key, field validation, caller ID and agent resolution, the agent's
                declared variables, eligibility (do-not-call list, consent, calling window, legal floor, caps), then one durable
                write with the duplicate guard. Nothing is stored unless the answer is 2xx.

                With an `Idempotency-Key` (1–255 characters), the same key and body within 24 h answer the original status and body
                with `Idempotent-Replayed: true`; a different body is 422 `idempotency_key_reused`; the same key still in flight is
                409 `idempotency_in_flight`. A pending or active call of the account to the same number is 409 `duplicate_call`
                with `existingCall`, unless `allowDuplicates` is true.
                """)
            .Produces<CallResource>(StatusCodes.Status202Accepted)
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "duplicate_call", "idempotency_in_flight")
            .ProducesProblemCodes(StatusCodes.Status422UnprocessableEntity, "validation_failed", "number_on_dnc", "no_consent", "outside_calling_window",
                "idempotency_key_reused", "provider_not_configured", "provider_mismatch", "provider_cannot_converse", "campaign_not_found", "campaign_finished")
            .WithRequestExample("CreateCallRequest")
            .WithResponseExample(StatusCodes.Status202Accepted, "CallQueued");
        group.MapPost("/check", CheckAsync).WithName("CheckCall")
            .WithSummary("Check a call's eligibility (dry run)")
            .WithDescription("""
                Takes the body of `POST /v1/calls`, validates it the same way and evaluates the same eligibility at its `notBefore`
                (else now), without storing anything: whether the call could be dialed (`action`: dial, defer, block, expire), every
                reason that applies with its rule and legal source, and the earliest allowed time (UTC).
                """)
            .Produces<CallCheckResource>()
            .ProducesProblemCodes(StatusCodes.Status422UnprocessableEntity, "validation_failed", "provider_not_configured", "provider_mismatch",
                "campaign_not_found", "campaign_finished");
        group.MapGet("/", ListAsync).WithName("ListCalls")
            .WithSummary("List calls")
            .WithDescription("""
                The account's calls, newest first, filtered by `status`, `outcome`, `agentId`, `campaignId`, `to` and creation time
                (`createdFrom`, `createdTo`: ISO-8601 with an offset). Pages of `limit` (1–100, default 20); pass `nextCursor` as
                `cursor` for the next page (absent on the last).
                """)
            .WithQuery(QueryParameter.OneOf("status", "Only calls in this status.", [.. Enum.GetValues<CallStatus>().Select(WireNames.Of)]),
                QueryParameter.OneOf("outcome", "Only ended calls with this outcome.", [.. Enum.GetValues<CallOutcome>().Select(WireNames.Of)]),
                QueryParameter.Text("agentId", "Only calls of this agent (id)."),
                QueryParameter.Text("campaignId", "Only calls of this campaign (id)."),
                QueryParameter.Text("to", "Only calls to this E.164 number."),
                QueryParameter.Instant("createdFrom", "Only calls created at or after this instant."),
                QueryParameter.Instant("createdTo", "Only calls created before this instant."),
                QueryParameter.Limit, QueryParameter.Cursor)
            .Produces<CallPage>()
            .ProducesInvalidQuery();
        group.MapGet("/{id}", GetAsync).WithName("GetCall")
            .WithSummary("Get a call")
            .WithDescription("The call: status, outcome and its raw codes, caller ID, agent, consent, retry policy, every eligibility decision, times (UTC).")
            .Produces<CallResource>()
            .ProducesNotFound()
            .WithResponseExample(StatusCodes.Status200OK, "CallEnded");
        group.MapPost("/{id}/cancel", CancelAsync).WithName("CancelCall")
            .WithSummary("Cancel a call")
            .WithDescription("""
                Cancels a pending or active call (an active one is hung up) and answers it. Idempotent: a canceled call answers 200
                again. A call that already ended, expired or was blocked is 409 `call_not_cancelable` (with the `call`).
                """)
            .Produces<CallResource>()
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "call_not_cancelable");
        group.MapGet("/{id}/events", EventsAsync).WithName("ListCallEvents")
            .WithSummary("List a call's events")
            .WithDescription("""
                The call's lifecycle events in order (`sequence` 1, 2, …): `call.queued`, `call.scheduled`, `call.dialing`,
                `call.ringing`, `call.answered`, `call.voicemail`, `call.ended`, `call.canceled`, `call.expired`, `call.blocked`,
                `call.insights_ready`, `call.insights_failed`; each was also sent as a webhook with the same `id`.
                """)
            .Produces<CallEventList>()
            .ProducesNotFound();
        group.MapGet("/{id}/attempts", AttemptsAsync).WithName("ListCallAttempts")
            .WithSummary("List a call's dial attempts")
            .WithDescription("""
                Each dial: provider and its call id, status, outcome, who answered, SIP and Q.850 codes, the provider's raw status,
                timings (UTC), recording URL, and the attempt's conversation summary.
                """)
            .Produces<AttemptList>()
            .ProducesNotFound();
        return group;
    }

    /// <summary>
    /// Accepts a call: 202 with the call resource and <c>Location</c>; 409 <c>duplicate_call</c> (with <c>existingCall</c>)
    /// or <c>idempotency_in_flight</c>; 422 <c>validation_failed</c>, <c>number_on_dnc</c>, <c>outside_calling_window</c>,
    /// <c>idempotency_key_reused</c>. A replayed Idempotency-Key answers with the original status and body and
    /// <c>Idempotent-Replayed: true</c>.
    /// </summary>
    public static async Task<IResult> CreateAsync(
        HttpContext http,
        [FromBody] CreateCallRequest body,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ClaimsPrincipal user,
        CallIntake intake,
        IOptions<JsonOptions> json,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var cmd = ToCommand(user.AccountId(), body, errors);
        if (idempotencyKey is not null && (idempotencyKey.Length == 0 || idempotencyKey.Length > MaxIdempotencyKeyLength))
        {
            errors["Idempotency-Key"] = [$"must be 1 to {MaxIdempotencyKeyLength} characters"];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var options = json.Value.SerializerOptions;
        if (idempotencyKey is not null)
        {
            cmd = cmd with
            {
                Idempotency = new IdempotencyInput(idempotencyKey, await HashRequestAsync(http.Request, ct),
                    call => JsonSerializer.Serialize(CallResource.Of(call), options)),
            };
        }
        var result = await intake.TriggerAsync(cmd, ct);
        switch (result)
        {
            case IntakeResult.Accepted accepted:
                http.Response.Headers.Location = $"/v1/calls/{accepted.Call.Id}";
                return Results.Content(JsonSerializer.Serialize(CallResource.Of(accepted.Call), options), "application/json", statusCode: StatusCodes.Status202Accepted);
            case IntakeResult.Replayed replayed:
                http.Response.Headers["Idempotent-Replayed"] = "true";
                if (JsonDocument.Parse(replayed.Body).RootElement.TryGetProperty("id", out var id))
                {
                    http.Response.Headers.Location = $"/v1/calls/{id.GetString()}";
                }
                return Results.Content(replayed.Body, "application/json", statusCode: replayed.Status);
            case IntakeResult.Duplicate duplicate:
                return Problems.Create(StatusCodes.Status409Conflict, "duplicate_call", "A call to this number is already pending or in progress.",
                    $"Call {duplicate.Existing.Id} to {duplicate.Existing.To} is {duplicate.Existing.Status.ToWire()}; send allowDuplicates: true to place another.",
                    extra: new Dictionary<string, object?> { ["existingCall"] = CallResource.Of(duplicate.Existing) });
            case IntakeResult.InFlight:
                return Problems.Create(StatusCodes.Status409Conflict, "idempotency_in_flight", "A request with this Idempotency-Key is still being processed.",
                    "Retry after it has completed to receive its response.");
            case IntakeResult.Refused { Code: "validation_failed" } invalid:
                return Problems.Validation(invalid.Errors);
            case IntakeResult.Refused refused:
                return Problems.Create(StatusCodes.Status422UnprocessableEntity, refused.Code, refused.Message, refused.Message, refused.Errors);
            default:
                throw new InvalidOperationException("unknown intake result");
        }
    }

    /// <summary>
    /// Dry run (<c>POST /v1/calls/check</c>): the same body as <c>POST /v1/calls</c>, validated the same way, evaluated by
    /// the same eligibility at the body's <c>notBefore</c> when given, else now. 200 <c>{eligible, action, reasons: [{code,
    /// detail, rule, source}], nextEligibleAt}</c>; 422 for invalid fields. Nothing is stored.
    /// </summary>
    public static async Task<IResult> CheckAsync([FromBody] CreateCallRequest body, ClaimsPrincipal user, CallIntake intake, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var cmd = ToCommand(user.AccountId(), body, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var (verdict, refused) = await intake.CheckAsync(cmd, ct);
        return refused switch
        {
            { Code: "validation_failed" } invalid => Problems.Validation(invalid.Errors),
            { } other => Problems.Create(StatusCodes.Status422UnprocessableEntity, other.Code, other.Message, other.Message, other.Errors),
            _ => TypedResults.Ok(CallCheckResource.Of(verdict!)),
        };
    }

    public static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, ICallStore calls, CancellationToken ct) =>
        await calls.GetCallAsync(user.AccountId(), id, ct) is { } call
            ? TypedResults.Ok(CallResource.Of(call))
            : Problems.NotFound("call");

    /// <summary>Newest first. Filters: status, outcome, agentId, campaignId, to, createdFrom, createdTo (ISO-8601); cursor; limit 1–100 (default 20).</summary>
    public static async Task<IResult> ListAsync(HttpRequest request, ClaimsPrincipal user, ICallStore calls, CancellationToken ct)
    {
        var q = request.Query;
        if (!Paging.TryLimit(q, out var limit, out var badLimit))
        {
            return badLimit!;
        }
        CallStatus? status = null;
        if (q.TryGetValue("status", out var s))
        {
            if (!CallStateMachine.TryParse(s, out var st))
            {
                return Problems.BadQuery("status", "must be one of scheduled, queued, dialing, ringing, in_progress, ended, canceled, expired, blocked");
            }
            status = st;
        }
        CallOutcome? outcome = null;
        if (q.TryGetValue("outcome", out var o))
        {
            if (!CallOutcomes.TryParse(o, out var oc))
            {
                return Problems.BadQuery("outcome", "must be one of answered, voicemail, busy, no_answer, rejected, invalid_number, unreachable, error");
            }
            outcome = oc;
        }
        DateTimeOffset? from = null, to = null;
        if (q.TryGetValue("createdFrom", out var cf))
        {
            if (!Instants.TryParseUtc(cf.ToString(), out var f))
            {
                return Problems.BadQuery("createdFrom", Instants.Rule);
            }
            from = f;
        }
        if (q.TryGetValue("createdTo", out var ctv))
        {
            if (!Instants.TryParseUtc(ctv.ToString(), out var t))
            {
                return Problems.BadQuery("createdTo", Instants.Rule);
            }
            to = t;
        }
        var page = await calls.ListCallsAsync(new CallQuery(user.AccountId(), limit + 1, Paging.Str(q, "cursor"), status, outcome,
            Paging.Str(q, "agentId"), Paging.Str(q, "campaignId"), Paging.Str(q, "to"), from, to), ct);
        var data = page.Take(limit).Select(CallResource.Of).ToList();
        return TypedResults.Ok(new CallPage(data, page.Count > limit ? data[^1].Id : null));
    }

    /// <summary>200 with the call when canceled now or already canceled (idempotent); 409 <c>call_not_cancelable</c> once it ended otherwise.</summary>
    public static async Task<IResult> CancelAsync(string id, ClaimsPrincipal user, CallCommands commands, CancellationToken ct)
    {
        var (outcome, call) = await commands.CancelAsync(user.AccountId(), id, ct);
        return outcome switch
        {
            CancelOutcome.NotFound => Problems.NotFound("call"),
            CancelOutcome.NotCancelable => Problems.Create(StatusCodes.Status409Conflict, "call_not_cancelable", "The call can no longer be canceled.",
                $"The call is {call!.Status.ToWire()}.", extra: new Dictionary<string, object?> { ["call"] = CallResource.Of(call) }),
            _ => TypedResults.Ok(CallResource.Of(call!)),
        };
    }

    public static async Task<IResult> EventsAsync(string id, ClaimsPrincipal user, ICallStore calls, CancellationToken ct)
    {
        if (await calls.GetCallAsync(user.AccountId(), id, ct) is null)
        {
            return Problems.NotFound("call");
        }
        var events = await calls.ListEventsAsync(id, ct);
        return TypedResults.Ok(new CallEventList([.. events.Select(e => new CallEventResource(e.Id, e.CallId, e.Sequence, e.Type, e.At.UtcDateTime, e.Data))]));
    }

    public static async Task<IResult> AttemptsAsync(string id, ClaimsPrincipal user, ICallStore calls, CancellationToken ct)
    {
        if (await calls.GetCallAsync(user.AccountId(), id, ct) is null)
        {
            return Problems.NotFound("call");
        }
        var attempts = await calls.ListAttemptsAsync(id, ct);
        return TypedResults.Ok(new AttemptList([.. attempts.Select(AttemptResource.Of)]));
    }

    /// <summary>Maps the request to the intake command, collecting format errors (times, variables, cooldowns).</summary>
    public static TriggerCommand ToCommand(string accountId, CreateCallRequest body, Dictionary<string, string[]> errors)
    {
        DateTimeOffset? Time(string? text, string field)
        {
            if (text is null)
            {
                return null;
            }
            if (Instants.TryParseUtc(text, out var v))
            {
                return v;
            }
            errors[field] = [Instants.Rule];
            return null;
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in body.Variables ?? [])
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    variables[name] = value.GetString()!;
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    variables[name] = value.GetRawText();
                    break;
                default:
                    errors[$"variables.{name}"] = ["must be a string, number or boolean"];
                    break;
            }
        }
        Dictionary<CallOutcome, int>? cooldowns = null;
        if (body.RetryCooldownSec is { } rc)
        {
            cooldowns = [];
            foreach (var (name, sec) in rc)
            {
                if (CallOutcomes.TryParse(name, out var outcome) && outcome.IsRetryable())
                {
                    cooldowns[outcome] = sec;
                }
                else
                {
                    errors[$"retryCooldownSec.{name}"] = ["must be one of busy, no_answer, voicemail, unreachable, error"];
                }
            }
        }
        ConsentEvidence? consent = null;
        if (body.Consent is { } c)
        {
            consent = new ConsentEvidence(c.Obtained, c.Source, Time(c.ObtainedAt, "consent.obtainedAt"), c.EvidenceUrl);
        }
        return new TriggerCommand
        {
            AccountId = accountId,
            To = body.To,
            From = body.From,
            Provider = body.Provider,
            AgentId = body.AgentId,
            CampaignId = body.CampaignId,
            CampaignName = body.CampaignName,
            TimeZone = body.TimeZone,
            Contact = body.Contact,
            Variables = variables,
            Metadata = body.Metadata,
            NotBefore = Time(body.NotBefore, "notBefore"),
            ExpiresAt = Time(body.ExpiresAt, "expiresAt"),
            Record = body.Record,
            Consent = consent,
            RingTimeoutSec = body.RingTimeoutSec,
            MaxDurationSec = body.MaxDurationSec,
            AllowDuplicates = body.AllowDuplicates ?? false,
            MaxAttempts = body.MaxAttempts,
            RetryCooldownSec = cooldowns,
            Webhooks = body.Webhooks?.Select(w => new CallWebhook(w.Url ?? "", w.Events, w.Secret)).ToList(),
            InsightQuestions = body.InsightQuestions,
            Sandbox = body.Sandbox is { } sandbox
                ? new SimulatedCallee([.. (sandbox.Replies ?? []).Select(r => new SimulatedReply(r.Text, r.Dtmf, r.Interrupt))], sandbox.Persona)
                : null,
        };
    }

    /// <summary>SHA-256 over method, path and the raw body bytes (the body stream is buffered for this).</summary>
    private static async Task<string> HashRequestAsync(HttpRequest request, CancellationToken ct)
    {
        request.Body.Position = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n"));
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
