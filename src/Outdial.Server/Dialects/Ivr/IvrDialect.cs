using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Intake;
using Outdial.Core.Net;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;

namespace Outdial.Server.Dialects.Ivr;

/// <summary>
/// Seed 002 (IVR "Outbound Call Trigger"): <c>POST /v2/call</c> and <c>POST /v2/callresult</c>, authenticated by the API key
/// in the body (<c>AccessToken</c>) whose account must carry the body's <c>Tenant</c> alias (<c>PATCH /v1/account
/// {"aliases":{"tenant":"..."}}</c>). A thin translation: body → one <see cref="TriggerCommand"/> →
/// <see cref="CallIntake.TriggerAsync"/> → <c>{UniqueId}</c>. Every error is <see cref="IvrError"/>
/// (<c>{Error, Field}</c>), so authentication and rate limiting are done here rather than by the native middleware.
/// </summary>
public static class IvrDialect
{
    public const string CallPath = "/v2/call";
    public const string ResultPath = "/v2/callresult";

    /// <summary>The calling code put before national numbers (<c>Outdial:Dialects:Ivr:DefaultCallingCode</c>, default 1).</summary>
    public const string DefaultCallingCodeSetting = "Outdial:Dialects:Ivr:DefaultCallingCode";

    /// <summary>
    /// Seconds between batched result posts to <c>ResultDestination</c> when <c>SendResultImmediately</c> is false
    /// (<c>Outdial:Dialects:Ivr:ResultBatchIntervalSec</c>, 1–86400, default 60).
    /// </summary>
    public const string ResultBatchIntervalSetting = "Outdial:Dialects:Ivr:ResultBatchIntervalSec";

    /// <summary>The consent source recorded on calls placed through this dialect (the seed has no consent field).</summary>
    public const string ConsentSource = "ivr_api";

    /// <summary>At most this many ids per <c>/v2/callresult</c> request.</summary>
    public const int MaxUniqueIds = 100;

    public const string DisplayNumber = "_DisplayNumber";
    public const string Destination = "_Destination";

    public static void MapIvrDialect(this IEndpointRouteBuilder app)
    {
        var configured = app.ServiceProvider.GetRequiredService<IConfiguration>()[DefaultCallingCodeSetting]?.Trim().TrimStart('+');
        var callingCode = string.IsNullOrEmpty(configured) ? "1" : configured;
        if (!callingCode.All(char.IsAsciiDigit) || callingCode.Length > 3)
        {
            throw new InvalidOperationException($"{DefaultCallingCodeSetting} must be 1 to 3 digits, not '{configured}'.");
        }
        var batchText = app.ServiceProvider.GetRequiredService<IConfiguration>()[ResultBatchIntervalSetting];
        var batchSec = 60;
        if (!string.IsNullOrWhiteSpace(batchText)
            && (!int.TryParse(batchText, NumberStyles.Integer, CultureInfo.InvariantCulture, out batchSec) || batchSec is < 1 or > 86400))
        {
            throw new InvalidOperationException($"{ResultBatchIntervalSetting} must be a whole number of seconds from 1 to 86400, not '{batchText}'.");
        }
        app.MapPost(CallPath, (HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, IAgentStore agents, CallIntake intake,
                    OutboundUrlGuard guard, IOptions<RateLimiterOptions> limits, CancellationToken ct) =>
                CallAsync(http, verifier, accounts, agents, intake, guard, limits.Value, callingCode, batchSec, ct))
            .WithTags("Dialects").WithName("IvrCall")
            .AllowAnonymous()
            .DisableRateLimiting()
            .Produces<IvrCallCreated>()
            .ProducesErrors<IvrError>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests);
        app.MapPost(ResultPath, (HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, ICallStore calls,
                    IOptions<RateLimiterOptions> limits, CancellationToken ct) =>
                CallResultAsync(http, verifier, accounts, calls, limits.Value, ct))
            .WithTags("Dialects").WithName("IvrCallResult")
            .AllowAnonymous()
            .DisableRateLimiting()
            .Produces<IvrCallResults>()
            .ProducesErrors<IvrError>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status429TooManyRequests);
    }

    /// <summary>
    /// Order of checks: JSON object (400) → the seed's required fields (400, nothing stored) → AccessToken (401) → rate limit
    /// (429) → Tenant is the key's account and its API access is on (403) → field formats (400) → intake (400/409/422).
    /// </summary>
    public static async Task<IResult> CallAsync(HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, IAgentStore agents,
        CallIntake intake, OutboundUrlGuard guard, RateLimiterOptions limits, string callingCode, int batchSec, CancellationToken ct)
    {
        if (await ReadBodyAsync(http.Request, ct) is not { } body)
        {
            return Error(StatusCodes.Status400BadRequest, "The request body must be a JSON object.");
        }
        foreach (var field in (ReadOnlySpan<string>)["Project", "Tenant", "ConversationId", "AccessToken", "ScenarioPath", "OrchestratorUrl"])
        {
            if (string.IsNullOrWhiteSpace(Text(body[field])))
            {
                return Error(StatusCodes.Status400BadRequest, $"{field} is required.", field);
            }
        }
        if (body["ScenarioInputParameters"] is not JsonArray parameters)
        {
            return Error(StatusCodes.Status400BadRequest, "ScenarioInputParameters is required and must be an array of {Name, Value}.",
                "ScenarioInputParameters");
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in parameters)
        {
            if (item is not JsonObject p || string.IsNullOrWhiteSpace(Text(p["Name"])))
            {
                return Error(StatusCodes.Status400BadRequest, "Every ScenarioInputParameters entry must be an object with a Name.",
                    "ScenarioInputParameters");
            }
            var name = Text(p["Name"])!.Trim();
            if (p["Value"] is { } v && Text(v) is null)
            {
                return Error(StatusCodes.Status400BadRequest, $"{name} must be a string, number or boolean.", name);
            }
            variables[name] = Text(p["Value"]) ?? "";
        }
        foreach (var field in (ReadOnlySpan<string>)[DisplayNumber, Destination])
        {
            if (!variables.TryGetValue(field, out var value) || string.IsNullOrWhiteSpace(value))
            {
                return Error(StatusCodes.Status400BadRequest, $"ScenarioInputParameters must contain {field}.", field);
            }
        }

        var key = await verifier.VerifyAsync(Text(body["AccessToken"])!.Trim(), ct);
        if (key is null)
        {
            return Error(StatusCodes.Status401Unauthorized, "Invalid AccessToken.", "AccessToken");
        }
        if (RateLimited(http, key.AccountId, key.Id, limits) is { } limited)
        {
            return limited;
        }
        if (await CheckTenantAsync(accounts, key.AccountId, Text(body["Tenant"])!, ct) is { } refused)
        {
            return refused;
        }

        var metadata = new JsonObject
        {
            ["project"] = Text(body["Project"])!.Trim(),
            ["tenant"] = Text(body["Tenant"])!.Trim(),
            ["conversationId"] = Text(body["ConversationId"])!.Trim(),
            ["scenarioPath"] = Text(body["ScenarioPath"])!.Trim(),
        };
        var orchestrator = Text(body["OrchestratorUrl"])!.Trim();
        if (!Uri.TryCreate(orchestrator, UriKind.Absolute, out var orchestratorUri) || orchestratorUri.Scheme is not ("http" or "https"))
        {
            return Error(StatusCodes.Status400BadRequest, "OrchestratorUrl must be an absolute http or https URL.", "OrchestratorUrl");
        }
        metadata["orchestratorUrl"] = orchestrator;
        if (body["Locale"] is { } localeNode)
        {
            if (Text(localeNode) is not { } locale)
            {
                return Error(StatusCodes.Status400BadRequest, "Locale must be a string.", "Locale");
            }
            metadata["locale"] = locale.Trim();
        }
        if (body["ResultDestination"] is { } destinationNode && destinationNode.GetValueKind() != JsonValueKind.Null)
        {
            var url = Text(destinationNode)?.Trim();
            if (string.IsNullOrEmpty(url))
            {
                return Error(StatusCodes.Status400BadRequest, "ResultDestination must be a URL.", "ResultDestination");
            }
            var check = await guard.CheckAsync(url, ct);
            if (!check.Ok)
            {
                return Error(StatusCodes.Status400BadRequest, $"ResultDestination: {check.Error}", "ResultDestination");
            }
            metadata["resultDestination"] = url;
        }
        string? resultUrl = metadata["resultDestination"]?.GetValue<string>();
        switch (body["SendResultImmediately"]?.GetValueKind())
        {
            case null or JsonValueKind.Null:
                metadata["sendResultImmediately"] = false;
                break;
            case JsonValueKind.True or JsonValueKind.False:
                metadata["sendResultImmediately"] = body["SendResultImmediately"]!.GetValue<bool>();
                break;
            default:
                return Error(StatusCodes.Status400BadRequest, "SendResultImmediately must be true or false.", "SendResultImmediately");
        }

        var contact = new JsonObject();
        switch (body["EndUser"])
        {
            case null:
                break;
            case JsonObject endUser:
                foreach (var (seedName, nativeName) in (ReadOnlySpan<(string, string)>)[("Name", "name"), ("Phone", "phone"), ("Email", "email")])
                {
                    if (Text(endUser[seedName]) is { Length: > 0 } value)
                    {
                        contact[nativeName] = value;
                    }
                }
                break;
            default:
                return Error(StatusCodes.Status400BadRequest, "EndUser must be an object {Name, Phone, Email}.", "EndUser");
        }

        var destination = IvrPhone.Normalize(variables[Destination], callingCode);
        var from = await ResolveCallerIdAsync(agents, key.AccountId, variables[DisplayNumber].Trim(), callingCode, ct);
        if (from is null)
        {
            return Error(StatusCodes.Status400BadRequest,
                "_DisplayNumber must be a phone number of the account (E.164) or the label of one.", DisplayNumber);
        }
        metadata["displayNumber"] = variables[DisplayNumber].Trim();
        metadata["destination"] = variables[Destination].Trim();
        variables.Remove(DisplayNumber);
        variables.Remove(Destination);

        var cmd = new TriggerCommand
        {
            AccountId = key.AccountId,
            To = destination,
            From = from,
            AgentId = Text(body["ScenarioPath"])!.Trim(),
            Contact = contact,
            Variables = variables,
            Metadata = new JsonObject { ["ivr"] = metadata },
            // The seed has no consent field: calling through the account's own key is its statement of consent.
            Consent = new ConsentEvidence(true, ConsentSource, null, null),
            // The result push is a per-call webhook in the seed's format, written to the outbox with the call's final event.
            Webhooks = resultUrl is null ? null :
            [
                new CallWebhook(resultUrl, IvrResultPush.Events, null, IvrResultPush.Format,
                    metadata["sendResultImmediately"]?.GetValue<bool>() == true ? 0 : batchSec),
            ],
        };
        var result = await intake.TriggerAsync(cmd, ct);
        return result switch
        {
            IntakeResult.Accepted accepted => Results.Json(new IvrCallCreated(accepted.Call.Id), IvrJson.Options),
            IntakeResult.Refused { Code: "validation_failed" } invalid => Error(StatusCodes.Status400BadRequest,
                Message(invalid.Errors, out var field), field),
            IntakeResult.Refused other => Error(StatusCodes.Status422UnprocessableEntity, other.Message,
                other.Errors.Count > 0 ? FieldName(other.Errors.First().Key) : null),
            IntakeResult.Duplicate duplicate => Results.Json(new IvrError("A call to this number is already pending or in progress.",
                Destination, duplicate.Existing.Id), IvrJson.Options, statusCode: StatusCodes.Status409Conflict),
            // No Idempotency-Key is passed, so intake cannot answer Replayed or InFlight.
            _ => throw new InvalidOperationException($"unexpected intake result {result.GetType().Name} without an Idempotency-Key"),
        };
    }

    /// <summary>
    /// <c>{UniqueIds: [...], AccessToken, Tenant?}</c> → <c>{CallResults: [{UniqueId, CallRequestId, CallState}]}</c>, one row
    /// per id in the order asked. The seed's example shows no credentials; Outdial requires <c>AccessToken</c> (as at
    /// <c>/v2/call</c>), and checks <c>Tenant</c> when given. Ids that are not calls of the key's account are answered with
    /// CallState <c>Unknown</c> and an empty CallRequestId.
    /// </summary>
    public static async Task<IResult> CallResultAsync(HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, ICallStore calls,
        RateLimiterOptions limits, CancellationToken ct)
    {
        if (await ReadBodyAsync(http.Request, ct) is not { } body)
        {
            return Error(StatusCodes.Status400BadRequest, "The request body must be a JSON object.");
        }
        if (string.IsNullOrWhiteSpace(Text(body["AccessToken"])))
        {
            return Error(StatusCodes.Status400BadRequest, "AccessToken is required.", "AccessToken");
        }
        if (body["UniqueIds"] is not JsonArray array || array.Count == 0 || array.Count > MaxUniqueIds
            || array.Any(n => n is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            return Error(StatusCodes.Status400BadRequest, $"UniqueIds must be an array of 1 to {MaxUniqueIds} strings.", "UniqueIds");
        }
        var key = await verifier.VerifyAsync(Text(body["AccessToken"])!.Trim(), ct);
        if (key is null)
        {
            return Error(StatusCodes.Status401Unauthorized, "Invalid AccessToken.", "AccessToken");
        }
        if (RateLimited(http, key.AccountId, key.Id, limits) is { } limited)
        {
            return limited;
        }
        if (Text(body["Tenant"]) is { } tenant && !string.IsNullOrWhiteSpace(tenant))
        {
            if (await CheckTenantAsync(accounts, key.AccountId, tenant, ct) is { } refused)
            {
                return refused;
            }
        }
        else if (await accounts.GetAccountAsync(key.AccountId, ct) is not { ApiAccessEnabled: true })
        {
            return Error(StatusCodes.Status403Forbidden, "API access is disabled.");
        }
        var rows = new List<IvrCallResult>(array.Count);
        foreach (var id in array.Select(n => n!.GetValue<string>()))
        {
            var call = string.IsNullOrWhiteSpace(id) ? null : await calls.GetCallAsync(key.AccountId, id.Trim(), ct);
            rows.Add(call is null
                ? new IvrCallResult(id, "", IvrCallStates.Unknown)
                : new IvrCallResult(call.Id, IvrResultPush.CallRequestId(call), IvrCallStates.Of(call)));
        }
        return Results.Json(new IvrCallResults(rows), IvrJson.Options);
    }


    /// <summary>The seed's example tenant; when no account has it as its alias, it names the key's own account.</summary>
    public const string DefaultTenant = "Default";

    /// <summary>
    /// 403 unless <paramref name="tenant"/> is the IVR tenant alias of the key's account — or <see cref="DefaultTenant"/>
    /// (any case) when no account has taken that alias — and its API access is on.
    /// </summary>
    private static async Task<IResult?> CheckTenantAsync(IAccountStore accounts, string accountId, string tenant, CancellationToken ct)
    {
        var account = await accounts.FindAccountByAliasAsync(AccountAlias.IvrTenant, tenant.Trim(), ct);
        if (account is null && string.Equals(tenant.Trim(), DefaultTenant, StringComparison.OrdinalIgnoreCase))
        {
            account = await accounts.GetAccountAsync(accountId, ct);
        }
        if (account is null || account.Id != accountId)
        {
            return Error(StatusCodes.Status403Forbidden, "The AccessToken does not belong to this Tenant.", "Tenant");
        }
        return account.ApiAccessEnabled ? null : Error(StatusCodes.Status403Forbidden, "API access is disabled.");
    }

    /// <summary>
    /// <c>_DisplayNumber</c> → the id of one of the account's phone numbers: an E.164 number is passed as is (intake checks the
    /// account owns it); otherwise a number whose label equals the value, else one whose number equals the value normalised
    /// like <c>_Destination</c>; null when none matches.
    /// </summary>
    private static async Task<string?> ResolveCallerIdAsync(IAgentStore agents, string accountId, string value, string callingCode, CancellationToken ct)
    {
        if (value.StartsWith('+'))
        {
            return value;
        }
        var owned = await agents.ListPhoneNumbersAsync(accountId, ct);
        if (owned.FirstOrDefault(n => string.Equals(n.Label?.Trim(), value, StringComparison.Ordinal)) is { } labelled)
        {
            return labelled.Id;
        }
        var normalized = IvrPhone.Normalize(value, callingCode);
        return owned.FirstOrDefault(n => n.Number == normalized)?.Id;
    }

    /// <summary>Intake's first field error as "Field message.", the field named as in the seed's body.</summary>
    private static string Message(IReadOnlyDictionary<string, string[]> errors, out string? field)
    {
        if (errors.Count == 0)
        {
            field = null;
            return "The request is invalid.";
        }
        var (native, messages) = errors.First();
        field = FieldName(native);
        return $"{field} {messages.FirstOrDefault()?.TrimEnd('.')}.";
    }

    /// <summary>Native field → the seed's: to → _Destination, from → _DisplayNumber, agentId → ScenarioPath, variables.X → X.</summary>
    private static string FieldName(string native) => native switch
    {
        "to" => Destination,
        "from" => DisplayNumber,
        "agentId" => "ScenarioPath",
        "metadata" => "ScenarioInputParameters",
        "variables" => "ScenarioInputParameters",
        _ when native.StartsWith("variables.", StringComparison.Ordinal) => native["variables.".Length..],
        _ when native.StartsWith("contact", StringComparison.Ordinal) => "EndUser",
        _ => native,
    };

    /// <summary>The body as a JSON object; null when it is empty, malformed or not an object.</summary>
    private static async Task<JsonObject?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON string as is, a number or boolean as its JSON text; anything else (null, object, array) is absent.</summary>
    private static string? Text(JsonNode? node) => node is JsonValue v
        ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
            _ => null,
        }
        : null;

    private static IResult Error(int status, string message, string? field = null) =>
        Results.Json(new IvrError(message, field), IvrJson.Options, statusCode: status);

    /// <summary>
    /// Takes one permit from the native per-key limiter (one budget shared with the native API, as the Talkover dialect does);
    /// 429 <c>{Error}</c> with <c>Retry-After</c> when none is left.
    /// </summary>
    private static IResult? RateLimited(HttpContext http, string accountId, string keyId, RateLimiterOptions options)
    {
        if (!DialectSupport.RateLimited(http, accountId, keyId, options))
        {
            return null;
        }
        return Error(StatusCodes.Status429TooManyRequests, "Too many requests.");
    }
}
