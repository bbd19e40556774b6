using System.Collections.Concurrent;

namespace Outdial.Core.Intake;

/// <summary>
/// Tracks Idempotency-Keys whose first request is still being processed on this node, so a concurrent
/// duplicate gets 409 instead of waiting. Uniqueness itself is enforced by the database (the key's primary
/// key); across nodes a concurrent duplicate waits for the first commit and then receives its replay.
/// </summary>
public sealed class IdempotencyGate
{
    private readonly ConcurrentDictionary<(string Account, string Key), byte> _inFlight = new();

    /// <summary>False when the key is already in flight. Pair every true with <see cref="Exit"/>.</summary>
    public bool TryEnter(string accountId, string key) => _inFlight.TryAdd((accountId, key), 0);

    public void Exit(string accountId, string key) => _inFlight.TryRemove((accountId, key), out _);
}
