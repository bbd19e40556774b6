namespace Outdial.Core.Calls;

/// <summary>
/// How many dials a call may take and how long to wait after each unsuccessful outcome.
/// Single calls default to one attempt (no retry); an agent or the request may raise it.
/// </summary>
/// <param name="MaxAttempts">1–10 dials in total.</param>
/// <param name="CooldownSec">Seconds to wait after an outcome before the next attempt; outcomes not listed use <see cref="DefaultCooldowns"/>.</param>
/// <param name="EndOn">Retryable outcomes that nevertheless end the contact (a campaign's "stop on voicemail"); null = none.</param>
public sealed record RetryPolicy(int MaxAttempts, IReadOnlyDictionary<CallOutcome, int> CooldownSec, IReadOnlyList<CallOutcome>? EndOn = null)
{
    /// <summary>Upper bound on <see cref="MaxAttempts"/>.</summary>
    public const int MaxAllowedAttempts = 10;

    /// <summary>One attempt, default cooldowns.</summary>
    public static readonly RetryPolicy Single = new(1, new Dictionary<CallOutcome, int>());

    /// <summary>
    /// Cooldowns used when a policy names none for an outcome, in seconds: busy 5 min, no answer 30 min,
    /// voicemail 1 h, unreachable 15 min, provider error 5 min.
    /// </summary>
    public static readonly IReadOnlyDictionary<CallOutcome, int> DefaultCooldowns = new Dictionary<CallOutcome, int>
    {
        [CallOutcome.Busy] = 300,
        [CallOutcome.NoAnswer] = 1800,
        [CallOutcome.Voicemail] = 3600,
        [CallOutcome.Unreachable] = 900,
        [CallOutcome.Error] = 300,
    };

    /// <summary>The wait before the next attempt after <paramref name="outcome"/>.</summary>
    public TimeSpan CooldownAfter(CallOutcome outcome) =>
        TimeSpan.FromSeconds(CooldownSec.TryGetValue(outcome, out var s) ? s
            : DefaultCooldowns.TryGetValue(outcome, out var d) ? d : 300);

    /// <summary>
    /// True when an attempt that ended with <paramref name="outcome"/> should be followed by another:
    /// fewer than <see cref="MaxAttempts"/> were made and the outcome does not end the contact. Without
    /// <see cref="EndOn"/> the retryable outcomes are <see cref="CallOutcomes.IsRetryable"/>'s; with it (a campaign's
    /// policy) every outcome but <c>answered</c>, <c>invalid_number</c> and those listed is retried — so a campaign may
    /// retry <c>rejected</c>.
    /// </summary>
    public bool ShouldRetry(CallOutcome outcome, int attemptsMade) =>
        attemptsMade < MaxAttempts && (EndOn is null
            ? outcome.IsRetryable()
            : outcome is not (CallOutcome.Answered or CallOutcome.InvalidNumber) && !EndOn.Contains(outcome));
}
