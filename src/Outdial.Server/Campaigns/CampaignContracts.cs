using System.Text.Json.Serialization;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;
using Outdial.Server.Agents;

namespace Outdial.Server.Campaigns;

/// <summary>Campaign retry policy: total attempts per contact (1–10), cooldown seconds per outcome, outcomes that end the contact.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CampaignRetryRequest(int? MaxAttempts, Dictionary<string, int>? CooldownSec, List<string>? EndOn);

/// <summary>Campaign pacing: calls dialing/ringing/in progress at once (1–1000) and new dials per second (0.01–100).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CampaignPacingRequest(int? MaxConcurrentCalls, double? CallsPerSecond);

/// <summary>Body of <c>POST /v1/campaigns</c> and the shape a <c>PATCH</c> is merged into. Times are ISO-8601 UTC.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CampaignRequest
{
    /// <summary>Unique per account, 1–200 characters.</summary>
    public string? Name { get; init; }
    /// <summary>Agent id or key; default the account's default agent.</summary>
    public string? AgentId { get; init; }
    /// <summary>Caller-ID pool: phone number ids or E.164 numbers of the account; default the agent's number.</summary>
    public List<string>? CallerIds { get; init; }
    /// <summary><c>fixed</c> (default), <c>round_robin</c> or <c>local_presence</c>.</summary>
    public string? CallerIdStrategy { get; init; }
    /// <summary>Calling window; <c>timeZone</c> an IANA id or <c>callee</c>. Null = the agent's window.</summary>
    public CallingWindowRequest? CallingWindow { get; init; }
    public string? StartAt { get; init; }
    public string? EndAt { get; init; }
    /// <summary>Seconds between a contact joining and its first dial (0–2592000).</summary>
    public int? InitialDelaySec { get; init; }
    public CampaignRetryRequest? Retry { get; init; }
    public CampaignPacingRequest? Pacing { get; init; }
    /// <summary>Check the account's DNC list (default true); opt-outs are always honoured.</summary>
    public bool? DncEnabled { get; init; }
    /// <summary>Outcomes that add the number to the DNC list, e.g. <c>["rejected"]</c>.</summary>
    public List<string>? AutoDncOutcomes { get; init; }
    /// <summary>Complete the campaign once every contact is done (default true).</summary>
    public bool? CompleteWhenDone { get; init; }
}

/// <summary>A campaign as the API shows it. Times are UTC.</summary>
public sealed record CampaignResource(
    string Id,
    string Name,
    string Status,
    string AgentId,
    IReadOnlyList<string> CallerIds,
    string CallerIdStrategy,
    CallingWindowRequest? CallingWindow,
    DateTime? StartAt,
    DateTime? EndAt,
    int InitialDelaySec,
    CampaignRetryRequest Retry,
    CampaignPacingRequest Pacing,
    bool DncEnabled,
    IReadOnlyList<string> AutoDncOutcomes,
    bool CompleteWhenDone,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? ActivatedAt,
    DateTime? EndedAt)
{
    public static CampaignResource Of(Campaign c) => new(
        c.Id, c.Name, WireNames.Of(c.Status), c.AgentId, c.CallerIds, WireNames.Of(c.CallerIdStrategy),
        c.Window is { } w ? AgentMapping.WindowToRequest(w) : null,
        c.StartAt?.UtcDateTime, c.EndAt?.UtcDateTime, c.InitialDelaySec,
        new CampaignRetryRequest(c.Retry.MaxAttempts,
            c.Retry.CooldownSec.ToDictionary(kv => WireNames.Of(kv.Key), kv => kv.Value, StringComparer.Ordinal),
            [.. (c.Retry.EndOn ?? []).Select(o => WireNames.Of(o))]),
        new CampaignPacingRequest(c.Pacing.MaxConcurrentCalls, c.Pacing.CallsPerSecond),
        c.DncEnabled, [.. c.AutoDncOutcomes.Select(o => WireNames.Of(o))], c.CompleteWhenDone,
        c.CreatedAt.UtcDateTime, c.UpdatedAt.UtcDateTime, c.ActivatedAt?.UtcDateTime, c.EndedAt?.UtcDateTime);
}

/// <summary>An import as the API shows it: counts so far, progress 0–1, the first 1,000 row errors.</summary>
public sealed record ImportResource(
    string Id, string CampaignId, string Status, string Format, double Progress, long RowsRead, long Accepted, long Duplicate,
    long Invalid, long DncSuppressed, IReadOnlyList<ImportRowError> Errors, string? FailureReason, DateTime CreatedAt, DateTime UpdatedAt,
    DateTime? FinishedAt)
{
    public static ImportResource Of(ContactImport i) => new(
        i.Id, i.CampaignId, WireNames.Of(i.Status), i.Format,
        i.Status == ImportStatus.Completed ? 1 : i.TotalBytes == 0 ? 0 : Math.Round((double)i.BytesRead / i.TotalBytes, 4),
        i.RowsRead, i.Accepted, i.Duplicate, i.Invalid, i.DncSuppressed, i.Errors, i.FailureReason,
        i.CreatedAt.UtcDateTime, i.UpdatedAt.UtcDateTime, i.FinishedAt?.UtcDateTime);
}

/// <summary>
/// <c>GET /v1/campaigns/{id}/stats</c>. Contacts: pending (not yet called), scheduled (call waiting for its time),
/// inProgress (queued, dialing, ringing, in progress), done per outcome, skipped per reason. Pickup rate = attempts
/// answered (human or machine) / attempts made. Test calls are left out.
/// </summary>
public sealed record CampaignStatsResource(
    string CampaignId,
    string Status,
    long Contacts,
    long Pending,
    long Scheduled,
    long InProgress,
    IReadOnlyDictionary<string, long> DoneByOutcome,
    IReadOnlyDictionary<string, long> SkippedByReason,
    long Attempts,
    long AttemptsAnswered,
    long AttemptsAnsweredByHuman,
    double PickupRate,
    DateTime? NextScheduledDial);

/// <summary>One page of campaigns, newest first; pass <c>nextCursor</c> as <c>cursor</c> for the next (absent on the last page).</summary>
public sealed record CampaignPage(IReadOnlyList<CampaignResource> Data, string? NextCursor);

/// <summary>Every contact import of a campaign (<c>GET /v1/campaigns/{id}/imports</c>).</summary>
public sealed record ImportList(IReadOnlyList<ImportResource> Data);
