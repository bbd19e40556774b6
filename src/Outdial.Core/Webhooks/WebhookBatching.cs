namespace Outdial.Core.Webhooks;

/// <summary>
/// When a batched per-call webhook delivery (<see cref="Calls.CallWebhook.BatchIntervalSec"/> &gt; 0) is due: on a fixed
/// UTC grid counted from the Unix epoch, so every node and every call of a destination agree on the same ticks and the
/// deliveries that fall due together can go out in one POST.
/// </summary>
public static class WebhookBatching
{
    /// <summary>
    /// The first multiple of <paramref name="intervalSec"/> seconds since the Unix epoch strictly after
    /// <paramref name="at"/> (UTC; the offset of <paramref name="at"/> does not move the grid). An interval below 1 counts as 1.
    /// </summary>
    public static DateTimeOffset NextBatchAt(DateTimeOffset at, int intervalSec)
    {
        var step = TimeSpan.FromSeconds(Math.Max(1, intervalSec)).Ticks;
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return DateTimeOffset.UnixEpoch.AddTicks((ticks / step + 1) * step);
    }
}
