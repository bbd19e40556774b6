namespace Outdial.Server.Dialects.BuildVoice;

/// <summary>
/// Seed 003's limit: at most <see cref="PermitsPerMinute"/> requests per API key in a fixed one-minute window (the window
/// starts at a key's first request), timed by the injected <see cref="TimeProvider"/>. The dialect's endpoint opts out
/// of the server's global limiter so that a refusal is answered in the seed's envelope, not as problem details.
/// Per node: with several nodes each enforces its own count.
/// </summary>
public sealed class BuildVoiceRateLimiter(TimeProvider clock)
{
    /// <summary>"More than 100 requests per minute" → 429 (seed 003's error table).</summary>
    public const int PermitsPerMinute = 100;

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);

    /// <summary>Counts one request of <paramref name="keyId"/>; false (with the seconds until the window resets) once the limit is spent.</summary>
    public bool TryAcquire(string keyId, out int retryAfterSec)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_windows.Count > 100_000)
            {
                foreach (var stale in _windows.Where(w => now - w.Value.Start >= Window).Select(w => w.Key).ToList())
                {
                    _windows.Remove(stale);
                }
            }
            if (!_windows.TryGetValue(keyId, out var w) || now - w.Start >= Window)
            {
                w = (now, 0);
            }
            retryAfterSec = Math.Max(1, (int)Math.Ceiling((w.Start + Window - now).TotalSeconds));
            if (w.Count >= PermitsPerMinute)
            {
                _windows[keyId] = w;
                return false;
            }
            _windows[keyId] = (w.Start, w.Count + 1);
            return true;
        }
    }
}
