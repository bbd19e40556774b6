using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Compliance;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Server.Campaigns;
using Outdial.Server.Infrastructure;

namespace Outdial.Server.Dialects.Vodex;

/// <summary>
/// Seed 000 (Vodex "Trigger Call"): <c>POST /api/v1/trigger-call</c> with <c>Authorization: &lt;key&gt;</c> (or
/// <c>Bearer &lt;key&gt;</c>) and <c>dburl: &lt;account alias&gt;</c>. A thin translation: each <c>callList</c> entry → one
/// <see cref="TriggerCommand"/> → <see cref="CallIntake.TriggerAsync"/>; the answers are gathered into the seed's
/// <c>{success, message, data: {callsTriggered, callIds}}</c>. Authentication and rate limiting are done here so that their
/// errors are in the same envelope.
/// </summary>
public static class VodexDialect
{
    public const string Path = "/api/v1/trigger-call";

    /// <summary>The consent source recorded on every call placed through this dialect.</summary>
    public const string ConsentSource = "vodex_consentForCalls";

    /// <summary>At most this many entries in one <c>callList</c> (Outdial's limit; the seed documents none).</summary>
    public const int MaxCallList = 1000;

    private static readonly HashSet<string> BasicFields = new(StringComparer.Ordinal) { "firstName", "lastName", "phone" };

    public static RouteHandlerBuilder MapVodexDialect(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, TriggerAsync)
            .AllowAnonymous()
            // The native limiter answers in ProblemDetails; the handler takes a permit from the same per-key limiter itself.
            .DisableRateLimiting()
            .WithTags("Dialects")
            .WithName("VodexTriggerCall")
            .Produces<VodexResponse>()
            .ProducesErrors<VodexResponse>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status429TooManyRequests);

    /// <summary>
    /// Order of checks: key (401) → rate limit (429) → dburl (403) → API access switch (403) → body (400) → consent (400) →
    /// projectId (400) → campaign (400) → one intake per entry. 200 when at least one entry was accepted, else 400 with
    /// <c>data</c> listing every entry's refusal.
    /// </summary>
    public static async Task<IResult> TriggerAsync(
        HttpContext http,
        ApiKeyVerifier verifier,
        IAccountStore accounts,
        IAgentStore agentStore,
        ICampaignStore campaigns,
        ComplianceChecker compliance,
        CallIntake intake,
        TimeProvider clock,
        IOptions<RateLimiterOptions> rateLimits,
        IOptions<ApiOptions> api,
        CancellationToken ct)
    {
        var header = http.Request.Headers.Authorization.ToString().Trim();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header;
        var key = presented.Length > 0 && !presented.Contains(' ', StringComparison.Ordinal) ? await verifier.VerifyAsync(presented, ct) : null;
        if (key is null)
        {
            return Error(StatusCodes.Status401Unauthorized, VodexErrors.InvalidApiKey);
        }
        if (RateLimited(http, key.AccountId, key.Id, rateLimits.Value, api.Value) is { } limited)
        {
            return limited;
        }
        var dburl = http.Request.Headers["dburl"].ToString().Trim();
        if (dburl.Length == 0)
        {
            return Error(StatusCodes.Status403Forbidden, VodexErrors.DburlRequired);
        }
        // An unknown dburl and another account's dburl get the same answer, so that aliases cannot be probed.
        var byAlias = await accounts.FindAccountByAliasAsync(AccountAlias.Dburl, dburl, ct);
        if (byAlias is null || byAlias.Id != key.AccountId)
        {
            return Error(StatusCodes.Status403Forbidden, VodexErrors.DburlMismatch);
        }
        if (!byAlias.ApiAccessEnabled)
        {
            return Error(StatusCodes.Status403Forbidden, VodexErrors.ApiAccessDisabled);
        }
        var account = byAlias;

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
        var agent = await agentStore.GetAgentAsync(account.Id, projectId, ct) ?? await agentStore.FindAgentByKeyAsync(account.Id, projectId, ct);
        if (agent is null)
        {
            return Error(StatusCodes.Status400BadRequest, $"projectId '{projectId}' is not an agent id or key of this account");
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
        string? campaignId = null;
        if (campaignName is not null)
        {
            var (campaign, campaignError) = await FindOrCreateCampaignAsync(account.Id, campaignName, agent, agentStore, campaigns, compliance, clock, ct);
            if (campaign is null)
            {
                return Error(StatusCodes.Status400BadRequest, campaignError!);
            }
            campaignId = campaign.Id;
        }

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
                To = phone,
                AgentId = agent.Id,
                CampaignId = campaignId,
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

    /// <summary>
    /// The account's campaign named <paramref name="name"/>, or a new one built by the native mapping (<see cref="CampaignMapping.BuildAsync"/>
    /// with the agent's settings and the defaults, but never auto-completing: later requests add to it) and created active, so that its calls dial at once. An existing campaign is
    /// used as it is (its own agent, window and status; intake refuses a finished one).
    /// </summary>
    private static async Task<(Campaign? Campaign, string? Error)> FindOrCreateCampaignAsync(string accountId, string name, Agent agent,
        IAgentStore agents, ICampaignStore campaigns, ComplianceChecker compliance, TimeProvider clock, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await campaigns.FindCampaignByNameAsync(accountId, name, ct) is { } existing)
            {
                return (existing, null);
            }
            var now = clock.GetUtcNow();
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var built = await CampaignMapping.BuildAsync(new CampaignRequest { Name = name, AgentId = agent.Id, CompleteWhenDone = false }, null, accountId, now, agents,
                compliance.Floor, errors, ct);
            if (built is null || errors.Count > 0)
            {
                var (field, messages) = errors.FirstOrDefault();
                return (null, $"campaignName '{name}' could not be created: {Rename(field ?? "campaign")} {messages?.FirstOrDefault()}".Trim());
            }
            var active = built with { Status = CampaignStatus.Active, ActivatedAt = now };
            if (await campaigns.CreateCampaignAsync(active, ct) != UpsertResult.Conflict)
            {
                return (active, null);
            }
            // Another request created it meanwhile: use theirs.
        }
        return (null, $"campaignName '{name}' could not be created; retry");
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
        "name" => "campaignName",
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

    /// <summary>One permit from the native per-key limiter (one budget shared with the native API); a 429 envelope with Retry-After when none is left.</summary>
    private static IResult? RateLimited(HttpContext http, string accountId, string keyId, RateLimiterOptions options, ApiOptions api)
    {
        if (!DialectSupport.RateLimited(http, accountId, keyId, options))
        {
            return null;
        }
        return Error(StatusCodes.Status429TooManyRequests, $"Rate limit exceeded: {api.RateLimitPerMinute} requests per minute per API key");
    }

    private static IResult Error(int status, string message) =>
        TypedResults.Json(new VodexResponse(false, message), statusCode: status);
}
