using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Insights;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Core.Telephony;
using Outdial.Server.Infrastructure;

namespace Outdial.Server.Dialects.Aicaller;

/// <summary>
/// Seed 004 (aicaller "phone calls"): <c>POST /v1/phoneCalls</c> and <c>GET /v1/phoneCalls/{id}</c> with the
/// <c>aicaller-api-key</c> header. A thin translation: body → one <see cref="TriggerCommand"/> →
/// <see cref="CallIntake.TriggerAsync"/> → <c>{data: {...}}</c>.
/// <para>Field mapping: <c>teamId</c> → must equal the key's account's <c>teamId</c> alias (<c>PATCH /v1/account
/// {"aliases":{"teamId":...}}</c>); <c>callTemplateId</c> → agent id or key; <c>nameOfHuman</c> → contact <c>name</c>;
/// <c>toEmailAddress</c> → contact <c>email</c>; <c>toPhoneNumber</c> → to; <c>phoneNumberId</c> (else
/// <c>fromPhoneNumber</c>) → from; <c>promptVariableValues</c> → variables; <c>record</c> → record;
/// <c>callDelayedUntil</c> → notBefore; <c>phoneCallWebhooks</c> → per-call webhooks (see
/// <see cref="AicallerRequest.MapEvent"/>); <c>telephonyProvider</c> → checked against the configured providers only
/// (the call uses its caller ID's provider); <c>status</c> → validated, then ignored (the call's real status is answered).</para>
/// <para>Errors (the seed documents none): <c>{error: {message, statusCode, code, errors?}}</c> — 401 <c>unauthorized</c>,
/// 403 <c>forbidden</c> (API access off) / <c>team_mismatch</c>, 400 <c>validation_failed</c> (with per-field
/// <c>errors</c>) / <c>telephony_provider_not_configured</c> / <c>telephony_provider_mismatch</c>, 404 <c>not_found</c>, 409 <c>duplicate_call</c>, 422 for
/// intake refusals (DNC, window, cap…, native code), 429 <c>rate_limited</c>.</para>
/// </summary>
public static class AicallerDialect
{
    public const string Path = "/v1/phoneCalls";

    public static void MapAicallerDialect(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, CreateAsync)
            .AllowAnonymous()
            .DisableRateLimiting()
            .WithTags("Dialects")
            .WithName("AicallerCreatePhoneCall");
        app.MapGet(Path + "/{id}", GetAsync)
            .AllowAnonymous()
            .DisableRateLimiting()
            .WithTags("Dialects")
            .WithName("AicallerGetPhoneCall");
    }

    /// <summary>Order of checks: key (401) → rate limit (429) → API access (403) → body and fields (400) → teamId (403) → provider (400) → intake.</summary>
    public static async Task<IResult> CreateAsync(HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, IAgentStore agents, CallIntake intake,
        TelephonyProviders providers, IOptions<RateLimiterOptions> rateLimits, IOptions<ApiOptions> api, CancellationToken ct)
    {
        var (account, failure) = await AuthenticateAsync(http, verifier, accounts, rateLimits.Value, api.Value, ct);
        if (account is null)
        {
            return failure!;
        }
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
        var team = await accounts.FindAccountByAliasAsync(AccountAlias.TeamId, parsed.TeamId!, ct);
        if (team is null || team.Id != account.Id)
        {
            return Error(StatusCodes.Status403Forbidden, "team_mismatch", $"teamId '{parsed.TeamId}' does not belong to this API key's account.");
        }
        if (parsed.TelephonyProvider is { } provider && providers.Find(provider) is null)
        {
            return Error(StatusCodes.Status400BadRequest, "telephony_provider_not_configured", $"telephony provider '{provider}' is not configured",
                new Dictionary<string, string[]> { ["telephonyProvider"] = [$"telephony provider '{provider}' is not configured"] });
        }
        var (callerId, callerIdError) = await ResolveCallerIdAsync(agents, account.Id, body, parsed.TelephonyProvider, ct);
        if (callerIdError is not null)
        {
            return callerIdError;
        }
        switch (await intake.TriggerAsync(parsed.Command with { From = callerId ?? parsed.Command.From }, ct))
        {
            case IntakeResult.Accepted accepted:
                return Results.Json(new JsonObject { ["data"] = Render(accepted.Call) }, statusCode: StatusCodes.Status200OK);
            case IntakeResult.Duplicate duplicate:
                return Error(StatusCodes.Status409Conflict, "duplicate_call",
                    $"A pending or active call to this number already exists: {duplicate.Existing.Id}");
            case IntakeResult.Refused { Code: "validation_failed" } invalid:
                return Invalid(AicallerRequest.TranslateErrors(invalid.Errors, body));
            case IntakeResult.Refused refused:
                return Error(StatusCodes.Status422UnprocessableEntity, refused.Code, refused.Message,
                    refused.Errors.Count > 0 ? AicallerRequest.TranslateErrors(refused.Errors, body) : null);
            default:
                // No Idempotency-Key is passed, so intake cannot answer Replayed or InFlight.
                throw new InvalidOperationException("unexpected intake result without an Idempotency-Key");
        }
    }

    /// <summary>
    /// The caller ID: <c>phoneNumberId</c> names one of the account's phone numbers by its Outdial id or its label (the
    /// vendor's own ids can be set as labels); when it names none, <c>fromPhoneNumber</c> is used if given, else 400
    /// <c>validation_failed</c> naming <c>phoneNumberId</c>; a <c>fromPhoneNumber</c> that is not the account's is 400
    /// <c>validation_failed</c> naming <c>fromPhoneNumber</c>. With <c>telephonyProvider</c> the number must be of that provider (400
    /// <c>telephony_provider_mismatch</c>); with neither number field, the account's first number of that provider is
    /// used. Returns null (no override) when neither number field is given, so that intake picks the agent's or account's default.
    /// </summary>
    private static async Task<(string? PhoneNumberId, IResult? Error)> ResolveCallerIdAsync(IAgentStore agents, string accountId, JsonObject body,
        string? provider, CancellationToken ct)
    {
        var reference = body["phoneNumberId"] is JsonValue r && r.GetValueKind() == JsonValueKind.String ? r.GetValue<string>().Trim() : null;
        var from = body["fromPhoneNumber"] is JsonValue f && f.GetValueKind() == JsonValueKind.String ? f.GetValue<string>().Trim() : null;
        Core.PhoneNumbers.PhoneNumber? number = null;
        if (!string.IsNullOrEmpty(reference))
        {
            number = await agents.GetPhoneNumberAsync(accountId, reference, ct)
                ?? (await agents.ListPhoneNumbersAsync(accountId, ct)).FirstOrDefault(n => n.Label == reference);
            if (number is null && string.IsNullOrEmpty(from))
            {
                return (null, Invalid(new Dictionary<string, string[]>
                {
                    ["phoneNumberId"] = [$"'{reference}' is not the id or label of a phone number of this account"],
                }));
            }
        }
        if (number is null && !string.IsNullOrEmpty(from))
        {
            number = await agents.FindPhoneNumberAsync(accountId, from, ct);
            if (number is null)
            {
                // Answered here rather than by intake: the command's From may hold the unresolved phoneNumberId (or an empty
                // one, which intake would take as "none" and dial from the default number), and the error must name fromPhoneNumber.
                var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                if (!string.IsNullOrEmpty(reference))
                {
                    errors["phoneNumberId"] = [$"'{reference}' is not the id or label of a phone number of this account"];
                }
                errors["fromPhoneNumber"] = [$"fromPhoneNumber '{from}' is not a phone number of this account"];
                return (null, Invalid(errors));
            }
        }
        if (provider is null)
        {
            return (number?.Id, null);
        }
        if (number is null)
        {
            number = (await agents.ListPhoneNumbersAsync(accountId, ct)).FirstOrDefault(n => n.Provider == provider);
            if (number is null)
            {
                return (null, Error(StatusCodes.Status400BadRequest, "telephony_provider_mismatch",
                    $"the account has no phone number of telephony provider '{provider}'",
                    new Dictionary<string, string[]> { ["telephonyProvider"] = [$"the account has no phone number of provider '{provider}'"] }));
            }
        }
        if (number.Provider != provider)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "telephony_provider_mismatch",
                $"phone number {number.Number} belongs to telephony provider '{number.Provider}', not '{provider}'",
                new Dictionary<string, string[]> { ["telephonyProvider"] = [$"does not match the phone number's provider '{number.Provider}'"] }));
        }
        return (number.Id, null);
    }

    /// <summary>
    /// 200 <c>{data}</c>, the same shape as POST's, plus — once the call's insights are analysed — <c>summary</c> and
    /// <c>insights</c> (the native analysis: typed answers with status, confidence and evidence); 404 for an unknown id or
    /// another account's call.
    /// </summary>
    public static async Task<IResult> GetAsync(string id, HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, ICallStore calls,
        IInsightStore insights, IOptions<RateLimiterOptions> rateLimits, IOptions<ApiOptions> api, CancellationToken ct)
    {
        var (account, failure) = await AuthenticateAsync(http, verifier, accounts, rateLimits.Value, api.Value, ct);
        if (account is null)
        {
            return failure!;
        }
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

    private static async Task<(Account? Account, IResult? Failure)> AuthenticateAsync(HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts,
        RateLimiterOptions rateLimits, ApiOptions api, CancellationToken ct)
    {
        var presented = http.Request.Headers["aicaller-api-key"].ToString().Trim();
        var key = presented.Length > 0 ? await verifier.VerifyAsync(presented, ct) : null;
        if (key is null)
        {
            return (null, Error(StatusCodes.Status401Unauthorized, "unauthorized", "Missing or invalid aicaller-api-key header."));
        }
        if (RateLimited(http, key.AccountId, key.Id, rateLimits, api) is { } limited)
        {
            return (null, limited);
        }
        var account = await accounts.GetAccountAsync(key.AccountId, ct);
        if (account is null || !account.ApiAccessEnabled)
        {
            return (null, Error(StatusCodes.Status403Forbidden, "forbidden", "API access is disabled for this account."));
        }
        return (account, null);
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

    /// <summary>One permit from the native per-key limiter (one budget shared with the native API), as the Talkover dialect does.</summary>
    private static IResult? RateLimited(HttpContext http, string accountId, string keyId, RateLimiterOptions options, ApiOptions api)
    {
        if (!DialectSupport.RateLimited(http, accountId, keyId, options))
        {
            return null;
        }
        return Error(StatusCodes.Status429TooManyRequests, "rate_limited", $"Too many requests. This API key may make {api.RateLimitPerMinute} requests per minute.");
    }
}
