using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Dialects.Talkover;

/// <summary>
/// Seed 001 (Talkover "Make Campaign Call"): <c>POST /api/v1/campaigns/{campaign_id}/call</c> with
/// <c>Authorization: Bearer &lt;key&gt;</c>. A thin translation: body → one <see cref="TriggerCommand"/> for the campaign →
/// <see cref="CallIntake"/> → seed 001's shapes. Every answer, errors included, is in the seed's envelope
/// (<see cref="TalkoverError"/>): the front door is <see cref="DialectGate"/> (the native per-key budget, shared with the
/// native API). The request names no agent: the campaign's answers.
/// </summary>
public static class TalkoverDialect
{
    public const string Path = "/api/v1/campaigns/{campaign_id}/call";

    /// <summary>The front door: <c>Authorization: Bearer</c>, the native budget; 401 <c>UNAUTHENTICATED</c>, 429 <c>RATE_LIMITED</c>, 403 <c>FORBIDDEN</c>.</summary>
    public static readonly DialectGateRule Gate = new()
    {
        Key = DialectGateExtensions.BearerKey,
        Render = (http, outcome) =>
        {
            switch (outcome)
            {
                case GateOutcome.Unauthenticated:
                    http.Response.Headers.WWWAuthenticate = "Bearer";
                    return TalkoverRender.Error(StatusCodes.Status401Unauthorized, new TalkoverError("Unauthenticated.", "UNAUTHENTICATED"));
                case GateOutcome.RateLimited limited:
                    return TalkoverRender.Error(StatusCodes.Status429TooManyRequests,
                        new TalkoverError($"Too Many Attempts. This API key may make {limited.PermitsPerMinute} requests per minute.", "RATE_LIMITED"));
                default:
                    return TalkoverRender.Error(StatusCodes.Status403Forbidden, new TalkoverError("API access is disabled", "FORBIDDEN"));
            }
        },
    };

    public static RouteHandlerBuilder MapTalkoverDialect(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, CreateCallAsync)
            .RequireDialectGate(Gate)
            .WithTags(DialectTags.Talkover)
            .WithName("TalkoverMakeCampaignCall")
            .WithSummary("Make a campaign call (Talkover)")
            .WithDescription("""
                One call to `to` in the native campaign `campaign_id`, with the campaign's agent, caller IDs, window and retry policy.
                201 `{campaign_call, campaign}` with `Location` (the native call). Errors are `{success: false, message, code?,
                errors?, existing_call?}`: 401 `UNAUTHENTICATED`; 403 `FORBIDDEN` (API access switched off); 404
                `CAMPAIGN_NOT_FOUND`; 409 with `existing_call`; 422 "The given data was invalid." with `errors`, or an eligibility
                refusal (`NUMBER_ON_DNC`, `OUTSIDE_CALLING_WINDOW`, …); 429 `RATE_LIMITED` with `Retry-After`, sharing the native
                per-key budget.
                """)
            .WithSecurity(ApiSecurity.Bearer)
            .Accepts<TalkoverCallRequest>("application/json")
            .Produces<TalkoverCreated>(StatusCodes.Status201Created)
            .WithRequestExample("TalkoverCallRequest")
            .WithResponseExample(StatusCodes.Status201Created, "TalkoverCreated")
            .ProducesErrors<TalkoverError>(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
                StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests);

    /// <summary>
    /// 201 <c>{campaign_call, campaign}</c>; 401 <c>UNAUTHENTICATED</c>; 403 <c>FORBIDDEN</c> (account's API access switched
    /// off); 404 <c>CAMPAIGN_NOT_FOUND</c> (unknown or another account's); 409 with <c>existing_call</c>; 422 "The given data
    /// was invalid." with <c>errors</c>, or an eligibility refusal (<c>NUMBER_ON_DNC</c>, <c>OUTSIDE_CALLING_WINDOW</c>, …);
    /// 429 <c>RATE_LIMITED</c> with <c>Retry-After</c> (seconds), sharing the native per-key budget.
    /// </summary>
    public static async Task<IResult> CreateCallAsync(
        [FromRoute(Name = "campaign_id")] string campaignId,
        HttpContext http,
        ICampaignStore campaigns,
        CallIntake intake,
        CancellationToken ct)
    {
        var account = DialectCaller.Of(http).Account;
        var campaign = await campaigns.GetCampaignAsync(account.Id, campaignId, ct);
        if (campaign is null)
        {
            return NotFound();
        }
        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
        {
            return TalkoverRender.Invalid(new Dictionary<string, string[]> { ["body"] = ["The request body must be a JSON object."] });
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var cmd = TalkoverRequest.ToCommand(account.Id, campaign.Id, body, errors) with { Account = account };
        if (errors.Count > 0)
        {
            return TalkoverRender.Invalid(errors);
        }
        switch (await intake.TriggerAsync(cmd, ct))
        {
            case IntakeResult.Accepted accepted:
                http.Response.Headers.Location = $"/v1/calls/{accepted.Call.Id}";
                return Results.Json(TalkoverRender.Created(accepted.Call, campaign), TalkoverRender.Json, statusCode: StatusCodes.Status201Created);
            case IntakeResult.Duplicate duplicate:
                return TalkoverRender.Error(StatusCodes.Status409Conflict,
                    new TalkoverError("A call to this number already exists in this campaign", ExistingCall: TalkoverRender.Existing(duplicate.Existing)));
            case IntakeResult.Refused { Code: "campaign_not_found" }:
                return NotFound();
            case IntakeResult.Refused { Code: "validation_failed" } invalid:
                return TalkoverRender.Invalid(TalkoverRequest.TranslateErrors(invalid.Errors, cmd.To));
            case IntakeResult.Refused refused:
                return TalkoverRender.Error(StatusCodes.Status422UnprocessableEntity, new TalkoverError(refused.Message,
                    refused.Code.ToUpperInvariant(), TalkoverRequest.TranslateErrors(refused.Errors, cmd.To)));
            case IntakeResult.Replayed or IntakeResult.InFlight:
                // This dialect sends no Idempotency-Key, so intake never answers these.
                throw new InvalidOperationException("idempotency result without an Idempotency-Key");
            default:
                throw new InvalidOperationException("unknown intake result");
        }
    }

    private static IResult NotFound() =>
        TalkoverRender.Error(StatusCodes.Status404NotFound, new TalkoverError("Campaign not found", "CAMPAIGN_NOT_FOUND"));

    /// <summary>The body as a JSON object; an empty body is an empty object; null when it is not a JSON object.</summary>
    private static async Task<JsonObject?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
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
}
