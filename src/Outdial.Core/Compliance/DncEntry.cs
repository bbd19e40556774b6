namespace Outdial.Core.Compliance;

/// <summary>
/// A number the account must never call (ARCHITECTURE §2). Entries are account-wide. <see cref="OptOut"/> marks the
/// callee's own request (through the API, or heard in a call): an opt-out is sticky — no later outcome, import or
/// plain add overwrites it, and it blocks even campaigns whose DNC check is switched off. Times are UTC.
/// </summary>
/// <param name="Number">E.164.</param>
/// <param name="Reason">Free text, e.g. <c>customer asked</c>, <c>outcome:rejected</c>.</param>
/// <param name="Source">Where the entry came from: <c>api</c>, <c>import</c>, <c>campaign:{id}</c>, <c>call:{id}</c>.</param>
public sealed record DncEntry(string AccountId, string Number, string? Reason, string Source, bool OptOut, DateTimeOffset CreatedAt);

/// <summary>What <c>AddDncAsync</c> did with each entry.</summary>
public enum DncAddOutcome
{
    /// <summary>New entry.</summary>
    Added,
    /// <summary>An opt-out replaced a plain entry.</summary>
    Upgraded,
    /// <summary>An entry existed and was kept as it was (an opt-out is never overwritten; a plain entry is not replaced by another plain one).</summary>
    Kept,
}

/// <summary>What <c>RemoveDncAsync</c> did.</summary>
public enum DncRemoveOutcome
{
    Removed,
    NotFound,
    /// <summary>The entry is an opt-out and the caller did not confirm removing one; nothing changed.</summary>
    OptOutProtected,
}
