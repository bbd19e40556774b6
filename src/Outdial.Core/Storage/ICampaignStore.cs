using Outdial.Core.Calls;
using Outdial.Core.Campaigns;

namespace Outdial.Core.Storage;

/// <summary>A batch of contact rows from one import (or one API call), written in one transaction with the import's progress.</summary>
/// <param name="Contacts">Rows to insert; a row whose phone the campaign already has is a duplicate and is not written.</param>
/// <param name="Progress">
/// The import after this batch (counts already include this batch's invalid rows and DNC-suppressed rows; the store adds
/// <c>Accepted</c> and <c>Duplicate</c> from what it inserted). Null outside imports.
/// </param>
public sealed record ContactBatch(string AccountId, string CampaignId, IReadOnlyList<CampaignContact> Contacts, ContactImport? Progress);

/// <summary>Result of <see cref="ICampaignStore.AddContactsAsync"/>: which rows were new (same order as the batch) and the import as stored.</summary>
public sealed record ContactBatchResult(IReadOnlyList<bool> Inserted, ContactImport? Import);

/// <summary>Raw counts behind <c>GET /v1/campaigns/{id}/stats</c>. Test calls (<c>IsTest</c>) are left out.</summary>
/// <param name="ContactsByStatus">Contacts per <see cref="ContactStatus"/> wire name.</param>
/// <param name="SkippedByReason">Skipped contacts per skip reason, plus calls that ended <c>blocked</c> or <c>expired</c> per status reason.</param>
/// <param name="CallsByStatus">Calls of the campaign per <see cref="CallStatus"/> wire name.</param>
/// <param name="EndedByOutcome">Ended calls per <see cref="CallOutcome"/> wire name.</param>
/// <param name="Attempts">Attempts made (dials).</param>
/// <param name="AttemptsAnswered">Attempts a human or machine answered.</param>
/// <param name="AttemptsAnsweredByHuman">Attempts whose outcome was <c>answered</c>.</param>
/// <param name="NextDueAt">Earliest due time (UTC) of the campaign's scheduled or queued calls.</param>
public sealed record CampaignCounts(
    IReadOnlyDictionary<string, long> ContactsByStatus,
    IReadOnlyDictionary<string, long> SkippedByReason,
    IReadOnlyDictionary<string, long> CallsByStatus,
    IReadOnlyDictionary<string, long> EndedByOutcome,
    long Attempts,
    long AttemptsAnswered,
    long AttemptsAnsweredByHuman,
    DateTimeOffset? NextDueAt);

/// <summary>Campaigns, their contacts and contact imports.</summary>
public interface ICampaignStore
{
    /// <summary>Inserts a campaign; <see cref="UpsertResult.Conflict"/> when the account has a campaign (not deleted) of that name.</summary>
    Task<UpsertResult> CreateCampaignAsync(Campaign campaign, CancellationToken ct);

    /// <summary>
    /// Replaces a campaign whose stored <see cref="Campaign.Version"/> is <c>campaign.Version - 1</c>.
    /// NotFound when it does not exist (or the version moved on: re-read and retry), Conflict on a duplicate name.
    /// </summary>
    Task<UpsertResult> UpdateCampaignAsync(Campaign campaign, CancellationToken ct);

    Task<Campaign?> GetCampaignAsync(string accountId, string campaignId, CancellationToken ct);

    /// <summary>Reads a campaign without an account scope (dispatcher, retry policy, runner).</summary>
    Task<Campaign?> GetCampaignByIdAsync(string campaignId, CancellationToken ct);

    /// <summary>The account's campaign (not deleted) with exactly this name, or null.</summary>
    Task<Campaign?> FindCampaignByNameAsync(string accountId, string name, CancellationToken ct);

    /// <summary>Newest first; <paramref name="cursor"/> is the last id of the previous page.</summary>
    Task<IReadOnlyList<Campaign>> ListCampaignsAsync(string accountId, int limit, string? cursor, CampaignStatus? status, CancellationToken ct);

    /// <summary>Every active campaign of every account (the campaign runner's work list).</summary>
    Task<IReadOnlyList<Campaign>> ListActiveCampaignsAsync(CancellationToken ct);

    /// <summary>Soft-deletes a campaign (its calls keep their campaign id; its name becomes free); false when not found.</summary>
    Task<bool> DeleteCampaignAsync(string accountId, string campaignId, DateTimeOffset at, CancellationToken ct);

    /// <summary>Inserts contacts (ignoring phones the campaign already has) and stores the import's progress, in one transaction.</summary>
    Task<ContactBatchResult> AddContactsAsync(ContactBatch batch, CancellationToken ct);

    /// <summary>Up to <paramref name="limit"/> pending contacts of the campaign, oldest first.</summary>
    Task<IReadOnlyList<CampaignContact>> ListPendingContactsAsync(string campaignId, int limit, CancellationToken ct);

    /// <summary>Marks a pending contact <c>called</c> (with <paramref name="callId"/>) or <c>skipped</c> (with <paramref name="skipReason"/>).</summary>
    Task MarkContactAsync(string contactId, ContactStatus status, string? callId, string? skipReason, CancellationToken ct);

    /// <summary>Marks every pending contact of the campaign skipped with <paramref name="reason"/>; returns how many.</summary>
    Task<long> SkipPendingContactsAsync(string campaignId, string reason, CancellationToken ct);

    /// <summary>
    /// Calls of the campaign that are dialing, ringing or in progress, or queued/scheduled and due before
    /// <paramref name="dueBefore"/> (UTC) — the feeder's measure of work already in hand.
    /// </summary>
    Task<int> CountOpenCallsAsync(string campaignId, DateTimeOffset dueBefore, CancellationToken ct);

    /// <summary>True when the campaign has a pending contact or a call not in a terminal state.</summary>
    Task<bool> HasUnfinishedWorkAsync(string campaignId, CancellationToken ct);

    /// <summary>True when the campaign has at least one contact or call.</summary>
    Task<bool> HasAnyWorkAsync(string campaignId, CancellationToken ct);

    /// <summary>Number of calls per campaign currently dialing, ringing or in progress.</summary>
    Task<IReadOnlyDictionary<string, int>> CountActiveCallsByCampaignAsync(CancellationToken ct);

    Task<CampaignCounts> GetCampaignCountsAsync(string campaignId, CancellationToken ct);

    Task CreateImportAsync(ContactImport import, CancellationToken ct);

    /// <summary>Replaces an import's state (final status, failure reason).</summary>
    Task UpdateImportAsync(ContactImport import, CancellationToken ct);

    Task<ContactImport?> GetImportAsync(string accountId, string importId, CancellationToken ct);

    /// <summary>Imports of a campaign, newest first.</summary>
    Task<IReadOnlyList<ContactImport>> ListImportsAsync(string accountId, string campaignId, CancellationToken ct);

    /// <summary>Imports still <c>running</c> (resumed at start).</summary>
    Task<IReadOnlyList<ContactImport>> ListRunningImportsAsync(CancellationToken ct);
}
