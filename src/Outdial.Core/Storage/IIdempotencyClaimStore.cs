namespace Outdial.Core.Storage;

/// <summary>
/// Claims on Idempotency-Keys whose first request is being processed, shared by every node on one database, so that a
/// duplicate sent to another node while the first is in flight gets 409 <c>idempotency_in_flight</c> as it would on the
/// same node (Stripe's semantics for concurrent retries). A claim expires on its own, so a node that dies mid-request does
/// not hold the key; the stored response (<see cref="ICallStore.FindIdempotencyRecordAsync"/>) stays what replays.
/// </summary>
public interface IIdempotencyClaimStore
{
    /// <summary>
    /// Claims <paramref name="key"/> of <paramref name="accountId"/> for <paramref name="holder"/> until
    /// <paramref name="until"/> (UTC) when no claim holds it at <paramref name="now"/> (none, or an expired one), in one
    /// conditional write; false when another claim holds it. Two nodes asking at once: one gets it.
    /// </summary>
    Task<bool> TryClaimIdempotencyKeyAsync(string accountId, string key, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken ct);

    /// <summary>Drops <paramref name="holder"/>'s claim on the key (nothing when another holder has taken it over).</summary>
    Task ReleaseIdempotencyKeyAsync(string accountId, string key, string holder, CancellationToken ct);
}
