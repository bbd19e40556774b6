using System.Collections.Concurrent;
using Outdial.Core.Storage;

namespace Outdial.Core.Intake;

/// <summary>
/// Keeps a second request with an Idempotency-Key out while the key's first request is still being processed: the
/// duplicate gets 409 <c>idempotency_in_flight</c> instead of waiting. Uniqueness itself is enforced by the database (the
/// key's primary key); this only decides the answer to a concurrent duplicate.
/// </summary>
public interface IIdempotencyGate
{
    /// <summary>False when the key is already in flight. Pair every true with <see cref="ExitAsync"/>.</summary>
    ValueTask<bool> TryEnterAsync(string accountId, string key, CancellationToken ct);

    /// <summary>Lets the key go (the request answered, or failed).</summary>
    ValueTask ExitAsync(string accountId, string key);
}

/// <summary>
/// The gate of one process (SQLite: one node): keys in flight in memory. A duplicate sent to another node, were there one,
/// would wait for the first commit and then receive its replay.
/// </summary>
public sealed class IdempotencyGate : IIdempotencyGate
{
    private readonly ConcurrentDictionary<(string Account, string Key), byte> _inFlight = new();

    /// <summary>False when the key is already in flight here. Pair every true with <see cref="Exit"/>.</summary>
    public bool TryEnter(string accountId, string key) => _inFlight.TryAdd((accountId, key), 0);

    /// <summary>Lets the key go.</summary>
    public void Exit(string accountId, string key) => _inFlight.TryRemove((accountId, key), out _);

    /// <inheritdoc />
    public ValueTask<bool> TryEnterAsync(string accountId, string key, CancellationToken ct) => ValueTask.FromResult(TryEnter(accountId, key));

    /// <inheritdoc />
    public ValueTask ExitAsync(string accountId, string key)
    {
        Exit(accountId, key);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The gate of several nodes over one database: a key is in flight when a claim in the database holds it
/// (<see cref="IClaimStore"/>, scope <c>idempotency:{accountId}</c>), whichever node took it, so the 409 holds across nodes. This process's own keys
/// are checked in memory first (no write for a duplicate sent to the same node). A claim lasts <see cref="ClaimFor"/>:
/// longer than any intake request takes, short enough that a client retrying after a node died mid-request is let in
/// within seconds.
/// </summary>
public sealed class SharedIdempotencyGate(IClaimStore store, Nodes.NodeIdentity node, TimeProvider clock) : IIdempotencyGate
{
    /// <summary>How long a claim holds a key when its node neither releases it nor answers (10 s).</summary>
    public static readonly TimeSpan ClaimFor = TimeSpan.FromSeconds(10);

    private readonly IdempotencyGate _local = new();

    private static string Scope(string accountId) => "idempotency:" + accountId;

    /// <inheritdoc />
    public async ValueTask<bool> TryEnterAsync(string accountId, string key, CancellationToken ct)
    {
        if (!_local.TryEnter(accountId, key))
        {
            return false;
        }
        var claimed = false;
        try
        {
            var now = clock.GetUtcNow();
            claimed = await store.TryClaimAsync(Scope(accountId), key, node.Id, now, now + ClaimFor, ct);
            return claimed;
        }
        finally
        {
            if (!claimed)
            {
                _local.Exit(accountId, key); // another node holds it, or the claim failed: this request does not enter
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask ExitAsync(string accountId, string key)
    {
        try
        {
            await store.ReleaseClaimAsync(Scope(accountId), key, node.Id, CancellationToken.None);
        }
        finally
        {
            _local.Exit(accountId, key);
        }
    }
}
