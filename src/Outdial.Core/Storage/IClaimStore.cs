namespace Outdial.Core.Storage;

/// <summary>
/// Named claims with an expiry, shared by every node on one database: which node is doing a piece of work that must not be
/// done twice at once. Used for an Idempotency-Key whose first request is in flight (scope <c>idempotency:{accountId}</c>:
/// a duplicate sent to any node gets 409 <c>idempotency_in_flight</c>) and for feeding a campaign's contacts (scope
/// <c>campaign-feed</c>: one node at a time). A claim expires on its own, so work held by a node that died is taken over.
/// </summary>
public interface IClaimStore
{
    /// <summary>
    /// Claims <paramref name="key"/> in <paramref name="scope"/> for <paramref name="holder"/> until <paramref name="until"/>
    /// (UTC) when, at <paramref name="now"/>, no claim holds it, the claim holding it has expired, or
    /// <paramref name="holder"/> holds it already (which renews it); one conditional write. False when another holder's
    /// claim holds it. Two nodes asking at once: one gets it.
    /// </summary>
    Task<bool> TryClaimAsync(string scope, string key, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken ct);

    /// <summary>Drops <paramref name="holder"/>'s claim (nothing when another holder has taken it over).</summary>
    Task ReleaseClaimAsync(string scope, string key, string holder, CancellationToken ct);
}
