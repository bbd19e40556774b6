namespace Outdial.Core.Webhooks;

/// <summary>Webhook delivery settings (configuration section <c>Outdial:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>
    /// The retry schedule after the first (immediate) attempt, in seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight
    /// attempts over about 28 h, after which the delivery is <c>failed</c>. Each delay gets ±<see cref="JitterFraction"/>
    /// jitter. Null means this default; set <c>Outdial:Webhooks:RetryDelaysSec:0</c>, <c>…:1</c>, … to replace it.
    /// </summary>
    public int[]? RetryDelaysSec { get; set; }

    /// <summary>The default schedule (seconds after each failed attempt).</summary>
    public static readonly IReadOnlyList<int> DefaultRetryDelaysSec = [5, 300, 1800, 7200, 18000, 36000, 36000];

    /// <summary>The schedule in effect.</summary>
    public IReadOnlyList<TimeSpan> RetryDelays =>
        [.. (RetryDelaysSec is { Length: > 0 } custom ? custom : DefaultRetryDelaysSec).Select(s => TimeSpan.FromSeconds(s))];

    /// <summary>Fraction of each retry delay added or removed at random (0.1 = ±10 %), so many failed deliveries do not retry in lock-step.</summary>
    public double JitterFraction { get; set; } = 0.1;

    /// <summary>Longest wait for one attempt: connection, request and the answer's headers (15 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>An endpoint whose attempts have all failed for this long is disabled (reason <c>failing</c>). Default 5 days.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>After a secret rotation the old secret stays valid, and is signed with too, for this long (24 h).</summary>
    public TimeSpan SecretRotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// CIDR ranges that outbound requests may reach although they are loopback, private, link-local, CGNAT, multicast or
    /// otherwise non-public, e.g. <c>Outdial__Webhooks__AllowedNetworks__0=127.0.0.0/8</c> for local development and tests.
    /// Empty by default: only public addresses are reached.
    /// </summary>
    public string[] AllowedNetworks { get; set; } = [];

    /// <summary>How long a claimed delivery is held by one node; a crashed node's deliveries are retried after it. Must exceed <see cref="AttemptTimeout"/>.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Wait between outbox polls when nothing was due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Most deliveries claimed per poll.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Most HTTP attempts in flight at once per node.</summary>
    public int MaxConcurrency { get; set; } = 32;

    /// <summary>How many bytes of each answer's body the delivery log keeps.</summary>
    public int ResponseExcerptBytes { get; set; } = 1024;

    /// <summary>Most per-call webhooks one call may carry.</summary>
    public int MaxPerCallWebhooks { get; set; } = 5;
}
