using Outdial.Core.Calls;
using Outdial.Core.Compliance;

namespace Outdial.Core.Storage;

/// <summary>An Idempotency-Key claim carried with a new call (per account; how long it holds is intake's rule, <see cref="NewCall.IdempotencyValidAfter"/>).</summary>
/// <param name="Key">The header value.</param>
/// <param name="RequestHash">SHA-256 of the request (method, path, body); a reuse with another hash is refused.</param>
/// <param name="ResponseStatus">HTTP status to replay.</param>
/// <param name="ResponseBody">Exact response body to replay.</param>
public sealed record IdempotencyRecord(string Key, string RequestHash, int ResponseStatus, string ResponseBody);

/// <summary>
/// A new call with its first events (numbered from 1) and their webhook deliveries, written in one transaction; build it
/// with <see cref="Plan"/>.
/// </summary>
public sealed record NewCall(Call Call, IReadOnlyList<CallEvent> Events, IReadOnlyList<Webhooks.WebhookDelivery> Deliveries, IdempotencyRecord? Idempotency)
{
    /// <summary>
    /// The new call <paramref name="call"/> with <paramref name="events"/> numbered and their deliveries planned to
    /// <paramref name="endpoints"/> (the account's webhook endpoints) and the call's own webhooks (<see cref="CallTransition.Create"/>).
    /// </summary>
    public static NewCall Plan(Call call, IReadOnlyList<NewCallEvent> events, IReadOnlyList<Webhooks.WebhookEndpoint> endpoints, IdempotencyRecord? idempotency)
    {
        var created = call with { EventSequence = events.Count };
        var (stored, deliveries) = CallTransition.Create(created, events, endpoints);
        return new NewCall(created, stored, deliveries, idempotency);
    }

    /// <summary>
    /// A stored claim of the same key holds (replay or <c>KeyReused</c>) only when it was made after this instant (UTC); an
    /// older one is replaced. Intake sets it from its one window (<see cref="Intake.CallIntake.IdempotencyWindow"/>, 24 h); the
    /// store applies it inside the write, so two racing requests cannot both claim a key. Default: every stored claim holds.
    /// </summary>
    public DateTimeOffset IdempotencyValidAfter { get; init; } = DateTimeOffset.MinValue;
}

/// <summary>Outcome of <see cref="ICallStore.CreateCallAsync"/>.</summary>
public abstract record CreateCallResult
{
    private CreateCallResult() { }

    public sealed record Created(Call Call) : CreateCallResult;

    /// <summary>The account already has a pending or active call to this number (same campaign); nothing was written.</summary>
    public sealed record Duplicate(Call Existing) : CreateCallResult;

    /// <summary>The Idempotency-Key was used within 24 h with the same request: replay its response.</summary>
    public sealed record Replay(int Status, string Body) : CreateCallResult;

    /// <summary>The Idempotency-Key was used within 24 h with a different request.</summary>
    public sealed record KeyReused : CreateCallResult;
}

/// <summary>
/// A requested change of one call, applied by <see cref="CallChanges.TryApplyAsync"/>: only while the call's status is one of
/// <see cref="Expected"/> (and, when <see cref="LeaseToken"/> is set, while the call holds that lease).
/// Events are appended with the next sequence numbers, in the same transaction. A change into a terminal status sets the
/// call's <c>endedAt</c> only when it has none (a terminal call keeps its end time).
/// </summary>
public sealed record CallChange
{
    public required string CallId { get; init; }
    public required IReadOnlyCollection<CallStatus> Expected { get; init; }
    public required CallStatus Next { get; init; }
    /// <summary>
    /// A status the call passes through on the way to <see cref="Next"/> in this one write (e.g. <c>scheduled → queued →
    /// dialing</c>); both steps must be legal transitions.
    /// </summary>
    public CallStatus? Via { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary>Fence: the change applies only while the call holds this lease; the lease is then released.</summary>
    public string? LeaseToken { get; init; }
    public DateTimeOffset? DueAt { get; init; }
    public CallOutcome? Outcome { get; init; }
    public OutcomeDetail? OutcomeDetail { get; init; }
    public string? StatusReason { get; init; }
    /// <summary>A new attempt to insert (the dispatcher's "dialing" write); increments the call's attempt count.</summary>
    public Attempt? NewAttempt { get; init; }
    /// <summary>An attempt to update in the same transaction, only while its version is <c>Version - 1</c>.</summary>
    public Attempt? AttemptUpdate { get; init; }
    public IReadOnlyList<NewCallEvent> Events { get; init; } = [];
    /// <summary>An audit entry appended to <see cref="Call.Decisions"/> (oldest dropped past <see cref="CallDecision.MaxKept"/>).</summary>
    public CallDecision? Decision { get; init; }
    /// <summary>A DNC entry added in the same transaction (a campaign's auto-DNC outcome); an existing entry is kept.</summary>
    public DncEntry? AddDnc { get; init; }
    /// <summary>An insight analysis to create in the same transaction (the call's end), so no ended call is left unanalysed.</summary>
    public Insights.InsightAnalysis? NewAnalysis { get; init; }
    /// <summary>
    /// Fence for a change that makes the call active (the dispatcher's "dialing" write): it is written only while the account,
    /// and the campaign if named, have fewer active calls than their limits, counted in the write's own transaction, so the
    /// limits hold across every node sharing the database.
    /// </summary>
    public ActiveCallLimit? Capacity { get; init; }
}

/// <summary>
/// The concurrent-call limits a dial must fit under: at most <paramref name="AccountMax"/> active calls (dialing, ringing,
/// in progress) for <paramref name="AccountId"/> and, when <paramref name="CampaignId"/> is set, at most
/// <paramref name="CampaignMax"/> for that campaign (the account's <c>maxConcurrentCalls</c>, the campaign's pacing).
/// </summary>
public sealed record ActiveCallLimit(string AccountId, int AccountMax, string? CampaignId = null, int? CampaignMax = null);

/// <summary>Filters for <see cref="ICallStore.ListCallsAsync"/>; times are UTC; <see cref="Cursor"/> is the last id of the previous page.</summary>
public sealed record CallQuery(
    string AccountId,
    int Limit,
    string? Cursor = null,
    CallStatus? Status = null,
    CallOutcome? Outcome = null,
    string? AgentId = null,
    string? CampaignId = null,
    string? To = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null);

/// <summary>Calls, attempts and events: intake writes, dispatcher claims, provider progress.</summary>
public interface ICallStore
{
    /// <summary>
    /// Writes a call, its events and its Idempotency-Key in one transaction (group-committed with other
    /// writes), enforcing in the database: the Idempotency-Key per account (24 h), and the duplicate guard
    /// (one pending or active call per account, number and campaign unless the call allows duplicates).
    /// The task completes only after the commit is durable.
    /// </summary>
    Task<CreateCallResult> CreateCallAsync(NewCall newCall, CancellationToken ct);

    /// <summary>The Idempotency-Key record of the account created after <paramref name="createdAfter"/> (UTC), or null.</summary>
    Task<IdempotencyRecord?> FindIdempotencyRecordAsync(string accountId, string key, DateTimeOffset createdAfter, CancellationToken ct);

    Task<Call?> GetCallAsync(string accountId, string callId, CancellationToken ct);

    /// <summary>Reads a call without an account scope (dispatcher and provider callbacks only).</summary>
    Task<Call?> GetCallByIdAsync(string callId, CancellationToken ct);

    /// <summary>Newest first, at most <see cref="CallQuery.Limit"/> calls.</summary>
    Task<IReadOnlyList<Call>> ListCallsAsync(CallQuery q, CancellationToken ct);

    Task<IReadOnlyList<CallEvent>> ListEventsAsync(string callId, CancellationToken ct);

    Task<IReadOnlyList<Attempt>> ListAttemptsAsync(string callId, CancellationToken ct);

    /// <summary>
    /// The account's call events with an id above <paramref name="afterId"/> (all when null), in id order (ids grow with
    /// time), at most <paramref name="limit"/>: the account's live event stream.
    /// </summary>
    Task<IReadOnlyList<CallEvent>> ListAccountEventsAsync(string accountId, string? afterId, int limit, CancellationToken ct);

    /// <summary>
    /// The dispatch backlog: how many calls are scheduled or queued and due at <paramref name="now"/> (UTC), leased or not
    /// (the <c>outdial.calls.due</c> gauge). Reads only.
    /// </summary>
    Task<long> CountDueCallsAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="limit"/> calls that are scheduled or queued and due (or past their expiry)
    /// at <paramref name="now"/>, and whose lease is free or expired. Each claimed call carries
    /// <paramref name="leaseToken"/> until <paramref name="now"/> + <paramref name="leaseFor"/>.
    /// </summary>
    Task<IReadOnlyList<Call>> ClaimDueCallsAsync(DateTimeOffset now, int limit, TimeSpan leaseFor, string leaseToken, CancellationToken ct);

    /// <summary>
    /// The earliest due time (UTC) later than <paramref name="after"/> of a call that is scheduled or queued, or null when
    /// there is none: when the dispatcher has work next. A read of one index entry (<c>ix_calls_due</c>); calls of inactive
    /// campaigns count too (a dispatcher woken for one claims nothing and waits again).
    /// </summary>
    Task<DateTimeOffset?> NextDueAtAsync(DateTimeOffset after, CancellationToken ct);

    /// <summary>The call with its version and lease token (for a fenced <see cref="TryWriteAsync"/>), or null.</summary>
    Task<StoredCall?> GetStoredCallAsync(string callId, CancellationToken ct);

    /// <summary>
    /// Persists <paramref name="write"/> (decided by <see cref="CallTransition"/>) in one transaction, fenced on the call's
    /// version, its lease when the write names one, and the updated attempt's version: the call row and document, the
    /// version incremented, the lease cleared when asked, the new or updated attempt (a new one with its dial in the
    /// frequency cap's log), the events, their deliveries, the DNC entry, the analysis, and the duplicate-call guard freed
    /// when asked. Nothing is written unless it returns <see cref="CallWriteResult.Written"/>.
    /// </summary>
    Task<CallWriteResult> TryWriteAsync(CallWrite write, CancellationToken ct);

    /// <summary>Writes an attempt whose stored version is <c>attempt.Version - 1</c>; false when another write won.</summary>
    Task<bool> TryUpdateAttemptAsync(Attempt attempt, CancellationToken ct);

    Task<Attempt?> GetAttemptAsync(string attemptId, CancellationToken ct);

    Task<Attempt?> FindAttemptByProviderCallIdAsync(string provider, string providerCallId, CancellationToken ct);

    /// <summary>Attempts not yet completed whose last write is older than <paramref name="updatedBefore"/> (the reconciler's work list).</summary>
    Task<IReadOnlyList<Attempt>> ListStaleAttemptsAsync(DateTimeOffset updatedBefore, int limit, CancellationToken ct);

    /// <summary>
    /// Attempts for which <see cref="Attempt.AwaitsRecording"/> holds, last written in [<paramref name="updatedAfter"/>,
    /// <paramref name="updatedBefore"/>) (UTC), oldest first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<Attempt>> ListAttemptsAwaitingRecordingAsync(DateTimeOffset updatedAfter, DateTimeOffset updatedBefore, int limit, CancellationToken ct);

    /// <summary>Number of calls per account currently dialing, ringing or in progress.</summary>
    Task<IReadOnlyDictionary<string, int>> CountActiveCallsAsync(CancellationToken ct);

    /// <summary>True when <paramref name="e164"/> is on the account's do-not-call list.</summary>
    Task<bool> IsOnDncAsync(string accountId, string e164, CancellationToken ct);

    /// <summary>Deletes Idempotency-Key records created before <paramref name="before"/>; returns how many.</summary>
    Task<int> PurgeIdempotencyKeysAsync(DateTimeOffset before, CancellationToken ct);
}
