namespace Outdial.Core.Webhooks;

/// <summary>
/// Webhook endpoints, the account signing secret, and the outbox of deliveries with their attempt log. Deliveries
/// are created by the call store in the same transaction as the events they carry (see <see cref="WebhookOutbox"/>).
/// </summary>
public interface IWebhookStore
{
    Task CreateEndpointAsync(WebhookEndpoint endpoint, CancellationToken ct);

    Task<WebhookEndpoint?> GetEndpointAsync(string accountId, string endpointId, CancellationToken ct);

    /// <summary>The delivery backlog: pending deliveries due at <paramref name="now"/> (UTC), leased or not (the <c>outdial.webhooks.due</c> gauge). Reads only.</summary>
    Task<long> CountDueDeliveriesAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>The account's endpoints, oldest first.</summary>
    Task<IReadOnlyList<WebhookEndpoint>> ListEndpointsAsync(string accountId, CancellationToken ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the stored endpoint atomically; returns the result, or null when the endpoint
    /// does not exist in the account. When the change disables the endpoint, its pending deliveries become
    /// <c>failed</c> (error <c>endpoint_disabled</c>) in the same transaction.
    /// </summary>
    Task<WebhookEndpoint?> UpdateEndpointAsync(string accountId, string endpointId, Func<WebhookEndpoint, WebhookEndpoint> change, CancellationToken ct);

    /// <summary>Deletes the endpoint; its pending deliveries become <c>failed</c> (<c>endpoint_deleted</c>); the log is kept. False when not found.</summary>
    Task<bool> DeleteEndpointAsync(string accountId, string endpointId, DateTimeOffset now, CancellationToken ct);

    /// <summary>The account's default signing secrets (current first), creating one with <paramref name="generate"/> on first use.</summary>
    Task<IReadOnlyList<WebhookSecret>> GetSigningSecretsAsync(string accountId, DateTimeOffset now, Func<string> generate, CancellationToken ct);

    /// <summary>Replaces the account's default signing secrets atomically with <paramref name="change"/>'s result.</summary>
    Task<IReadOnlyList<WebhookSecret>> UpdateSigningSecretsAsync(string accountId, Func<IReadOnlyList<WebhookSecret>, IReadOnlyList<WebhookSecret>> change, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="limit"/> pending deliveries due at <paramref name="now"/> (UTC) whose lease is free,
    /// skipping any delivery that has an earlier pending event of the same call to the same destination (per-call order
    /// without blocking other calls). Each carries <paramref name="leaseToken"/> until <paramref name="now"/> + <paramref name="leaseFor"/>.
    /// </summary>
    Task<IReadOnlyList<WebhookDelivery>> ClaimDueDeliveriesAsync(DateTimeOffset now, int limit, TimeSpan leaseFor, string leaseToken, CancellationToken ct);

    /// <summary>
    /// Appends the attempt to the log and, while the delivery still holds the lease, sets its next state; updates the
    /// endpoint's failure tracking and disables it (<c>gone</c> or <c>failing</c>) as <paramref name="outcome"/> says, in one transaction.
    /// </summary>
    Task RecordAttemptAsync(WebhookAttemptOutcome outcome, CancellationToken ct);

    /// <summary>Newest first, with their attempts.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(WebhookDeliveryQuery q, CancellationToken ct);

    Task<WebhookDelivery?> GetDeliveryAsync(string accountId, string deliveryId, CancellationToken ct);

    /// <summary>Makes the delivery pending again, due at <paramref name="now"/>, with a fresh retry schedule; null when not found.</summary>
    Task<WebhookDelivery?> RedeliverAsync(string accountId, string deliveryId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Makes the endpoint's failed deliveries created in [<paramref name="from"/>, <paramref name="to"/>) pending again, due now; returns how many.</summary>
    Task<int> ReplayAsync(string accountId, string endpointId, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, CancellationToken ct);
}
