using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Xunit;
using static Outdial.Storage.Tests.TestData;

namespace Outdial.Storage.Tests;

/// <summary>
/// The webhook outbox every storage engine must provide: deliveries written in the event's transaction, claimed in order
/// per call and destination (never across calls), leased, logged, and replayable.
/// </summary>
public abstract class WebhookStoreContract<TEngine> : IAsyncLifetime where TEngine : IStoreEngine, new()
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    protected TEngine Engine { get; } = new();

    public Task InitializeAsync() => Engine.InitializeAsync();

    public async Task DisposeAsync() => await Engine.DisposeAsync();

    private async Task<Tenant> TenantAsync()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, Ct);
        return t;
    }

    private async Task<WebhookEndpoint> EndpointAsync(Tenant t, string id, bool enabled = true, IReadOnlyList<string>? events = null)
    {
        var e = new WebhookEndpoint
        {
            Id = id,
            AccountId = t.Account.Id,
            Url = $"https://hooks.example.com/{id}",
            Events = events,
            Enabled = enabled,
            Secrets = [new WebhookSecret(WebhookSecrets.Generate(), T0, null)],
            CreatedAt = T0,
            UpdatedAt = T0,
        };
        await Engine.Webhooks.CreateEndpointAsync(e, Ct);
        return e;
    }

    /// <summary>Moves a queued call through <c>dialing → ringing</c>, adding two events (sequences 2 and 3).</summary>
    private async Task AdvanceAsync(Call call)
    {
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id,
            Expected = [CallStatus.Queued],
            Next = CallStatus.Dialing,
            At = T0.AddSeconds(1),
            NewAttempt = NewAttempt(call, at: T0.AddSeconds(1)),
            Events = [new NewCallEvent(CallEventTypes.Dialing, new JsonObject())],
        }, Ct));
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id,
            Expected = [CallStatus.Dialing],
            Next = CallStatus.Ringing,
            At = T0.AddSeconds(2),
            Events = [new NewCallEvent(CallEventTypes.Ringing, new JsonObject())],
        }, Ct));
    }

    private static WebhookAttemptOutcome Outcome(WebhookDelivery d, string lease, WebhookDeliveryStatus next, DateTimeOffset at,
        DateTimeOffset? nextAt = null, int? code = 200, string? disable = null, TimeSpan? disableAfter = null) =>
        new(d.Id, lease, new WebhookAttempt(0, at, code, 12, "ok", null), next, nextAt, disable,
            disableAfter ?? TimeSpan.FromDays(5));

    [Fact]
    public async Task Event_FansOutToMatchingEndpointsAndCallWebhooks_InItsTransaction()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        await EndpointAsync(t, "whe_all");
        await EndpointAsync(t, "whe_ended_only", events: [CallEventTypes.Ended]);
        await EndpointAsync(t, "whe_off", enabled: false);
        await EndpointAsync(other, "whe_other");
        var call = NewCall(t) with { Webhooks = [new CallWebhook("https://crm.example.com/hook", null, "raw-secret")] };
        await Engine.CreateCallAsync(Write(call), Ct);

        var deliveries = await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50), Ct);
        Assert.Equal(["call:0", "whe_all"], deliveries.Select(d => d.Destination).Order());
        Assert.All(deliveries, d => Assert.Equal(CallEventTypes.Queued, d.EventType));
        var events = await Engine.Calls.ListEventsAsync(call.Id, Ct);
        var payload = JsonNode.Parse(deliveries[0].Body)!;
        Assert.Equal(events[0].Id, (string?)payload["id"]);
        Assert.Equal(events[0].Id, deliveries[0].EventId);
        Assert.Equal("call.queued", (string?)payload["type"]);
        Assert.Equal(1, (long?)payload["data"]!["sequence"]);
        Assert.Equal(call.To, (string?)payload["data"]!["to"]);
        Assert.Equal("raw-secret", deliveries.Single(d => d.Destination == "call:0").Secret);
        Assert.Empty(await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(other.Account.Id, 50), Ct));

        // A refused write (duplicate call) writes no event and no delivery.
        Assert.IsType<CreateCallResult.Duplicate>(await Engine.CreateCallAsync(Write(NewCall(t) with { Webhooks = call.Webhooks }), Ct));
        Assert.Equal(2, (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50), Ct)).Count);
    }

    [Fact]
    public async Task FormattedCallWebhook_StoresTheStandardPayloadWithFormatAndBatched_DueAtTheBatchTick()
    {
        var t = await TenantAsync();
        var call = NewCall(t) with
        {
            Webhooks =
            [
                new CallWebhook("https://results.example.com/batched", [CallEventTypes.Queued], null, "some_format", 60),
                new CallWebhook("https://crm.example.com/hook", [CallEventTypes.Queued], null),
            ],
        };
        await Engine.CreateCallAsync(Write(call), Ct);
        var stored = (await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, Ct))!;
        Assert.Equal(["some_format", null], stored.Webhooks.Select(w => w.Format));
        Assert.Equal([60, 0], stored.Webhooks.Select(w => w.BatchIntervalSec));

        var deliveries = await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50), Ct);
        var formatted = deliveries.Single(d => d.Destination == "call:0");
        Assert.Equal(("some_format", true, T0.AddMinutes(1)), (formatted.Format, formatted.Batched, formatted.NextAttemptAt));
        Assert.Equal(call.Id, (string?)JsonNode.Parse(formatted.Body)!["data"]!["id"]); // the standard payload, rendered when sent
        var standard = deliveries.Single(d => d.Destination == "call:1");
        Assert.Equal(((string?)null, false, T0), (standard.Format, standard.Batched, standard.NextAttemptAt));

        // Claimed only at the tick, still carrying both fields (the deliverer groups and renders by them).
        Assert.Equal(standard.Id, Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddSeconds(59), 50, Lease, "l1", Ct)).Id);
        var claimed = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddMinutes(1), 50, Lease, "l2", Ct));
        Assert.Equal((formatted.Id, "some_format", true), (claimed.Id, claimed.Format, claimed.Batched));
        await Engine.ReopenAsync();
        var reread = (await Engine.Webhooks.GetDeliveryAsync(t.Account.Id, formatted.Id, Ct))!;
        Assert.Equal(("some_format", true), (reread.Format, reread.Batched));
    }

    [Fact]
    public async Task Payload_CarriesTheAttemptAndTheStatusAtEventTime()
    {
        var t = await TenantAsync();
        await EndpointAsync(t, "whe_1");
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        await AdvanceAsync(call);
        var bodies = (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50), Ct))
            .OrderBy(d => d.Sequence).Select(d => JsonNode.Parse(d.Body)!).ToList();
        Assert.Equal(["queued", "dialing", "ringing"], bodies.Select(b => (string)b["data"]!["status"]!));
        Assert.Equal([1L, 2L, 3L], bodies.Select(b => (long)b["data"]!["sequence"]!));
        Assert.Null(bodies[0]["data"]!["attempt"]);
        Assert.Equal(1, (int?)bodies[2]["data"]!["attempt"]!["number"]);
        Assert.Contains($"\"to\":\"{call.To}\"", (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 1), Ct))[0].Body);
    }

    [Fact]
    public async Task Payload_OfEachEventInOneChange_ShowsTheCallAsOfThatEvent()
    {
        var t = await TenantAsync();
        await EndpointAsync(t, "whe_1");
        var call = NewCall(t, dueAt: T0.AddMinutes(5), status: CallStatus.Scheduled);
        await Engine.CreateCallAsync(Core.Storage.NewCall.Plan(call, [new NewCallEvent(CallEventTypes.Scheduled, new JsonObject { ["status"] = "scheduled" })], [], null), Ct);
        // The dispatcher's write for a call that comes due: scheduled → queued → dialing, two events, one new attempt.
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id,
            Expected = [CallStatus.Scheduled],
            Via = CallStatus.Queued,
            Next = CallStatus.Dialing,
            At = T0.AddMinutes(5),
            NewAttempt = NewAttempt(call, at: T0.AddMinutes(5)),
            Events =
            [
                new NewCallEvent(CallEventTypes.Queued, new JsonObject { ["status"] = "queued" }),
                new NewCallEvent(CallEventTypes.Dialing, new JsonObject { ["status"] = "dialing" }),
            ],
        }, Ct));
        var bodies = (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50), Ct))
            .OrderBy(d => d.Sequence).Select(d => JsonNode.Parse(d.Body)!["data"]!).ToList();
        Assert.Equal(["scheduled", "queued", "dialing"], bodies.Select(b => (string)b["status"]!));
        Assert.Equal([0, 0, 1], bodies.Select(b => (int)b["attemptCount"]!));
        Assert.Null(bodies[1]["attempt"]);
        Assert.Equal("dialing", (string?)bodies[2]["attempt"]!["status"]);
    }

    [Fact]
    public async Task Claim_KeepsOrderPerCallAndDestination_WithoutBlockingOtherCalls()
    {
        var t = await TenantAsync();
        await EndpointAsync(t, "whe_1");
        var a = NewCall(t, to: "+15551230001");
        var b = NewCall(t, to: "+15551230002");
        await Engine.CreateCallAsync(Write(a), Ct);
        await Engine.CreateCallAsync(Write(b), Ct);
        await AdvanceAsync(a);

        var first = await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddSeconds(5), 50, Lease, "l1", Ct);
        Assert.Equal([(a.Id, 1L), (b.Id, 1L)], first.Select(d => (d.CallId!, d.Sequence)).OrderBy(x => x.Item1 == a.Id ? 0 : 1));
        // a's head fails and is rescheduled: a's later events stay blocked behind it.
        var aHead = first.Single(d => d.CallId == a.Id);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(first.Single(d => d.CallId == b.Id), "l1", WebhookDeliveryStatus.Succeeded, T0.AddSeconds(5)), Ct);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(aHead, "l1", WebhookDeliveryStatus.Pending, T0.AddSeconds(5), T0.AddMinutes(5), code: 500), Ct);
        Assert.Empty(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddSeconds(10), 50, Lease, "l2", Ct));
        // When it comes due it is claimed alone; once it succeeds the next event of a follows.
        var retry = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddMinutes(5), 50, Lease, "l3", Ct));
        Assert.Equal(aHead.Id, retry.Id);
        Assert.Equal(1, retry.SeriesAttempts);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(retry, "l3", WebhookDeliveryStatus.Succeeded, T0.AddMinutes(5)), Ct);
        var next = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddMinutes(5), 50, Lease, "l4", Ct));
        Assert.Equal((a.Id, 2L), (next.CallId!, next.Sequence));
        // A final failure also unblocks the rest of the call.
        await Engine.Webhooks.RecordAttemptAsync(Outcome(next, "l4", WebhookDeliveryStatus.Failed, T0.AddMinutes(5), code: 500), Ct);
        var last = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddMinutes(5), 50, Lease, "l5", Ct));
        Assert.Equal(3, last.Sequence);

        var log = (await Engine.Webhooks.GetDeliveryAsync(t.Account.Id, aHead.Id, Ct))!;
        Assert.Equal(WebhookDeliveryStatus.Succeeded, log.Status);
        Assert.Equal([1, 2], log.Attempts.Select(x => x.Number));
        Assert.Equal([500, 200], log.Attempts.Select(x => x.StatusCode));
    }

    [Fact]
    public async Task Lease_HoldsUntilExpiry_AndFencesALateRecord()
    {
        var t = await TenantAsync();
        await EndpointAsync(t, "whe_1");
        await Engine.CreateCallAsync(Write(NewCall(t)), Ct);
        var claimed = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0, 50, Lease, "dead-node", Ct));
        Assert.Empty(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddSeconds(30), 50, Lease, "other", Ct));
        // The holder "died": after the lease the delivery is claimed again (at least once).
        var again = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddSeconds(61), 50, Lease, "other", Ct));
        Assert.Equal(claimed.Id, again.Id);
        // The dead node's late answer is logged but does not decide the state.
        await Engine.Webhooks.RecordAttemptAsync(Outcome(claimed, "dead-node", WebhookDeliveryStatus.Failed, T0.AddSeconds(62), code: 410, disable: "gone"), Ct);
        Assert.Equal(WebhookDeliveryStatus.Pending, (await Engine.Webhooks.GetDeliveryAsync(t.Account.Id, claimed.Id, Ct))!.Status);
        var endpoint = (await Engine.Webhooks.GetEndpointAsync(t.Account.Id, "whe_1", Ct))!;
        Assert.True(endpoint.Enabled);
        Assert.Null(endpoint.FailingSince);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(again, "other", WebhookDeliveryStatus.Succeeded, T0.AddSeconds(62)), Ct);
        var final = (await Engine.Webhooks.GetDeliveryAsync(t.Account.Id, claimed.Id, Ct))!;
        Assert.Equal(WebhookDeliveryStatus.Succeeded, final.Status);
        Assert.Equal(2, final.Attempts.Count);
    }

    [Fact]
    public async Task Endpoint_FailingLongerThanTheLimit_IsDisabled_AndItsPendingDeliveriesFail()
    {
        var t = await TenantAsync();
        var endpoint = await EndpointAsync(t, "whe_1");
        await Engine.CreateCallAsync(Write(NewCall(t, to: "+15551230001")), Ct);
        await Engine.CreateCallAsync(Write(NewCall(t, to: "+15551230002")), Ct);
        var claimed = await Engine.Webhooks.ClaimDueDeliveriesAsync(T0, 1, Lease, "l", Ct);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(claimed[0], "l", WebhookDeliveryStatus.Pending, T0, T0.AddHours(1), code: 500), Ct);
        var failing = (await Engine.Webhooks.GetEndpointAsync(t.Account.Id, endpoint.Id, Ct))!;
        Assert.True(failing.Enabled);
        Assert.Equal(T0, failing.FailingSince);

        var later = T0.AddDays(5).AddMinutes(1);
        var retry = await Engine.Webhooks.ClaimDueDeliveriesAsync(later, 1, Lease, "l2", Ct);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(retry[0], "l2", WebhookDeliveryStatus.Pending, later, later.AddHours(1), code: 500), Ct);
        var disabled = (await Engine.Webhooks.GetEndpointAsync(t.Account.Id, endpoint.Id, Ct))!;
        Assert.False(disabled.Enabled);
        Assert.Equal("failing", disabled.DisabledReason);
        var all = await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50, EndpointId: endpoint.Id), Ct);
        Assert.All(all, d => Assert.Equal(WebhookDeliveryStatus.Failed, d.Status));
        Assert.Contains(all.SelectMany(d => d.Attempts), a => a.Error == "endpoint_disabled");
        // New events are not queued for a disabled endpoint.
        await Engine.CreateCallAsync(Write(NewCall(t, to: "+15551230003")), Ct);
        Assert.Equal(2, (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50), Ct)).Count);
    }

    [Fact]
    public async Task Gone_DisablesTheEndpointAtOnce_SuccessClearsFailureTracking()
    {
        var t = await TenantAsync();
        var gone = await EndpointAsync(t, "whe_gone");
        var flaky = await EndpointAsync(t, "whe_flaky");
        await Engine.CreateCallAsync(Write(NewCall(t)), Ct);
        var claimed = await Engine.Webhooks.ClaimDueDeliveriesAsync(T0, 50, Lease, "l", Ct);
        var toGone = claimed.Single(d => d.EndpointId == gone.Id);
        var toFlaky = claimed.Single(d => d.EndpointId == flaky.Id);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(toGone, "l", WebhookDeliveryStatus.Failed, T0, code: 410, disable: "gone"), Ct);
        await Engine.Webhooks.RecordAttemptAsync(Outcome(toFlaky, "l", WebhookDeliveryStatus.Pending, T0, T0.AddSeconds(5), code: 503), Ct);
        Assert.Equal("gone", (await Engine.Webhooks.GetEndpointAsync(t.Account.Id, gone.Id, Ct))!.DisabledReason);
        Assert.NotNull((await Engine.Webhooks.GetEndpointAsync(t.Account.Id, flaky.Id, Ct))!.FailingSince);
        var retry = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(T0.AddSeconds(5), 50, Lease, "l2", Ct));
        await Engine.Webhooks.RecordAttemptAsync(Outcome(retry, "l2", WebhookDeliveryStatus.Succeeded, T0.AddSeconds(5)), Ct);
        Assert.Null((await Engine.Webhooks.GetEndpointAsync(t.Account.Id, flaky.Id, Ct))!.FailingSince);
    }

    [Fact]
    public async Task Replay_RequeuesFailedDeliveriesInTheRange_Redeliver_RequeuesOne()
    {
        var t = await TenantAsync();
        var endpoint = await EndpointAsync(t, "whe_1");
        var early = NewCall(t, to: "+15551230001", at: T0);
        var late = NewCall(t, to: "+15551230002", at: T0.AddHours(3));
        await Engine.CreateCallAsync(Write(early), Ct);
        await Engine.CreateCallAsync(Write(late), Ct);
        var now = T0.AddHours(4);
        foreach (var d in await Engine.Webhooks.ClaimDueDeliveriesAsync(now, 50, Lease, "l", Ct))
        {
            await Engine.Webhooks.RecordAttemptAsync(Outcome(d, "l", WebhookDeliveryStatus.Failed, now, code: 500), Ct);
        }
        Assert.Equal(0, await Engine.Webhooks.ReplayAsync(t.Account.Id, "whe_unknown", T0, now, now, Ct));
        Assert.Equal(1, await Engine.Webhooks.ReplayAsync(t.Account.Id, endpoint.Id, T0.AddMinutes(-1), T0.AddHours(1), now, Ct));
        var replayed = Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(now, 50, Lease, "l2", Ct));
        Assert.Equal(early.Id, replayed.CallId);
        Assert.Equal(0, replayed.SeriesAttempts);

        var lateDelivery = (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50, CallId: late.Id), Ct)).Single();
        Assert.Null(await Engine.Webhooks.RedeliverAsync("acc_other", lateDelivery.Id, now, Ct));
        var again = (await Engine.Webhooks.RedeliverAsync(t.Account.Id, lateDelivery.Id, now, Ct))!;
        Assert.Equal(WebhookDeliveryStatus.Pending, again.Status);
        Assert.Equal(late.Id, Assert.Single(await Engine.Webhooks.ClaimDueDeliveriesAsync(now, 50, Lease, "l3", Ct)).CallId);
    }

    [Fact]
    public async Task DeliveryLog_FiltersAndPages()
    {
        var t = await TenantAsync();
        var e1 = await EndpointAsync(t, "whe_1");
        await EndpointAsync(t, "whe_2");
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        await AdvanceAsync(call);
        Assert.Equal(6, (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50), Ct)).Count);
        Assert.Equal(3, (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50, EndpointId: e1.Id), Ct)).Count);
        Assert.Equal(2, (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50, EventType: CallEventTypes.Ringing), Ct)).Count);
        Assert.Empty(await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 50, Status: WebhookDeliveryStatus.Failed), Ct));
        var page1 = await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 4), Ct);
        var page2 = await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 4, Cursor: page1[^1].Id), Ct);
        Assert.Equal(4, page1.Count);
        Assert.Equal(2, page2.Count);
        Assert.Empty(page1.Select(d => d.Id).Intersect(page2.Select(d => d.Id)));
    }

    [Fact]
    public async Task SigningSecret_CreatedOnce_RotationKeepsTheOldOne()
    {
        var t = await TenantAsync();
        var first = await Engine.Webhooks.GetSigningSecretsAsync(t.Account.Id, T0, WebhookSecrets.Generate, Ct);
        Assert.Equal(first, await Engine.Webhooks.GetSigningSecretsAsync(t.Account.Id, T0, WebhookSecrets.Generate, Ct));
        var rotated = await Engine.Webhooks.UpdateSigningSecretsAsync(t.Account.Id,
            s => WebhookSecret.Rotate(s, WebhookSecrets.Generate(), T0, TimeSpan.FromHours(24)), Ct);
        Assert.Equal(2, WebhookSecret.Active(rotated, T0.AddHours(23)).Count);
        Assert.Equal(first[0].Value, WebhookSecret.Active(rotated, T0.AddHours(23))[1]);
        Assert.Single(WebhookSecret.Active(rotated, T0.AddHours(25)));
    }
}

public sealed class SqliteWebhookStoreContract : WebhookStoreContract<SqliteEngine>;

/// <summary>The contract on PostgreSQL.</summary>
public sealed class PostgresWebhookStoreContract : WebhookStoreContract<PostgresEngine>;
