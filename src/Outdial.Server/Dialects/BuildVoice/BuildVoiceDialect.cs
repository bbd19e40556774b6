using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Intake;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Dialects.BuildVoice;

/// <summary>
/// Seed 003 (BuildVoiceAI "Trigger Call"): <c>POST /api/v1/calls/trigger</c> with <c>Authorization: Bearer &lt;key&gt;</c>.
/// A thin translation: body → one <see cref="TriggerCommand"/> → <see cref="CallIntake.TriggerAsync"/> → the seed's
/// envelope. 200 <c>{success: true, call_id, status: "initiated"}</c> for every accepted call (queued now or scheduled for
/// the agent's next calling window); every error is <c>{success: false, error}</c> with the seed table's status and text
/// (see <see cref="BuildVoiceErrors"/>). The front door is <see cref="DialectGate"/> with the seed's own budget of
/// <see cref="PermitsPerMinute"/> per key, apart from the native API's, so that every refusal is in the same envelope.
/// </summary>
public static class BuildVoiceDialect
{
    /// <summary>The seed's path.</summary>
    public const string Path = "/api/v1/calls/trigger";

    /// <summary>The consent source recorded on calls placed through this dialect (the seed has no consent field).</summary>
    public const string ConsentSource = "buildvoice_api";

    /// <summary>"More than 100 requests per minute" → 429 (seed 003's error table); counted per key, apart from the native API's budget.</summary>
    public const int PermitsPerMinute = 100;

    /// <summary>The front door: <c>Authorization: Bearer</c>, the seed's own budget, the seed's texts for 401, 429 and 403.</summary>
    public static readonly DialectGateRule Gate = new()
    {
        Key = DialectGateExtensions.BearerKey,
        OwnPermitsPerMinute = PermitsPerMinute,
        Render = (http, outcome) =>
        {
            if (outcome is GateOutcome.Unauthenticated)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
            }
            return outcome switch
            {
                GateOutcome.Unauthenticated => Error(StatusCodes.Status401Unauthorized, BuildVoiceErrors.InvalidApiKey),
                GateOutcome.RateLimited => Error(StatusCodes.Status429TooManyRequests, BuildVoiceErrors.RateLimitExceeded),
                _ => Error(StatusCodes.Status403Forbidden, BuildVoiceErrors.ApiAccessDisabled),
            };
        },
    };

    public static void MapBuildVoiceDialect(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, TriggerAsync)
            .RequireDialectGate(Gate)
            .WithTags(DialectTags.BuildVoice).WithName("BuildVoiceTriggerCall")
            .WithSummary("Trigger a call (BuildVoiceAI)")
            .WithDescription($$"""
                One call to `phone_number` with the agent `agent_id` (else the account's default). 200 `{success: true, call_id,
                status: "initiated"}` for every accepted call, queued now or scheduled for the agent's next calling window. Errors are
                `{success: false, error}` with the seed's texts: 400 (invalid phone number, agent not found, no default agent, no
                phone number, invalid JSON), 401 "Invalid API key", 403 "API access is disabled", 409 (a pending call to the number,
                with `call_id`), 422 (an eligibility refusal), 429 "Rate limit exceeded" after {{PermitsPerMinute}} requests per minute
                per key (a budget of its own).
                """)
            .WithSecurity(ApiSecurity.Bearer)
            .Accepts<BuildVoiceTriggerRequest>("application/json")
            .Produces<BuildVoiceTriggered>()
            .WithRequestExample("BuildVoiceTriggerRequest")
            .WithResponseExample(StatusCodes.Status200OK, "BuildVoiceTriggered")
            .ProducesErrors<BuildVoiceError>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests);
    }

    /// <summary>Order of checks: the gate (key 401 → rate limit 429 → API access switch 403) → body (400) → intake.</summary>
    public static async Task<IResult> TriggerAsync(HttpContext http, CallIntake intake, CancellationToken ct)
    {
        var caller = DialectCaller.Of(http);
        JsonObject body;
        try
        {
            if (await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct) is not JsonObject parsed)
            {
                return Error(StatusCodes.Status400BadRequest, BuildVoiceErrors.InvalidJson);
            }
            body = parsed;
        }
        catch (JsonException)
        {
            return Error(StatusCodes.Status400BadRequest, BuildVoiceErrors.InvalidJson);
        }
        if (body["metadata"] is { } meta && meta is not JsonObject)
        {
            return Error(StatusCodes.Status400BadRequest, BuildVoiceErrors.MetadataNotObject);
        }

        var result = await intake.TriggerAsync(ToCommand(caller.Account.Id, body) with { Account = caller.Account }, ct);
        return result switch
        {
            IntakeResult.Accepted accepted => TypedResults.Json(new BuildVoiceTriggered(true, accepted.Call.Id, "initiated")),
            IntakeResult.Refused { Code: "validation_failed" } invalid => Error(StatusCodes.Status400BadRequest, ValidationError(invalid, body)),
            IntakeResult.Refused refused => Error(StatusCodes.Status422UnprocessableEntity, refused.Message),
            IntakeResult.Duplicate duplicate => TypedResults.Json(new BuildVoiceError(false, BuildVoiceErrors.DuplicateCall, duplicate.Existing.Id),
                statusCode: StatusCodes.Status409Conflict),
            // No Idempotency-Key is passed, so intake cannot answer Replayed or InFlight.
            _ => throw new InvalidOperationException($"unexpected intake result {result.GetType().Name} without an Idempotency-Key"),
        };
    }

    /// <summary>
    /// <c>phone_number</c> → <c>To</c> (as sent), <c>agent_id</c> → <c>AgentId</c> (a foreign reference: an unknown one follows the
    /// account's <c>strictAgentRefs</c>), <c>name</c>/<c>email</c> → contact fields
    /// (so <c>{name}</c> and <c>{email}</c> render in the prompt), <c>metadata</c> → <c>Metadata</c>. Unknown fields are ignored.
    /// </summary>
    public static TriggerCommand ToCommand(string accountId, JsonObject body)
    {
        var contact = new JsonObject();
        foreach (var field in (ReadOnlySpan<string>)["name", "email"])
        {
            if (Text(body[field]) is { } value)
            {
                contact[field] = value;
            }
        }
        return new TriggerCommand
        {
            AccountId = accountId,
            // A non-string phone_number is passed as an empty string, which intake rejects as "to is required".
            To = body["phone_number"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "",
            AgentId = Text(body["agent_id"]),
            ForeignAgentRef = true,
            Contact = contact,
            Metadata = body["metadata"]?.DeepClone() as JsonObject,
            // The seed has no consent field: calling through the customer's own API key is their statement of consent.
            Consent = new ConsentEvidence(true, ConsentSource, null, null),
        };
    }

    /// <summary>Intake's field errors → the seed's rows, in the seed table's order; anything else as "field message".</summary>
    private static string ValidationError(IntakeResult.Refused invalid, JsonObject body)
    {
        var errors = invalid.Errors;
        if (errors.ContainsKey("to"))
        {
            return BuildVoiceErrors.InvalidPhoneNumber;
        }
        if (errors.ContainsKey("agentId"))
        {
            return string.IsNullOrEmpty(Text(body["agent_id"])) ? BuildVoiceErrors.NoDefaultAgent : BuildVoiceErrors.AgentNotFound;
        }
        if (errors.ContainsKey("from"))
        {
            // No "from" is sent, so intake's only caller-ID error is: the agent has no number and the account owns none.
            return BuildVoiceErrors.NoPhoneNumber;
        }
        var (field, messages) = errors.First();
        return $"{field} {messages.FirstOrDefault()}".Trim();
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

    private static IResult Error(int status, string message) =>
        TypedResults.Json(new BuildVoiceError(false, message), statusCode: status);
}
