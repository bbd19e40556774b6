using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;

namespace Outdial.Server.Dialects.Talkover;

// The seed writes snake_case (TalkoverRender.Json); the names are spelled out too so that the OpenAPI document, generated with
// the native API's camelCase options, shows them as sent.

/// <summary>
/// Body of <c>POST /api/v1/campaigns/{campaign_id}/call</c>, as the document describes it (the handler reads the JSON itself,
/// leniently like Laravel: unknown fields are ignored; the booleans also take 1/0, "1"/"0", "true"/"false").
/// </summary>
/// <param name="To">The callee, E.164 (required).</param>
/// <param name="Payload">Prompt variables: strings, numbers or booleans.</param>
/// <param name="Context">Kept on the call as its <c>metadata</c>.</param>
/// <param name="IsTesting">A test call, left out of campaign statistics.</param>
/// <param name="AllowDuplicates">Skip the duplicate guard.</param>
public sealed record TalkoverCallRequest(
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("payload")] Dictionary<string, object>? Payload = null,
    [property: JsonPropertyName("context")] Dictionary<string, object>? Context = null,
    [property: JsonPropertyName("is_testing")] bool? IsTesting = null,
    [property: JsonPropertyName("allow_duplicates")] bool? AllowDuplicates = null);

/// <summary>Seed 001's <c>campaign_call</c> object (201 response). <c>status</c>: scheduled, queued, in_progress, completed, canceled, failed; times UTC with <c>Z</c>.</summary>
public sealed record TalkoverCampaignCall(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("campaign_id")] string CampaignId,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("scheduled_at")] string ScheduledAt,
    [property: JsonPropertyName("created_at")] string CreatedAt);

/// <summary>Seed 001's <c>campaign</c> object (201 response).</summary>
public sealed record TalkoverCampaign(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status);

/// <summary>201 body: <c>{campaign_call, campaign}</c>.</summary>
public sealed record TalkoverCreated(
    [property: JsonPropertyName("campaign_call")] TalkoverCampaignCall CampaignCall,
    [property: JsonPropertyName("campaign")] TalkoverCampaign Campaign);

/// <summary>Seed 001's <c>existing_call</c> object (409 response).</summary>
public sealed record TalkoverExistingCall(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("campaign_id")] string CampaignId,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("created_at")] string CreatedAt);

/// <summary>
/// Seed 001's error envelope: <c>{success: false, message, code?, errors?, existing_call?}</c>. <c>errors</c> maps request
/// fields to Laravel-style messages (422); <c>existing_call</c> comes with 409.
/// </summary>
public sealed record TalkoverError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("code")] string? Code = null,
    [property: JsonPropertyName("errors")] IReadOnlyDictionary<string, string[]>? Errors = null,
    [property: JsonPropertyName("existing_call")] TalkoverExistingCall? ExistingCall = null)
{
    /// <summary>Always false (the seed's envelope).</summary>
    [JsonPropertyName("success")]
    public bool Success => false;
}

/// <summary>Rendering native calls and campaigns in seed 001's shapes (snake_case, UTC ISO-8601 with <c>Z</c>, whole seconds).</summary>
public static class TalkoverRender
{
    /// <summary>snake_case names, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Native call status → Talkover status: scheduled → scheduled; queued → queued; dialing, ringing, in_progress →
    /// in_progress; ended → completed; canceled → canceled; expired, blocked → failed.
    /// </summary>
    public static string Status(CallStatus status) => status switch
    {
        CallStatus.Scheduled => "scheduled",
        CallStatus.Queued => "queued",
        CallStatus.Dialing or CallStatus.Ringing or CallStatus.InProgress => "in_progress",
        CallStatus.Ended => "completed",
        CallStatus.Canceled => "canceled",
        CallStatus.Expired or CallStatus.Blocked => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary><c>2024-01-15T09:50:00Z</c>.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static TalkoverCreated Created(Call call, Campaign campaign) => new(
        new TalkoverCampaignCall(call.Id, campaign.Id, call.To, Status(call.Status), Time(call.DueAt), Time(call.CreatedAt)),
        new TalkoverCampaign(campaign.Id, campaign.Name, WireNames.Of(campaign.Status)));

    public static TalkoverExistingCall Existing(Call call) =>
        new(call.Id, call.CampaignId ?? "", call.To, Status(call.Status), Time(call.CreatedAt));

    /// <summary>An envelope response with <paramref name="status"/>.</summary>
    public static IResult Error(int status, TalkoverError error) => Results.Json(error, Json, statusCode: status);

    /// <summary>422 "The given data was invalid." with Laravel-style field messages.</summary>
    public static IResult Invalid(IReadOnlyDictionary<string, string[]> errors, string? code = null) =>
        Error(StatusCodes.Status422UnprocessableEntity, new TalkoverError("The given data was invalid.", code, errors));
}
