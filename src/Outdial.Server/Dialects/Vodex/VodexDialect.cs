using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Intake;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Dialects.Vodex;

/// <summary>
/// Seed 000 (Vodex "Trigger Call"): <c>POST /api/v1/trigger-call</c> with <c>Authorization: &lt;key&gt;</c> (or
/// <c>Bearer &lt;key&gt;</c>) and <c>dburl: &lt;account alias&gt;</c>. A thin translation: each <c>callList</c> entry → one
/// <see cref="TriggerCommand"/> → <see cref="CallIntake.TriggerAsync"/>; the answers are gathered into the seed's
/// <c>{success, message, data: {callsTriggered, callIds}}</c>. The front door is <see cref="DialectGate"/> (the native per-key
/// budget, shared with the native API) with the <c>dburl</c> check, so that its refusals are in the same envelope.
/// <c>projectId</c> is a foreign agent reference and <c>campaignName</c> a campaign by name: intake resolves both.
/// </summary>
public static class VodexDialect
{
    public const string Path = "/api/v1/trigger-call";

    /// <summary>The consent source recorded on every call placed through this dialect.</summary>
    public const string ConsentSource = "vodex_consentForCalls";

    /// <summary>At most this many entries in one <c>callList</c> (Outdial's limit; the seed documents none).</summary>
    public const int MaxCallList = 1000;

    private static readonly HashSet<string> BasicFields = new(StringComparer.Ordinal) { "firstName", "lastName", "phone" };

    /// <summary>
    /// The front door: <c>Authorization: &lt;key&gt;</c> or <c>Bearer &lt;key&gt;</c>; the native budget; then <c>dburl</c> must be the
    /// key's account's alias (an unknown one and another account's get the same answer, so aliases cannot be probed); then the
    /// API access switch.
    /// </summary>
    public static readonly DialectGateRule Gate = new()
    {
        Key = http => DialectGateExtensions.BearerKey(http) ?? http.Request.Headers.Authorization.ToString().Trim(),
        AccountCheck = (http, account, _) =>
        {
            var dburl = http.Request.Headers["dburl"].ToString().Trim();
            return ValueTask.FromResult(dburl.Length == 0
                ? Error(StatusCodes.Status403Forbidden, VodexErrors.DburlRequired)
                : string.Equals(dburl, account.Dburl, StringComparison.Ordinal) ? null : Error(StatusCodes.Status403Forbidden, VodexErrors.DburlMismatch));
        },
        Render = (http, outcome) => outcome switch
        {
            GateOutcome.Unauthenticated => Error(StatusCodes.Status401Unauthorized, VodexErrors.InvalidApiKey),
            GateOutcome.RateLimited limited => Error(StatusCodes.Status429TooManyRequests,
                $"Rate limit exceeded: {limited.PermitsPerMinute} requests per minute per API key"),
            _ => Error(StatusCodes.Status403Forbidden, VodexErrors.ApiAccessDisabled),
        },
    };

    public static RouteHandlerBuilder MapVodexDialect(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, TriggerAsync)
            .RequireDialectGate(Gate)
            .WithTags(DialectTags.Vodex)
            .WithName("VodexTriggerCall")
            .WithSummary("Trigger calls (Vodex)")
            .WithDescription("""
                One call per `callList` contact, with the agent named by `projectId`. Checks, in order: the key (401), the per-key
                budget shared with the native API (429 with `Retry-After`), the `dburl` header (403 when missing or not the key's
                account's alias), the account's API access switch (403), the body (400: JSON, `consentForCalls: true`, a non-empty
                `callList`, `projectId`), then each contact through intake. 200 `{success: true, message, data: {callsTriggered,
                callIds, callType, callTypes, errors}}` when at least one call was accepted (`errors` lists the refused entries);
                400 with the same `data` when every entry was refused.
                """)
            .WithSecurity(ApiSecurity.VodexAuthorization)
            .WithHeader("dburl", "The account's `aliases.dburl` (`PATCH /v1/account`); an unknown one and another account's answer the same 403.", required: true)
            .Accepts<VodexTriggerRequest>("application/json")
            .Produces<VodexResponse>()
            .WithRequestExample("VodexTriggerRequest")
            .WithResponseExample(StatusCodes.Status200OK, "VodexTriggered")
            .ProducesErrors<VodexResponse>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status429TooManyRequests);

    /// <summary>
    /// Order of checks: the gate (key 401 → rate limit 429 → dburl 403 → API access switch 403) → body (400) → consent (400) →
    /// projectId (400) → one intake per entry (agent by projectId, campaign by campaignName found or created). 200 when at
    /// least one entry was accepted, else 400 with <c>data</c> listing every entry's refusal.
    /// </summary>
    public static async Task<IResult> TriggerAsync(HttpContext http, CallIntake intake, TimeProvider clock, CancellationToken ct)
    {
        var caller = DialectCaller.Of(http);
        var account = caller.Account;
        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
        {
            return Error(StatusCodes.Status400BadRequest, VodexErrors.InvalidJson);
        }
        if (body["consentForCalls"] is not JsonValue consent || consent.GetValueKind() != JsonValueKind.True)
        {
            return Error(StatusCodes.Status400BadRequest, VodexErrors.ConsentRequired);
        }
        if (body["callList"] is not JsonArray callList || callList.Count == 0)
        {
            return Error(StatusCodes.Status400BadRequest, VodexErrors.CallListRequired);
        }
        if (callList.Count > MaxCallList)
        {
            return Error(StatusCodes.Status400BadRequest, $"callList may hold at most {MaxCallList} contacts");
        }
        if (Text(body["projectId"]) is not { Length: > 0 } projectId)
        {
            return Error(StatusCodes.Status400BadRequest, VodexErrors.ProjectIdRequired);
        }
        string? campaignName = null;
        switch (body["campaignName"])
        {
            case null:
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Trim() is { Length: > 0 } name:
                campaignName = name;
                break;
            default:
                return Error(StatusCodes.Status400BadRequest, "campaignName must be a non-empty string");
        }
        JsonArray? insights = null;
        switch (body["insights"])
        {
            case null:
                break;
            case JsonArray list when list.All(q => q is JsonValue qv && qv.GetValueKind() == JsonValueKind.String):
                insights = list.Count > 0 ? (JsonArray)list.DeepClone() : null;
                break;
            default:
                return Error(StatusCodes.Status400BadRequest, "insights must be an array of question strings");
        }

        var types = DetectTypes(callList, campaignName, insights);

        var now = clock.GetUtcNow();
        var callIds = new List<string>();
        var errors = new List<VodexEntryError>();
        for (var i = 0; i < callList.Count; i++)
        {
            if (callList[i] is not JsonObject entry)
            {
                errors.Add(new VodexEntryError(i, null, "must be an object with firstName, lastName and phone"));
                continue;
            }
            var phone = entry["phone"] is JsonValue p && p.GetValueKind() == JsonValueKind.String ? p.GetValue<string>().Trim() : null;
            if (string.IsNullOrEmpty(phone))
            {
                errors.Add(new VodexEntryError(i, null, "phone is required (E.164, e.g. +15551234567)"));
                continue;
            }
            var cmd = new TriggerCommand
            {
                AccountId = account.Id,
                Account = account,
                To = phone,
                AgentId = projectId,
                ForeignAgentRef = true,
                CampaignName = campaignName,
                // Every contact field (phone included): intake turns the scalar ones into prompt variables for {placeholders}.
                Contact = (JsonObject)entry.DeepClone(),
                // ...and, so that the stored call shows them, as the call's variables too (scalars as text).
                Variables = Variables(entry),
                InsightQuestions = insights?.Select(q => Core.Insights.InsightQuestion.Of(q!.GetValue<string>())).ToList(),
                Consent = new ConsentEvidence(true, ConsentSource, now, null),
            };
            switch (await intake.TriggerAsync(cmd, ct))
            {
                case IntakeResult.Accepted accepted:
                    callIds.Add(accepted.Call.Id);
                    break;
                case IntakeResult.Duplicate duplicate:
                    errors.Add(new VodexEntryError(i, phone, $"a call to this number is already pending or in progress ({duplicate.Existing.Id})"));
                    break;
                case IntakeResult.Refused { Code: "validation_failed" } invalid:
                    errors.Add(new VodexEntryError(i, phone, Describe(invalid.Errors, invalid.Message)));
                    break;
                case IntakeResult.Refused refused:
                    errors.Add(new VodexEntryError(i, phone, refused.Message));
                    break;
                case IntakeResult.Replayed or IntakeResult.InFlight:
                    // This dialect sends no Idempotency-Key, so intake never answers these.
                    throw new InvalidOperationException("idempotency result without an Idempotency-Key");
                default:
                    throw new InvalidOperationException("unknown intake result");
            }
        }

        var data = new VodexTriggered(callIds.Count, callIds, types[^1], types, errors);
        var message = errors.Count == 0
            ? $"{callIds.Count} {(callIds.Count == 1 ? "call" : "calls")} triggered successfully ({types[^1]})"
            : $"{callIds.Count} of {callList.Count} calls triggered; " + string.Join("; ", errors.Select(e => $"callList[{e.Index}]: {e.Message}"));
        return callIds.Count > 0
            ? TypedResults.Json(new VodexResponse(true, message, data))
            : TypedResults.Json(new VodexResponse(false, message, data), statusCode: StatusCodes.Status400BadRequest);
    }

    /// <summary>
    /// The detected call types, least to most specific: <c>basic</c> or <c>dynamicFields</c> (a contact with any field besides
    /// firstName/lastName/phone), then <c>campaign</c> when <c>campaignName</c> is given, then <c>insights</c> when questions are.
    /// </summary>
    public static List<string> DetectTypes(JsonArray callList, string? campaignName, JsonArray? insights)
    {
        var dynamic = callList.OfType<JsonObject>().Any(c => c.Any(f => !BasicFields.Contains(f.Key)));
        var types = new List<string> { dynamic ? VodexCallTypes.DynamicFields : VodexCallTypes.Basic };
        if (campaignName is not null)
        {
            types.Add(VodexCallTypes.Campaign);
        }
        if (insights is not null)
        {
            types.Add(VodexCallTypes.Insights);
        }
        return types;
    }

    /// <summary>Intake's field errors in the seed's words: "phone is not E.164", "projectId …", "lastName is required by agent …".</summary>
    private static string Describe(IReadOnlyDictionary<string, string[]> errors, string fallback)
    {
        if (errors.Count == 0)
        {
            return fallback;
        }
        return string.Join("; ", errors.Select(e => e.Key == "to"
            ? "phone is not E.164 (e.g. +15551234567)"
            : $"{Rename(e.Key)} {string.Join(", ", e.Value)}".Trim()));
    }

    private static string Rename(string field) => field switch
    {
        "to" => "phone",
        "agentId" => "projectId",
        "variables" => "callList entry",
        _ when field.StartsWith("variables.", StringComparison.Ordinal) => field["variables.".Length..],
        _ => field,
    };

    /// <summary>The body as a JSON object; null when empty or not a JSON object.</summary>
    private static async Task<JsonObject?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Every scalar contact field as a prompt variable: strings as they are, numbers and booleans as JSON text.</summary>
    private static Dictionary<string, string> Variables(JsonObject entry)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in entry)
        {
            if (node is JsonValue v && v.GetValueKind() is not JsonValueKind.Null)
            {
                variables[name] = v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
            }
        }
        return variables;
    }

    /// <summary>A JSON string as is, a number as its JSON text; anything else is absent.</summary>
    private static string? Text(JsonNode? node) => node is JsonValue v
        ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>().Trim(),
            JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        }
        : null;

    private static IResult Error(int status, string message) =>
        TypedResults.Json(new VodexResponse(false, message), statusCode: status);
}
