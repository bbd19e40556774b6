namespace Outdial.Core.PhoneNumbers;

/// <summary>
/// A caller ID the account owns (ARCHITECTURE §2): an E.164 number with its telephony provider
/// (<c>sandbox</c>, <c>twilio</c>, <c>telnyx</c>, <c>plivo</c>), the agent it calls for by default, and its pacing
/// limit in calls per second (CPS).
/// </summary>
public sealed record PhoneNumber
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Number { get; init; }
    public string? Label { get; init; }
    public required string Provider { get; init; }
    public string? AgentId { get; init; }
    /// <summary>Dials per second through this number; fractions allowed (0.5 = one dial every 2 s).</summary>
    public double CallsPerSecond { get; init; } = 1;
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Provider names this build knows.</summary>
    public static readonly IReadOnlySet<string> KnownProviders = new HashSet<string>(StringComparer.Ordinal) { "sandbox", "twilio", "telnyx", "plivo" };
}
