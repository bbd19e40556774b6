using Outdial.Core.Compliance;

namespace Outdial.Core.Storage;

/// <summary>Do-not-call entries, consent records and the dial log behind frequency caps.</summary>
public interface IComplianceStore
{
    /// <summary>
    /// Adds entries in one transaction, one outcome per entry (same order). An existing opt-out is never overwritten;
    /// an opt-out replaces a plain entry; a plain entry does not replace another.
    /// </summary>
    Task<IReadOnlyList<DncAddOutcome>> AddDncAsync(IReadOnlyList<DncEntry> entries, CancellationToken ct);

    Task<DncEntry?> GetDncAsync(string accountId, string number, CancellationToken ct);

    /// <summary>The entries among <paramref name="numbers"/> (import suppression, bulk check).</summary>
    Task<IReadOnlyList<DncEntry>> GetDncManyAsync(string accountId, IReadOnlyCollection<string> numbers, CancellationToken ct);

    /// <summary>Removes an entry; an opt-out only when <paramref name="removeOptOut"/>.</summary>
    Task<DncRemoveOutcome> RemoveDncAsync(string accountId, string number, bool removeOptOut, CancellationToken ct);

    /// <summary>Entries ordered by number; <paramref name="cursor"/> is the last number of the previous page.</summary>
    Task<IReadOnlyList<DncEntry>> ListDncAsync(string accountId, int limit, string? cursor, CancellationToken ct);

    Task CreateConsentAsync(ConsentRecord record, CancellationToken ct);

    Task<ConsentRecord?> GetConsentAsync(string accountId, string consentId, CancellationToken ct);

    /// <summary>Newest first, optionally only for one number; <paramref name="cursor"/> is the last id of the previous page.</summary>
    Task<IReadOnlyList<ConsentRecord>> ListConsentsAsync(string accountId, string? number, int limit, string? cursor, CancellationToken ct);

    /// <summary>Sets <see cref="ConsentRecord.RevokedAt"/> once (a second revoke keeps the first time); null when not found.</summary>
    Task<ConsentRecord?> RevokeConsentAsync(string accountId, string consentId, DateTimeOffset at, CancellationToken ct);

    /// <summary>The newest record for the number valid at <paramref name="at"/> for <paramref name="purpose"/> (see <see cref="ConsentRecord.IsValidAt"/>), or null.</summary>
    Task<ConsentRecord?> FindValidConsentAsync(string accountId, string number, DateTimeOffset at, string? purpose, CancellationToken ct);

    /// <summary>
    /// Start times (UTC, ascending) of the account's attempts to <paramref name="number"/> at or after <paramref name="since"/>,
    /// across all campaigns and single calls. Every attempt the dispatcher writes is logged in the same transaction.
    /// </summary>
    Task<IReadOnlyList<DateTimeOffset>> ListDialTimesAsync(string accountId, string number, DateTimeOffset since, CancellationToken ct);
}
