using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Intake;
using Outdial.Core.Net;
using Outdial.Core.Storage;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Dialects.Ivr;

/// <summary>
/// Seed 002 (IVR "Outbound Call Trigger"): <c>POST /v2/call</c> and <c>POST /v2/callresult</c>, authenticated by the API key
/// in the body (<c>AccessToken</c>) whose account must carry the body's <c>Tenant</c> alias (<c>PATCH /v1/account
/// {"aliases":{"tenant":"..."}}</c>). A thin translation: body → one <see cref="TriggerCommand"/> →
/// <see cref="CallIntake.TriggerAsync"/> → <c>{UniqueId}</c>. Every error is <see cref="IvrError"/>
/// (<c>{Error, Field}</c>); the front door is <see cref="DialectGate"/>, called after the body's required fields (the key is in
/// the body). <c>ScenarioPath</c> is a foreign agent reference; <c>_DisplayNumber</c> and <c>_Destination</c> may be national
/// numbers (<see cref="DefaultCallingCodeSetting"/>); intake resolves all three. The ids this dialect issues are bearer secrets
/// (≥ 122 random bits), so that <c>/v2/callresult</c> can answer the seed's token-less request.
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

    /// <summary>
    /// Token-less <c>/v2/callresult</c> requests allowed per client address and minute
    /// (<c>Outdial:Dialects:Ivr:AnonymousResultsPerMinute</c>, 1–100000, default 60).
    /// </summary>
    public const string AnonymousResultsPerMinuteSetting = "Outdial:Dialects:Ivr:AnonymousResultsPerMinute";

    /// <summary>
    /// Extra Kestrel endpoints that serve only this dialect, e.g. <c>http://0.0.0.0:22222</c>, the seed's documented port
    /// (<c>Outdial:Dialects:Ivr:Urls</c>, semicolon-separated; none by default). The dialect stays on the main URLs too.
    /// </summary>
    public const string UrlsSetting = "Outdial:Dialects:Ivr:Urls";

    /// <summary>The front door: the body's <c>AccessToken</c>, the native budget; 401, 429 and 403 as <see cref="IvrError"/>.</summary>
    public static readonly DialectGateRule Gate = new()
    {
        Key = _ => null,
        Render = (_, outcome) => outcome switch
        {
            GateOutcome.Unauthenticated => Error(StatusCodes.Status401Unauthorized, "Invalid AccessToken.", "AccessToken"),
            GateOutcome.RateLimited => Error(StatusCodes.Status429TooManyRequests, "Too many requests."),
            _ => Error(StatusCodes.Status403Forbidden, "API access is disabled."),
        },
    };

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
        var anonymousText = app.ServiceProvider.GetRequiredService<IConfiguration>()[AnonymousResultsPerMinuteSetting];
        var anonymousPerMinute = 60;
        if (!string.IsNullOrWhiteSpace(anonymousText)
            && (!int.TryParse(anonymousText, NumberStyles.Integer, CultureInfo.InvariantCulture, out anonymousPerMinute) || anonymousPerMinute is < 1 or > 100_000))
        {
            throw new InvalidOperationException($"{AnonymousResultsPerMinuteSetting} must be a whole number from 1 to 100000, not '{anonymousText}'.");
        }
        app.MapPost(CallPath, (HttpContext http, DialectGate gate, IAccountStore accounts, CallIntake intake, OutboundUrlGuard guard, CancellationToken ct) =>
                CallAsync(http, gate, accounts, intake, guard, callingCode, batchSec, ct))
            .WithTags(DialectTags.Ivr).WithName("IvrCall")
            .WithSummary("Trigger a call (IVR)")
            .WithDescription("""
                One call to `_Destination` from `_DisplayNumber` with the agent `ScenarioPath`; the key is the body's `AccessToken`
                (no header). Checks, in order: a JSON object and the seed's required fields (400, nothing stored), the key (401), the
                native per-key budget (429 with `Retry-After`), `Tenant` (403), the account's API access switch (403), field formats
                (400), then intake (400 invalid fields, 409 a pending call to the number with its `UniqueId`, 422 an eligibility
                refusal). 200 `{UniqueId}`: the native call's id, also a bearer secret for `/v2/callresult`. Errors are
                `{Error, Field?}`, `Field` naming the body field (a parameter by its `Name`).
                """)
            .AllowAnonymous()
            .DisableRateLimiting()
            .WithSecurity()
            .Accepts<IvrCallRequest>("application/json")
            .Produces<IvrCallCreated>()
            .WithRequestExample("IvrCallRequest")
            .WithResponseExample(StatusCodes.Status200OK, "IvrCallCreated")
            .ProducesErrors<IvrError>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests);
        app.MapPost(ResultPath, (HttpContext http, DialectGate gate, IAccountStore accounts, ICallStore calls, CancellationToken ct) =>
                CallResultAsync(http, gate, accounts, calls, anonymousPerMinute, ct))
            .WithTags(DialectTags.Ivr).WithName("IvrCallResult")
            .WithSummary("Get call results (IVR)")
            .WithDescription("""
                One row `{UniqueId, CallRequestId, CallState}` per requested id, in order. With `AccessToken` in the body or
                `Authorization: Bearer`, the request is scoped to the key's account (any other id is `Unknown`). Without, as in the
                seed's own example, the ids are the credential: only ids issued by `/v2/call` (125 random bits) are answered, with
                the seed's three fields only, and requests are limited per client address
                (`Outdial:Dialects:Ivr:AnonymousResultsPerMinute`, default 60; 429 with `Retry-After`).
                """)
            .AllowAnonymous()
            .DisableRateLimiting()
            .WithOptionalSecurity(ApiSecurity.Bearer)
            .Accepts<IvrCallResultRequest>("application/json")
            .Produces<IvrCallResults>()
            .WithRequestExample("IvrCallResultRequest")
            .WithResponseExample(StatusCodes.Status200OK, "IvrCallResults")
            .ProducesErrors<IvrError>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status429TooManyRequests);
    }

    /// <summary>
    /// Order of checks: JSON object (400) → the seed's required fields (400, nothing stored) → the gate: AccessToken (401) → rate
    /// limit (429) → Tenant is the key's account (403) → its API access is on (403) → field formats (400) → intake (400/409/422).
    /// </summary>
    public static async Task<IResult> CallAsync(HttpContext http, DialectGate gate, IAccountStore accounts, CallIntake intake,
        OutboundUrlGuard guard, string callingCode, int batchSec, CancellationToken ct)
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

        var (account, refusal) = await PassGateAsync(http, gate, accounts, Text(body["AccessToken"]), Text(body["Tenant"]), ct);
        if (account is null)
        {
            return refusal!;
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

        metadata["displayNumber"] = variables[DisplayNumber].Trim();
        metadata["destination"] = variables[Destination].Trim();
        variables.Remove(DisplayNumber);
        variables.Remove(Destination);

        var cmd = new TriggerCommand
        {
            AccountId = account.Id,
            Account = account,
            // National numbers are read with the configured calling code; _DisplayNumber may also be a number's id or label.
            To = (string?)metadata["destination"],
            From = (string?)metadata["displayNumber"],
            NationalCallingCode = callingCode,
            AgentId = Text(body["ScenarioPath"])!.Trim(),
            ForeignAgentRef = true,
            SecretId = true,
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
    /// <c>{UniqueIds: [...], AccessToken?, Tenant?}</c> → <c>{CallResults: [{UniqueId, CallRequestId, CallState}]}</c>, one row per
    /// id in the order asked.
    /// <para>With <c>AccessToken</c> or an <c>Authorization: Bearer</c> API key (as at <c>/v2/call</c>; <c>Tenant</c> checked when
    /// given) the request is scoped to the key's
    /// account: its calls by id, any other id answered <c>Unknown</c> with an empty CallRequestId.</para>
    /// <para>Without it — the seed's own example sends only <c>UniqueIds</c> — the ids are the credential: a UniqueId this dialect
    /// issued carries 125 random bits (<see cref="Ids.NewSecret"/>), so holding one is proof enough to learn its state, as
    /// holding a capability URL is. Such a request is answered only for ids of that shape issued by <c>/v2/call</c>, with exactly
    /// the seed's three fields and nothing else (no metadata, no account); every other id is <c>Unknown</c>; and it is limited
    /// per client address (<see cref="AnonymousResultsPerMinuteSetting"/>; 429 with <c>Retry-After</c>), so ids cannot be
    /// probed at any useful rate.</para>
    /// </summary>
    public static async Task<IResult> CallResultAsync(HttpContext http, DialectGate gate, IAccountStore accounts, ICallStore calls,
        int anonymousPerMinute, CancellationToken ct)
    {
        if (await ReadBodyAsync(http.Request, ct) is not { } body)
        {
            return Error(StatusCodes.Status400BadRequest, "The request body must be a JSON object.");
        }
        if (body["UniqueIds"] is not JsonArray array || array.Count == 0 || array.Count > MaxUniqueIds
            || array.Any(n => n is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            return Error(StatusCodes.Status400BadRequest, $"UniqueIds must be an array of 1 to {MaxUniqueIds} strings.", "UniqueIds");
        }
        var ids = array.Select(n => n!.GetValue<string>()).ToList();
        var token = Text(body["AccessToken"]);
        if (body["AccessToken"] is { } tokenNode && tokenNode.GetValueKind() != JsonValueKind.Null && string.IsNullOrWhiteSpace(token))
        {
            return Error(StatusCodes.Status400BadRequest, "AccessToken must be a non-empty string when given.", "AccessToken");
        }
        token ??= DialectGateExtensions.BearerKey(http);
        Func<string, Task<Call?>> find;
        if (token is null)
        {
            // Token-less: the id is the credential, so only ids this dialect issued (unguessable, with an IVR request) are answered.
            var client = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (!gate.TryTakeAnonymous(http, client, anonymousPerMinute))
            {
                return Error(StatusCodes.Status429TooManyRequests, "Too many requests.");
            }
            find = async id => Ids.IsSecret(id, "call") && await calls.GetCallByIdAsync(id, ct) is { Metadata: { } meta } call
                && meta["ivr"] is JsonObject ? call : null;
        }
        else
        {
            var (account, refusal) = await PassGateAsync(http, gate, accounts, token, Text(body["Tenant"]), ct);
            if (account is null)
            {
                return refusal!;
            }
            find = id => id.Length == 0 ? Task.FromResult<Call?>(null) : calls.GetCallAsync(account.Id, id, ct);
        }
        var rows = new List<IvrCallResult>(ids.Count);
        foreach (var id in ids)
        {
            rows.Add(await find(id.Trim()) is { } call
                ? new IvrCallResult(call.Id, IvrResultPush.CallRequestId(call), IvrCallStates.Of(call))
                : new IvrCallResult(id, "", IvrCallStates.Unknown));
        }
        return Results.Json(new IvrCallResults(rows), IvrJson.Options);
    }

    /// <summary>The seed's example tenant; when no account has it as its alias, it names the key's own account.</summary>
    public const string DefaultTenant = "Default";

    /// <summary>
    /// The gate for <paramref name="token"/>: the key's account, or the refusal to send. <paramref name="tenant"/>, when given, must
    /// be the account's IVR tenant alias — or <see cref="DefaultTenant"/> (any case) when no account has taken that alias
    /// (403 otherwise, checked before the API access switch).
    /// </summary>
    private static async Task<(Account? Account, IResult? Refusal)> PassGateAsync(HttpContext http, DialectGate gate, IAccountStore accounts,
        string? token, string? tenant, CancellationToken ct)
    {
        var rule = string.IsNullOrWhiteSpace(tenant) ? Gate : Gate with
        {
            AccountCheck = async (_, account, cancel) =>
            {
                var name = tenant.Trim();
                var owns = string.Equals(account.IvrTenant, name, StringComparison.Ordinal)
                    || (string.Equals(name, DefaultTenant, StringComparison.OrdinalIgnoreCase)
                        && await accounts.FindAccountByAliasAsync(AccountAlias.IvrTenant, name, cancel) is null);
                return owns ? null : Error(StatusCodes.Status403Forbidden, "The AccessToken does not belong to this Tenant.", "Tenant");
            },
        };
        var outcome = await gate.PassAsync(http, token, rule, ct);
        return outcome switch
        {
            GateOutcome.Passed passed => (passed.Caller.Account, null),
            GateOutcome.Refused refused => (null, refused.Answer),
            _ => (null, rule.Render(http, outcome)),
        };
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
}
