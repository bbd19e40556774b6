using System.Collections.Concurrent;

namespace Outdial.Core.Dispatch;

/// <summary>
/// Calls-per-second pacing per caller ID (a generic cell-rate algorithm without burst): dials through one
/// number are spaced at least <c>1 / cps</c> seconds apart. Process-local; a multi-node deployment shares
/// pacing through the store (issue for PostgreSQL).
/// </summary>
public sealed class PacingLimiter
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _next = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes a dial slot for <paramref name="key"/> at <paramref name="now"/> (UTC). Returns null when taken,
    /// else the earliest time a slot is free.
    /// </summary>
    public DateTimeOffset? TryAcquire(string key, double callsPerSecond, DateTimeOffset now)
    {
        if (callsPerSecond <= 0)
        {
            return null;
        }
        var spacing = TimeSpan.FromSeconds(1 / callsPerSecond);
        while (true)
        {
            var next = _next.GetValueOrDefault(key, DateTimeOffset.MinValue);
            if (next > now)
            {
                return next;
            }
            var updated = now + spacing;
            if (next == DateTimeOffset.MinValue ? _next.TryAdd(key, updated) : _next.TryUpdate(key, updated, next))
            {
                return null;
            }
        }
    }
}
