using System.Collections.Concurrent;
using Outdial.Core.Storage;

namespace Outdial.Core.Dispatch;

/// <summary>
/// Calls-per-second pacing (a generic cell-rate algorithm without burst): dials through one key (a caller ID, a campaign,
/// a provider account) are spaced at least <c>1 / cps</c> seconds apart.
/// </summary>
public interface IPacingLimiter
{
    /// <summary>
    /// Takes a dial slot for <paramref name="key"/> at <paramref name="now"/> (UTC). Returns null when taken, else the earliest
    /// time (UTC) a slot is free. A rate of 0 or less means unpaced (always null).
    /// </summary>
    ValueTask<DateTimeOffset?> TryAcquireAsync(string key, double callsPerSecond, DateTimeOffset now, CancellationToken ct);
}

/// <summary>Pacing in this process's memory: right for one node (SQLite), where every dial goes through this dispatcher.</summary>
public sealed class PacingLimiter : IPacingLimiter
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _next = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<DateTimeOffset?> TryAcquireAsync(string key, double callsPerSecond, DateTimeOffset now, CancellationToken ct) =>
        ValueTask.FromResult(TryAcquire(key, callsPerSecond, now));

    /// <summary>The synchronous form of <see cref="TryAcquireAsync"/>.</summary>
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

/// <summary>
/// Pacing shared by every node on one database (PostgreSQL): each slot is taken by one conditional write
/// (<see cref="IPacingStore.TryTakeSlotAsync"/>), so a caller ID's CPS holds however many dispatchers dial through it.
/// </summary>
public sealed class SharedPacingLimiter(IPacingStore store) : IPacingLimiter
{
    /// <inheritdoc />
    public async ValueTask<DateTimeOffset?> TryAcquireAsync(string key, double callsPerSecond, DateTimeOffset now, CancellationToken ct) =>
        callsPerSecond <= 0 ? null : await store.TryTakeSlotAsync(key, TimeSpan.FromSeconds(1 / callsPerSecond), now, ct);
}
