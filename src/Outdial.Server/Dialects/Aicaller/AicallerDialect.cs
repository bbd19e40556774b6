using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Insights;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Dialects.Aicaller;

/// <summary>
/// Seed 004 (aicaller "phone calls"): <c>POST /v1/phoneCalls</c> and <c>GET /v1/phoneCalls/{id}</c> with the
/// <c>aicaller-api-key</c> header. A thin translation: body → one <see cref="TriggerCommand"/> →
/// <see cref="CallIntake.TriggerAsync"/> → <c>{data: {...}}</c>.
/// <para>Field mapping: <c>teamId</c> → must equal the key's account's <c>teamId</c> alias (<c>PATCH /v1/account
/// {"aliases":{"teamId":...}}</c>); <c>callTemplateId</c> → agent id, key or external reference (an unknown one follows the
/// account's <c>strictAgentRefs</c>); <c>nameOfHuman</c> → contact <c>name</c>; <c>toEmailAddress</c> → contact <c>email</c>;
/// <c>toPhoneNumber</c> → to; <c>phoneNumberId</c> → from (id, label or number) and <c>fromPhoneNumber</c> → fromNumber (used when
/// phoneNumberId names none); <c>telephonyProvider</c> → provider (configured, and the caller ID's); <c>promptVariableValues</c>
/// → variables; <c>record</c> → record; <c>callDelayedUntil</c> → notBefore; <c>phoneCallWebhooks</c> → per-call webhooks (see
/// <see cref="AicallerRequest.MapEvent"/>); <c>status</c> → validated, then ignored (the call's real status is answered).
/// The front door is <see cref="DialectGate"/>.</para>
/// <para>Errors (the seed documents none): <c>{error: {message, statusCode, code, errors?}}</c> — 401 <c>unauthorized</c>,
/// 403 <c>forbidden</c> (API access off) / <c>team_mismatch</c>, 400 <c>validation_failed</c> (with per-field
/// <c>errors</c>) / <c>telephony_provider_not_configured</c> / <c>telephony_provider_mismatch</c> / <c>telephony_provider_cannot_converse</c>, 404 <c>not_found</c>, 409 <c>duplicate_call</c>, 422 for
/// intake refusals (DNC, window, cap…, native code), 429 <c>rate_limited</c>.</para>
/// </summary>
public static class AicallerDialect
{
    public const string Path = "/v1/phoneCalls";

    /// <summary>The front door: the <c>aicaller-api-key</c> header, the native budget; 401 <c>unauthorized</c>, 429 <c>rate_limited</c>, 403 <c>forbidden</c>.</summary>
    public static readonly DialectGateRule Gate = new()
    {
        Key = http => http.Request.Headers["aicaller-api-key"].ToString(),
        Render = (_, outcome) => outcome switch
        {
            GateOutcome.Unauthenticated => Error(StatusCodes.Status401Unauthorized, "unauthorized", "Missing or invalid aicaller-api-key header."),
            GateOutcome.RateLimited limited => Error(StatusCodes.Status429TooManyRequests, "rate_limited",
                $"Too many requests. This API key may make {limited.PermitsPerMinute} requests per minute."),
            _ => Error(StatusCodes.Status403Forbidden, "forbidden", "API access is disabled for this account."),
        },
    };

    public static void MapAicallerDialect(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, CreateAsync)
            .RequireDialectGate(Gate)
            .WithTags(DialectTags.Aicaller)
            .WithName("AicallerCreatePhoneCall")
            .WithSummary("Create a phone call (aicaller)")
            .WithDescription("""
                One call to `toPhoneNumber` with the agent `callTemplateId`. Checks, in order: the `aicaller-api-key` header (401
                `unauthorized`), the per-key budget shared with the native API (429 `rate_limited`), the account's API access switch
                (403 `forbidden`), the body and every field at once (400 `validation_failed` with `errors`), `teamId` (403
                `team_mismatch`), then intake: 400 `telephony_provider_not_configured` / `telephony_provider_mismatch` /
                `telephony_provider_cannot_converse` (a conversation agent on a provider that cannot carry it, e.g. plivo), 409
                `duplicate_call`, 422 for eligibility refusals (the native code). 200 `{data}`: the phone call.
                """)
            .WithSecurity(ApiSecurity.AicallerApiKey)
            .Accepts<AicallerPhoneCallRequest>("application/json")
            .WithRequestExample("AicallerPhoneCallRequest")
            .Produces<AicallerPhoneCallEnvelope>()
            .ProducesErrors<AicallerErrorEnvelope>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests);
        app.MapGet(Path + "/{id}", GetAsync)
            .RequireDialectGate(Gate)
            .WithTags(DialectTags.Aicaller)
            .WithName("AicallerGetPhoneCall")
            .WithSummary("Get a phone call (aicaller)")
            .WithDescription("""
                The phone call in the same shape as the create answer, with its live `status`, plus `summary` and `insights` (the
                native analysis: typed answers with status, confidence and evidence) once the call is analysed. 404 `not_found` for
                an unknown id or another account's call.
                """)
            .WithSecurity(ApiSecurity.AicallerApiKey)
            .Produces<AicallerPhoneCallEnvelope>()
            .ProducesErrors<AicallerErrorEnvelope>(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
                StatusCodes.Status429TooManyRequests);
    }

    /// <summary>
    /// Order of checks: the gate (key 401 → rate limit 429 → API access 403) → body and fields (400) → teamId (403) → intake
    /// (provider 400, caller ID 400, agent, eligibility).
    /// </summary>
    public static async Task<IResult> CreateAsync(HttpContext http, CallIntake intake, CancellationToken ct)
    {
        var caller = DialectCaller.Of(http);
        var account = caller.Account;
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }
        if (body is null)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_json", "The request body must be a JSON object.");
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var parsed = AicallerRequest.Parse(account.Id, body, errors);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        // The key's account must carry the teamId as its alias: an unknown teamId and another account's get the same answer.
        if (!string.Equals(account.TeamId, parsed.TeamId, StringComparison.Ordinal))
        {
            return Error(StatusCodes.Status403Forbidden, "team_mismatch", $"teamId '{parsed.TeamId}' does not belong to this API key's account.");
        }
        switch (await intake.TriggerAsync(parsed.Command with { Account = account }, ct))
        {
            case IntakeResult.Accepted accepted:
                return Results.Json(new JsonObject { ["data"] = Render(accepted.Call) }, statusCode: StatusCodes.Status200OK);
            case IntakeResult.Duplicate duplicate:
                return Error(StatusCodes.Status409Conflict, "duplicate_call",
                    $"A pending or active call to this number already exists: {duplicate.Existing.Id}");
            case IntakeResult.Refused { Code: "validation_failed" } invalid:
                return Invalid(AicallerRequest.TranslateErrors(invalid.Errors, body));
            case IntakeResult.Refused { Code: "provider_not_configured" or "provider_mismatch" or "provider_cannot_converse" } provider:
                return Error(StatusCodes.Status400BadRequest, "telephony_" + provider.Code, provider.Message,
                    AicallerRequest.TranslateErrors(provider.Errors, body));
            case IntakeResult.Refused refused:
                return Error(StatusCodes.Status422UnprocessableEntity, refused.Code, refused.Message,
                    refused.Errors.Count > 0 ? AicallerRequest.TranslateErrors(refused.Errors, body) : null);
            default:
                // No Idempotency-Key is passed, so intake cannot answer Replayed or InFlight.
                throw new InvalidOperationException("unexpected intake result without an Idempotency-Key");
        }
    }

    /// <summary>
    /// 200 <c>{data}</c>, the same shape as POST's, plus — once the call's insights are analysed — <c>summary</c> and
    /// <c>insights</c> (the native analysis: typed answers with status, confidence and evidence); 404 for an unknown id or
    /// another account's call.
    /// </summary>
    public static async Task<IResult> GetAsync(string id, HttpContext http, ICallStore calls, IInsightStore insights, CancellationToken ct)
    {
        var caller = DialectCaller.Of(http);
        var account = caller.Account;
        var call = await calls.GetCallAsync(account.Id, id, ct);
        if (call is null)
        {
            return Error(StatusCodes.Status404NotFound, "not_found", $"Phone call '{id}' not found.");
        }
        var data = Render(call);
        if ((await insights.ListAnalysesAsync(call.Id, ct)).FirstOrDefault(a => a.Status == AnalysisStatus.Completed) is { } analysis)
        {
            data["summary"] = analysis.Summary;
            data["insights"] = InsightResource.Of(analysis).ToNode();
        }
        return Results.Json(new JsonObject { ["data"] = data });
    }

    /// <summary>
    /// Native call → the seed's status: scheduled, queued → queued; dialing, ringing → ringing; in_progress → inProgress;
    /// ended + answered/voicemail → completed; ended + busy → busy; ended + no_answer → noAnswer; ended + any other outcome →
    /// failed; canceled → canceled; expired, blocked → failed.
    /// </summary>
    public static string Status(Call call) => call.Status switch
    {
        CallStatus.Scheduled or CallStatus.Queued => "queued",
        CallStatus.Dialing or CallStatus.Ringing => "ringing",
        CallStatus.InProgress => "inProgress",
        CallStatus.Ended => call.Outcome switch
        {
            CallOutcome.Answered or CallOutcome.Voicemail => "completed",
            CallOutcome.Busy => "busy",
            CallOutcome.NoAnswer => "noAnswer",
            _ => "failed",
        },
        CallStatus.Canceled => "canceled",
        CallStatus.Expired or CallStatus.Blocked => "failed",
        _ => "failed",
    };

    /// <summary>ISO-8601 UTC with milliseconds, as the seed's example: <c>2023-10-12T09:08:00.387Z</c>.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The seed's phone-call object: the request's echo (kept on the call's <c>metadata.aicaller</c>, webhook secrets left
    /// out), filled in from the call where the request left a field out (<c>fromPhoneNumber</c>, <c>telephonyProvider</c>,
    /// <c>record</c>), with the live <c>status</c>, <c>_id</c>, <c>createdAt</c>, <c>updatedAt</c>.
    /// </summary>
    public static JsonObject Render(Call call)
    {
        var data = call.Metadata?[AicallerRequest.EchoKey] is JsonObject echo
            ? (JsonObject)echo.DeepClone()
            : new JsonObject
            {
                ["toPhoneNumber"] = call.To,
                ["callTemplateId"] = call.AgentId,
                ["nameOfHuman"] = (string?)call.Contact["name"]?.ToString(),
                ["promptVariableValues"] = new JsonArray([.. call.Variables.Select(v => (JsonNode)new JsonObject { ["key"] = v.Key, ["value"] = v.Value })]),
            };
        data["fromPhoneNumber"] ??= call.From;
        data["telephonyProvider"] ??= call.Provider;
        data["record"] = call.Record;
        data["status"] = Status(call);
        data["_id"] = call.Id;
        data["createdAt"] = Time(call.CreatedAt);
        data["updatedAt"] = Time(call.UpdatedAt);
        return data;
    }

    /// <summary>The error envelope: <c>{error: {message, statusCode, code, errors?}}</c>.</summary>
    public static IResult Error(int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var error = new JsonObject { ["message"] = message, ["statusCode"] = status, ["code"] = code };
        if (errors is not null)
        {
            var fields = new JsonObject();
            foreach (var (field, messages) in errors)
            {
                fields[field] = new JsonArray([.. messages.Select(m => (JsonNode)JsonValue.Create(m))]);
            }
            error["errors"] = fields;
        }
        return Results.Json(new JsonObject { ["error"] = error }, statusCode: status);
    }

    private static IResult Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        Error(StatusCodes.Status400BadRequest, "validation_failed",
            string.Join("; ", errors.SelectMany(e => e.Value)), errors);
}
