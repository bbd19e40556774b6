using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;

namespace Outdial.Server.Dialects.BuildVoice;

/// <summary>
/// Seed 003 (BuildVoiceAI "Trigger Call"): <c>POST /api/v1/calls/trigger</c> with <c>Authorization: Bearer &lt;key&gt;</c>.
/// A thin translation: body → one <see cref="TriggerCommand"/> → <see cref="CallIntake.TriggerAsync"/> → the seed's
/// envelope. 200 <c>{success: true, call_id, status: "initiated"}</c> for every accepted call (queued now or scheduled for
/// the agent's next calling window); every error is <c>{success: false, error}</c> with the seed table's status and text
/// (see <see cref="BuildVoiceErrors"/>). Authentication and rate limiting are done here, not by the server's middleware,
/// so that their errors are in the same envelope.
/// </summary>
public static class BuildVoiceDialect
{
    /// <summary>The seed's path.</summary>
    public const string Path = "/api/v1/calls/trigger";

    /// <summary>The consent source recorded on calls placed through this dialect (the seed has no consent field).</summary>
    public const string ConsentSource = "buildvoice_api";

    public static void MapBuildVoiceDialect(this IEndpointRouteBuilder app)
    {
        var limiter = new BuildVoiceRateLimiter(app.ServiceProvider.GetRequiredService<TimeProvider>());
        app.MapPost(Path, (HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, CallIntake intake, CancellationToken ct) =>
                TriggerAsync(http, verifier, accounts, intake, limiter, ct))
            .WithTags("Dialects").WithName("BuildVoiceTriggerCall")
            .AllowAnonymous()
            .DisableRateLimiting()
            .Produces<BuildVoiceTriggered>()
            .ProducesErrors<BuildVoiceError>(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests);
    }

    /// <summary>Order of checks: key (401) → rate limit (429) → API access switch (403) → body (400) → intake.</summary>
    public static async Task<IResult> TriggerAsync(HttpContext http, ApiKeyVerifier verifier, IAccountStore accounts, CallIntake intake,
        BuildVoiceRateLimiter limiter, CancellationToken ct)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header[7..].Trim() is { Length: > 0 } presented
            ? await verifier.VerifyAsync(presented, ct)
            : null;
        if (key is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Error(StatusCodes.Status401Unauthorized, BuildVoiceErrors.InvalidApiKey);
        }
        if (!limiter.TryAcquire(key.Id, out var retryAfter))
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            return Error(StatusCodes.Status429TooManyRequests, BuildVoiceErrors.RateLimitExceeded);
        }
        var account = await accounts.GetAccountAsync(key.AccountId, ct);
        if (account is null || !account.ApiAccessEnabled)
        {
            return Error(StatusCodes.Status403Forbidden, BuildVoiceErrors.ApiAccessDisabled);
        }

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

        var result = await intake.TriggerAsync(ToCommand(key.AccountId, body), ct);
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
    /// <c>phone_number</c> → <c>To</c> (as sent), <c>agent_id</c> → <c>AgentId</c>, <c>name</c>/<c>email</c> → contact fields
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
