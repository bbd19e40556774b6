using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Compliance;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Tests;

/// <summary>The one write rule of a call (<see cref="CallTransition"/>): pure, so every case is decided here without a store.</summary>
public class CallTransitionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    private static Call ACall(CallStatus status = CallStatus.Queued) => new()
    {
        Id = "call_1",
        AccountId = "acc_1",
        Status = status,
        To = "+12125550123",
        From = "+12125550100",
        Provider = "sandbox",
        AgentId = "agt_1",
        AgentSource = AgentSource.Request,
        Retry = RetryPolicy.Single,
        Decision = new IntakeDecision("queued", T0, null),
        DueAt = T0,
        CreatedAt = T0,
        UpdatedAt = T0,
        EventSequence = 1,
    };

    private static Attempt NewAttempt(int number) => new()
    {
        Id = $"att_{number}",
        CallId = "call_1",
        AccountId = "acc_1",
        Number = number,
        Provider = "sandbox",
        Status = AttemptStatus.Dialing,
        To = "+12125550123",
        From = "+12125550100",
        CreatedAt = T0,
        UpdatedAt = T0,
        Version = 1,
    };

    private static WebhookEndpoint Endpoint(string id, bool enabled = true) => new()
    {
        Id = id,
        AccountId = "acc_1",
        Url = $"https://hooks.example.com/{id}",
        Enabled = enabled,
        Secrets = [new WebhookSecret(WebhookSecrets.Generate(), T0, null)],
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static CallChange Change(CallStatus from, CallStatus to, params string[] events) => new()
    {
        CallId = "call_1",
        Expected = [from],
        Next = to,
        At = T0.AddSeconds(5),
        Events = [.. events.Select(type => new NewCallEvent(type, new JsonObject { ["status"] = to.ToWire() }))],
    };

    [Fact]
    public void Apply_DecidesTheNextCall_NumbersEvents_AndFencesOnTheVersionRead()
    {
        var write = CallTransition.Apply(new StoredCall(ACall(), 7, null), Change(CallStatus.Queued, CallStatus.Canceled, CallEventTypes.Canceled) with
        {
            StatusReason = "canceled_by_request",
        }, [], null)!;

        Assert.Equal(CallStatus.Canceled, write.Next.Status);
        Assert.Equal(T0.AddSeconds(5), write.Next.EndedAt);
        Assert.Equal("canceled_by_request", write.Next.StatusReason);
        Assert.Equal(7, write.ExpectedVersion);
        Assert.True(write.ReleaseDuplicateGuard);
        Assert.True(write.ReleaseLease);
        Assert.Equal(2, write.Next.EventSequence);
        Assert.Equal([2L], write.Events.Select(e => e.Sequence));
        Assert.Empty(write.Deliveries);
    }

    [Fact]
    public void Apply_IsNull_WhenTheStatusIsNotExpected_OrTheLeaseIsAnother()
    {
        Assert.Null(CallTransition.Apply(new StoredCall(ACall(CallStatus.Dialing), 1, null), Change(CallStatus.Queued, CallStatus.Canceled), [], null));
        var leased = new StoredCall(ACall(), 1, "lease-b");
        Assert.Null(CallTransition.Apply(leased, Change(CallStatus.Queued, CallStatus.Dialing) with { LeaseToken = "lease-a" }, [], null));
        Assert.NotNull(CallTransition.Apply(leased, Change(CallStatus.Queued, CallStatus.Dialing) with { LeaseToken = "lease-b" }, [], null));
    }

    [Fact]
    public void Apply_Throws_OnATransitionTheStateMachineForbids()
    {
        var ended = new StoredCall(ACall(CallStatus.Ended), 1, null);
        Assert.Throws<InvalidOperationException>(() => CallTransition.Apply(ended, Change(CallStatus.Ended, CallStatus.Queued), [], null));
        // Through a status both steps must be legal: scheduled → queued → dialing is; queued → ringing is not a step.
        var scheduled = new StoredCall(ACall(CallStatus.Scheduled), 1, null);
        Assert.NotNull(CallTransition.Apply(scheduled, Change(CallStatus.Scheduled, CallStatus.Dialing) with { Via = CallStatus.Queued }, [], null));
        Assert.Throws<InvalidOperationException>(() =>
            CallTransition.Apply(scheduled, Change(CallStatus.Scheduled, CallStatus.Ringing) with { Via = CallStatus.Queued }, [], null));
    }

    [Fact]
    public void Apply_AKeptTerminalCallKeepsItsEndTime()
    {
        var ended = new StoredCall(ACall(CallStatus.Ended) with { EndedAt = T0.AddSeconds(1) }, 1, null);
        var write = CallTransition.Apply(ended, Change(CallStatus.Ended, CallStatus.Ended, CallEventTypes.Ended), [], null)!;
        Assert.Equal(T0.AddSeconds(1), write.Next.EndedAt);
    }

    [Fact]
    public void Apply_PlansADeliveryPerEventAndEnabledEndpoint_EachWithTheCallAsOfItsEvent()
    {
        var scheduled = new StoredCall(ACall(CallStatus.Scheduled), 3, null);
        var change = Change(CallStatus.Scheduled, CallStatus.Dialing) with
        {
            Via = CallStatus.Queued,
            NewAttempt = NewAttempt(2),
            Events =
            [
                new NewCallEvent(CallEventTypes.Queued, new JsonObject { ["status"] = "queued" }),
                new NewCallEvent(CallEventTypes.Dialing, new JsonObject { ["status"] = "dialing" }),
            ],
        };
        var endpoints = new[] { Endpoint("whe_on"), Endpoint("whe_off", enabled: false) };
        Assert.True(CallTransition.NeedsStoredAttempt(scheduled.Call, change, endpoints));

        var write = CallTransition.Apply(scheduled, change, endpoints, NewAttempt(1))!;

        Assert.Equal([2L, 3L], write.Events.Select(e => e.Sequence));
        Assert.Equal(2, write.Deliveries.Count);
        Assert.All(write.Deliveries, d => Assert.Equal("whe_on", d.EndpointId));
        var queued = JsonNode.Parse(write.Deliveries[0].Body)!["data"]!;
        var dialing = JsonNode.Parse(write.Deliveries[1].Body)!["data"]!;
        Assert.Equal("queued", (string?)queued["status"]);
        Assert.Equal("dialing", (string?)dialing["status"]);
        Assert.Equal(1, write.Next.AttemptCount);
    }

    [Fact]
    public void NeedsStoredAttempt_OnlyWhenSomethingIsDeliveredAndTheChangeDoesNotCarryTheAttempt()
    {
        var call = ACall();
        var change = Change(CallStatus.Queued, CallStatus.Canceled, CallEventTypes.Canceled);
        Assert.False(CallTransition.NeedsStoredAttempt(call, change, []));
        Assert.False(CallTransition.NeedsStoredAttempt(call, change, [Endpoint("whe_off", enabled: false)]));
        Assert.True(CallTransition.NeedsStoredAttempt(call, change, [Endpoint("whe_on")]));
        Assert.False(CallTransition.NeedsStoredAttempt(call, change with { AttemptUpdate = NewAttempt(1) }, [Endpoint("whe_on")]));
        Assert.True(CallTransition.NeedsStoredAttempt(call with { Webhooks = [new CallWebhook("https://crm.example.com/h", null, null)] }, change, []));
    }

    [Fact]
    public void Release_HandsTheCallBackOnlyToItsLeaseHolder_AndKeepsTheAuditTrailBounded()
    {
        var decisions = Enumerable.Range(0, CallDecision.MaxKept)
            .Select(i => new CallDecision(T0.AddSeconds(i), "dispatch", "deferred", null, [])).ToList();
        var stored = new StoredCall(ACall() with { Decisions = decisions }, 4, "lease-a");

        Assert.Null(CallTransition.Release(stored, "lease-b", T0.AddMinutes(1), null));
        var newest = new CallDecision(T0.AddHours(1), "dispatch", "deferred", T0.AddHours(2), []);
        var write = CallTransition.Release(stored, "lease-a", T0.AddHours(2), newest)!;

        Assert.True(write.ReleaseLease);
        Assert.Equal("lease-a", write.LeaseToken);
        Assert.Equal(T0.AddHours(2), write.Next.DueAt);
        Assert.Equal(CallDecision.MaxKept, write.Next.Decisions.Count);
        Assert.Equal(newest, write.Next.Decisions[^1]);
        Assert.Equal(decisions[1], write.Next.Decisions[0]);
        Assert.Empty(write.Events);
    }

    [Fact]
    public void AppendEvent_LeavesTheStatusAsItIs()
    {
        var ended = new StoredCall(ACall(CallStatus.Ended) with { EndedAt = T0 }, 9, null);
        var write = CallTransition.AppendEvent(ended, new NewCallEvent(CallEventTypes.InsightsReady, []), T0.AddMinutes(1), [Endpoint("whe_on")], null);
        Assert.Equal(CallStatus.Ended, write.Next.Status);
        Assert.Equal(2, write.Next.EventSequence);
        Assert.Equal(2, write.Events.Single().Sequence);
        Assert.Single(write.Deliveries);
        Assert.False(write.ReleaseDuplicateGuard);
    }

    [Fact]
    public void NewCall_Plan_NumbersTheFirstEventsFromOne()
    {
        var planned = NewCall.Plan(ACall() with { EventSequence = 0 },
            [new NewCallEvent(CallEventTypes.Queued, new JsonObject { ["status"] = "queued" })], [Endpoint("whe_on")], null);
        Assert.Equal(1, planned.Call.EventSequence);
        Assert.Equal(1, planned.Events.Single().Sequence);
        Assert.Equal(planned.Events[0].Id, planned.Deliveries.Single().EventId);
    }
}
