using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Calls;

/// <summary>
/// A call as stored, with what a conditional write is fenced on: <paramref name="Version"/> (incremented by every write of
/// the call; a claim's lease does not change it) and the lease token the call holds, if any.
/// </summary>
public sealed record StoredCall(Call Call, long Version, string? LeaseToken);

/// <summary>
/// Everything one change of a call writes, decided by <see cref="CallTransition"/>; a store persists it in one transaction
/// or not at all (ARCHITECTURE §6: stores persist, rules live in Core).
/// </summary>
public sealed record CallWrite
{
    /// <summary>The call after the change (its document and columns).</summary>
    public required Call Next { get; init; }

    /// <summary>Fence: written only while the stored call's version is this; the write makes it <c>ExpectedVersion + 1</c>.</summary>
    public required long ExpectedVersion { get; init; }

    /// <summary>Fence: written only while the call holds this lease (null: any or none).</summary>
    public string? LeaseToken { get; init; }

    /// <summary>Clears the call's lease (token and expiry) in the same write.</summary>
    public bool ReleaseLease { get; init; }

    /// <summary>Frees the duplicate-call guard the call holds, handing it to another pending or active call to the same number.</summary>
    public bool ReleaseDuplicateGuard { get; init; }

    /// <summary>An attempt to insert (with its dial in the frequency cap's log).</summary>
    public Attempt? NewAttempt { get; init; }

    /// <summary>Fence: an attempt to update only while its stored version is <c>Version - 1</c>.</summary>
    public Attempt? AttemptUpdate { get; init; }

    /// <summary>The events to append, numbered after the call's previous last sequence.</summary>
    public IReadOnlyList<CallEvent> Events { get; init; } = [];

    /// <summary>The events' webhook deliveries (the outbox), written with them.</summary>
    public IReadOnlyList<WebhookDelivery> Deliveries { get; init; } = [];

    /// <summary>A DNC entry to add (an existing entry for the number is kept).</summary>
    public DncEntry? AddDnc { get; init; }

    /// <summary>An insight analysis to create.</summary>
    public Insights.InsightAnalysis? NewAnalysis { get; init; }

    /// <summary>Fence: written only while the active calls counted in the write's transaction are under these limits (<see cref="CallChange.Capacity"/>).</summary>
    public ActiveCallLimit? Capacity { get; init; }
}

/// <summary>What a store did with a <see cref="CallWrite"/>; nothing is written unless <see cref="Written"/>.</summary>
public enum CallWriteResult
{
    /// <summary>Persisted atomically.</summary>
    Written,

    /// <summary>The call's version or lease no longer matches: re-read and decide again.</summary>
    CallChanged,

    /// <summary>Another fence of the write failed (the attempt's version, an analysis lease): another write won; do not retry.</summary>
    Refused,

    /// <summary>The account or campaign already has its limit of active calls (<see cref="CallWrite.Capacity"/>): try the call later.</summary>
    AtCapacity,
}

/// <summary>
/// The call state machine's one write rule (ARCHITECTURE §3): from a stored call and a requested <see cref="CallChange"/>
/// it decides the next call, checks the transition is legal, numbers the events, trims the audit trail and plans the
/// webhook deliveries. Pure: it reads nothing and writes nothing; <see cref="CallChanges"/> reads what it needs and has
/// a store persist the result.
/// </summary>
public static class CallTransition
{
    /// <summary>
    /// The write for <paramref name="change"/> on <paramref name="current"/>, or null when the change's conditions do not
    /// hold (status not one of <see cref="CallChange.Expected"/>, or the lease is not <see cref="CallChange.LeaseToken"/>).
    /// </summary>
    /// <param name="endpoints">The account's webhook endpoints (disabled ones are ignored).</param>
    /// <param name="storedAttempt">The call's latest stored attempt, when a delivery's payload needs it (see <see cref="NeedsStoredAttempt"/>).</param>
    /// <exception cref="InvalidOperationException">The change asks for a transition the state machine forbids.</exception>
    public static CallWrite? Apply(StoredCall current, CallChange change, IReadOnlyList<WebhookEndpoint> endpoints, Attempt? storedAttempt)
    {
        var call = current.Call;
        if (!change.Expected.Contains(call.Status) || (change.LeaseToken is not null && current.LeaseToken != change.LeaseToken))
        {
            return null;
        }
        var legal = call.Status == change.Next || CallStateMachine.CanTransition(call.Status, change.Next)
            || (change.Via is { } via && CallStateMachine.CanTransition(call.Status, via) && CallStateMachine.CanTransition(via, change.Next));
        if (!legal)
        {
            throw new InvalidOperationException($"illegal transition {call.Status} -> {change.Next} for call {call.Id}");
        }
        var next = call with
        {
            Status = change.Next,
            UpdatedAt = change.At,
            DueAt = change.DueAt ?? call.DueAt,
            Outcome = change.Outcome ?? call.Outcome,
            OutcomeDetail = change.OutcomeDetail ?? call.OutcomeDetail,
            StatusReason = change.StatusReason ?? call.StatusReason,
            AttemptCount = call.AttemptCount + (change.NewAttempt is null ? 0 : 1),
            // A terminal call keeps its end time (a later terminal write, e.g. a late status report, does not move it).
            EndedAt = call.EndedAt ?? (change.Next.IsTerminal() ? change.At : null),
            EventSequence = call.EventSequence + change.Events.Count,
            Decisions = change.Decision is { } decision ? AppendDecision(call.Decisions, decision) : call.Decisions,
        };
        // The last event's payload carries the attempt as of this change; an earlier one (call.queued before call.dialing)
        // the attempt before it.
        var attemptAfter = change.NewAttempt ?? change.AttemptUpdate ?? storedAttempt;
        var attemptBefore = change.NewAttempt is not null ? storedAttempt : change.AttemptUpdate ?? storedAttempt;
        var (events, deliveries) = Record(call, next, change.Events, change.At, endpoints, attemptAfter, attemptBefore);
        return new CallWrite
        {
            Next = next,
            ExpectedVersion = current.Version,
            LeaseToken = change.LeaseToken,
            Capacity = change.Capacity,
            ReleaseLease = change.LeaseToken is not null || !next.Status.IsPending(),
            ReleaseDuplicateGuard = next.Status.IsTerminal(),
            NewAttempt = change.NewAttempt,
            AttemptUpdate = change.AttemptUpdate,
            Events = events,
            Deliveries = deliveries,
            AddDnc = change.AddDnc,
            NewAnalysis = change.NewAnalysis,
        };
    }

    /// <summary>
    /// True when <see cref="Apply"/> needs the call's latest stored attempt: some delivery will be planned and the change
    /// does not itself carry the attempt every event's payload shows.
    /// </summary>
    public static bool NeedsStoredAttempt(Call call, CallChange change, IReadOnlyList<WebhookEndpoint> endpoints) =>
        change.Events.Count > 0 && Subscribed(call, endpoints)
        && change.AttemptUpdate is null && (change.NewAttempt is null || change.Events.Count > 1);

    /// <summary>
    /// The write that hands a claimed call back (fenced on <paramref name="leaseToken"/>): due again at
    /// <paramref name="dueAt"/> (UTC), with <paramref name="decision"/> (a dial-time deferral) appended to its audit trail.
    /// Null when the call no longer holds that lease.
    /// </summary>
    public static CallWrite? Release(StoredCall current, string leaseToken, DateTimeOffset dueAt, CallDecision? decision)
    {
        if (current.LeaseToken != leaseToken)
        {
            return null;
        }
        var call = current.Call;
        return new CallWrite
        {
            Next = call with { DueAt = dueAt, Decisions = decision is null ? call.Decisions : AppendDecision(call.Decisions, decision) },
            ExpectedVersion = current.Version,
            LeaseToken = leaseToken,
            ReleaseLease = true,
        };
    }

    /// <summary>
    /// The write that appends one event to a call whatever its status, which stays as it is (e.g. <c>call.analyzed</c>
    /// after the call ended), with its deliveries. <paramref name="storedAttempt"/> is the call's latest attempt.
    /// </summary>
    public static CallWrite AppendEvent(StoredCall current, NewCallEvent e, DateTimeOffset at, IReadOnlyList<WebhookEndpoint> endpoints, Attempt? storedAttempt)
    {
        var call = current.Call;
        var next = call with { EventSequence = call.EventSequence + 1 };
        var (events, deliveries) = Record(call, next, [e], at, endpoints, storedAttempt, storedAttempt);
        return new CallWrite { Next = next, ExpectedVersion = current.Version, Events = events, Deliveries = deliveries };
    }

    /// <summary>
    /// The first events of a new call (numbered from 1) and their deliveries; <paramref name="call"/> is the call as
    /// created, whose <see cref="Call.EventSequence"/> must count <paramref name="events"/>.
    /// </summary>
    public static (IReadOnlyList<CallEvent> Events, IReadOnlyList<WebhookDelivery> Deliveries) Create(
        Call call, IReadOnlyList<NewCallEvent> events, IReadOnlyList<WebhookEndpoint> endpoints) =>
        Record(null, call, events, call.CreatedAt, endpoints, null, null);

    /// <summary>True when an event of the call would be delivered somewhere (an enabled endpoint or a per-call webhook).</summary>
    public static bool Subscribed(Call call, IReadOnlyList<WebhookEndpoint> endpoints) =>
        call.Webhooks.Count > 0 || endpoints.Any(e => e.Enabled);

    /// <summary>The call's audit trail with <paramref name="decision"/> appended, oldest entries dropped past <see cref="CallDecision.MaxKept"/>.</summary>
    public static IReadOnlyList<CallDecision> AppendDecision(IReadOnlyList<CallDecision> decisions, CallDecision decision)
    {
        var skip = Math.Max(0, decisions.Count + 1 - CallDecision.MaxKept);
        return [.. decisions.Skip(skip), decision];
    }

    /// <summary>
    /// Numbers <paramref name="events"/> after <paramref name="before"/>'s last sequence (from 1 for a new call) and plans
    /// each one's deliveries. Each delivery carries the call as of its event: the last event sees <paramref name="after"/>
    /// and <paramref name="attemptAfter"/>; an earlier event of the same change sees <paramref name="before"/> in the
    /// status its data names, with <paramref name="attemptBefore"/>.
    /// </summary>
    private static (IReadOnlyList<CallEvent>, IReadOnlyList<WebhookDelivery>) Record(Call? before, Call after, IReadOnlyList<NewCallEvent> events,
        DateTimeOffset at, IReadOnlyList<WebhookEndpoint> endpoints, Attempt? attemptAfter, Attempt? attemptBefore)
    {
        var stored = new List<CallEvent>(events.Count);
        var deliveries = new List<WebhookDelivery>();
        var seq = before?.EventSequence ?? 0;
        var subscribed = Subscribed(after, endpoints);
        for (var i = 0; i < events.Count; i++)
        {
            seq++;
            var e = new CallEvent(Ids.New("evt", at), after.Id, after.AccountId, seq, events[i].Type, at, events[i].Data);
            stored.Add(e);
            if (!subscribed)
            {
                continue;
            }
            var last = i == events.Count - 1;
            var snapshot = last || before is null
                ? after
                : before with
                {
                    Status = CallStateMachine.TryParse((string?)e.Data["status"], out var status) ? status : before.Status,
                    UpdatedAt = at,
                    EventSequence = seq,
                };
            deliveries.AddRange(WebhookOutbox.Plan(e, snapshot, last ? attemptAfter : attemptBefore, endpoints));
        }
        return (stored, deliveries);
    }
}
