namespace Outdial.Core.Dispatch;

/// <summary>Dispatcher settings (configuration section <c>Outdial:Dispatcher</c>).</summary>
public sealed class DispatcherOptions
{
    /// <summary>Wait between claims when nothing was due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most calls claimed per round.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long a claim holds a call; a crashed node's claims return to the pool after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for one dial request before its outcome counts as unknown (left to the reconciler).</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On shutdown, how long in-flight dial requests may take to finish.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>When an account is at its concurrency limit, how long before its waiting calls are looked at again.</summary>
    public TimeSpan CapacityRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Reconciler settings (configuration section <c>Outdial:Reconciler</c>).</summary>
public sealed class ReconcilerOptions
{
    /// <summary>How often stale attempts are looked up with their provider.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>An open attempt with no provider report for this long is looked up.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A dial that never reached the provider (its lookup finds nothing) is dialed again this many extra
    /// times at most, on top of the call's own attempt limit.
    /// </summary>
    public int MaxUnplacedRedials { get; set; } = 3;

    /// <summary>
    /// How long after an attempt ended the reconciler still asks its provider for a recording that was never reported
    /// (asked once the attempt has been quiet for <see cref="StaleAfter"/>).
    /// </summary>
    public TimeSpan RecordingLookback { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>Defaults for new calls (configuration section <c>Outdial:Calls</c>). Seconds.</summary>
public sealed class CallDefaultsOptions
{
    /// <summary>Ring time before an attempt counts as <c>no_answer</c> when the request gives none (5–600).</summary>
    public int RingTimeoutSec { get; set; } = 30;

    /// <summary>Longest connected time when the request gives none (10–14400).</summary>
    public int MaxDurationSec { get; set; } = 600;
}
