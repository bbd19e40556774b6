using System.Globalization;
using System.Text.Json;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;

namespace Outdial.Server.Dialects.Talkover;

/// <summary>Seed 001's <c>campaign_call</c> object (201 response).</summary>
public sealed record TalkoverCampaignCall(string Id, string CampaignId, string To, string Status, string ScheduledAt, string CreatedAt);

/// <summary>Seed 001's <c>campaign</c> object (201 response).</summary>
public sealed record TalkoverCampaign(string Id, string Name, string Status);

/// <summary>201 body: <c>{campaign_call, campaign}</c>.</summary>
public sealed record TalkoverCreated(TalkoverCampaignCall CampaignCall, TalkoverCampaign Campaign);

/// <summary>Seed 001's <c>existing_call</c> object (409 response).</summary>
public sealed record TalkoverExistingCall(string Id, string CampaignId, string To, string Status, string CreatedAt);

/// <summary>
/// Seed 001's error envelope: <c>{success: false, message, code?, errors?, existing_call?}</c>. <c>errors</c> maps request
/// fields to Laravel-style messages (422); <c>existing_call</c> comes with 409.
/// </summary>
public sealed record TalkoverError(string Message, string? Code = null, IReadOnlyDictionary<string, string[]>? Errors = null,
    TalkoverExistingCall? ExistingCall = null)
{
    /// <summary>Always false (the seed's envelope).</summary>
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
