namespace Outdial.Core.Compliance;

/// <summary>
/// Evidence that a person agreed to be called (ARCHITECTURE §2): who (<see cref="Number"/>, E.164), when
/// (<see cref="ObtainedAt"/>), how (<see cref="Source"/>, evidence URL or text), for what (<see cref="Purpose"/>).
/// Valid at an instant when obtained at or before it, not expired and not revoked. Times are UTC.
/// </summary>
public sealed record ConsentRecord
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Number { get; init; }
    /// <summary>e.g. <c>web_form</c>, <c>ivr</c>, <c>paper</c>, <c>crm</c>.</summary>
    public required string Source { get; init; }
    public required DateTimeOffset ObtainedAt { get; init; }
    /// <summary>What the consent covers, e.g. <c>appointment_reminders</c>; null = any purpose.</summary>
    public string? Purpose { get; init; }
    public string? EvidenceUrl { get; init; }
    public string? EvidenceText { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>True when the record may justify a dial at <paramref name="at"/> (UTC) for <paramref name="purpose"/> (null = any).</summary>
    public bool IsValidAt(DateTimeOffset at, string? purpose = null) =>
        ObtainedAt <= at && (ExpiresAt is null || ExpiresAt > at) && (RevokedAt is null || RevokedAt > at)
        && (purpose is null || Purpose is null || string.Equals(Purpose, purpose, StringComparison.Ordinal));
}
