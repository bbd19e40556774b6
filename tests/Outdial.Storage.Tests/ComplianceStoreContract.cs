using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Compliance;
using Outdial.Core.Storage;
using Xunit;
using static Outdial.Storage.Tests.TestData;

namespace Outdial.Storage.Tests;

/// <summary>
/// Do-not-call entries (opt-outs are sticky), consent records, the dial log written with every attempt, the call's
/// audit trail and the account's compliance settings, as every storage engine must keep them.
/// </summary>
public abstract class ComplianceStoreContract<TEngine> : IAsyncLifetime where TEngine : IStoreEngine, new()
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    protected TEngine Engine { get; } = new();

    public Task InitializeAsync() => Engine.InitializeAsync();

    public async Task DisposeAsync() => await Engine.DisposeAsync();

    private async Task<Tenant> TenantAsync()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, Ct);
        return t;
    }

    private async Task<Call> CallAsync(Tenant t, string to = "+15551230000")
    {
        var call = NewCall(t, to: to);
        await Engine.CreateCallAsync(Write(call), Ct);
        return call;
    }

    private static CallDecision Decision(int i, string action = "deferred") =>
        new(T0.AddSeconds(i), "dispatch", action, T0.AddMinutes(i), [new EligibilityReason("outside_window", $"check {i}", "campaign.window")]);

    [Fact]
    public async Task AccountSettings_ConsentRecordAndFrequencyCap_RoundTrip()
    {
        var t = NewTenant();
        var account = t.Account with { RequireConsentRecord = true, FrequencyCapMaxAttempts = 2, FrequencyCapWindowSec = 3600 };
        Assert.True(await Engine.Accounts.TryBootstrapAsync(account, t.Agent, t.Number, t.Key, Ct));
        Assert.Equal(account, await Engine.Accounts.GetAccountAsync(account.Id, Ct));
        var cleared = account with { RequireConsentRecord = false, FrequencyCapMaxAttempts = null, FrequencyCapWindowSec = null };
        Assert.True(await Engine.Accounts.UpdateAccountAsync(cleared, Ct));
        Assert.Equal(cleared, await Engine.Accounts.GetAccountAsync(account.Id, Ct));

        var other = await TenantAsync();
        var read = (await Engine.Accounts.GetAccountAsync(other.Account.Id, Ct))!;
        Assert.Equal((false, (int?)null, (int?)null), (read.RequireConsentRecord, read.FrequencyCapMaxAttempts, read.FrequencyCapWindowSec));
    }

    [Fact]
    public async Task AddDnc_OptOutIsSticky_UpgradesPlainEntry_PlainNeverReplaces()
    {
        var t = await TenantAsync();
        var outcomes = await Engine.Compliance.AddDncAsync(
        [
            Dnc(t, "+15551230001", reason: "first"),
            Dnc(t, "+15551230001", reason: "second"),
            Dnc(t, "+15551230002", optOut: true, reason: "customer asked", at: T0),
            Dnc(t, "+15551230002", reason: "outcome:rejected", source: "campaign:cmp_1", at: T0.AddHours(1)),
            Dnc(t, "+15551230002", optOut: true, reason: "again", at: T0.AddHours(2)),
            Dnc(t, "+15551230001", optOut: true, reason: "heard in call", source: "call:call_1", at: T0.AddHours(3)),
        ], Ct);
        Assert.Equal([DncAddOutcome.Added, DncAddOutcome.Kept, DncAddOutcome.Added, DncAddOutcome.Kept, DncAddOutcome.Kept, DncAddOutcome.Upgraded], outcomes);

        Assert.Equal(Dnc(t, "+15551230002", optOut: true, reason: "customer asked", at: T0), await Engine.Compliance.GetDncAsync(t.Account.Id, "+15551230002", Ct));
        Assert.Equal(Dnc(t, "+15551230001", optOut: true, reason: "heard in call", source: "call:call_1", at: T0.AddHours(3)),
            await Engine.Compliance.GetDncAsync(t.Account.Id, "+15551230001", Ct));
        // A later import or plain add leaves the opt-out as it is.
        Assert.Equal([DncAddOutcome.Kept], await Engine.Compliance.AddDncAsync([Dnc(t, "+15551230001", source: "import")], Ct));
        Assert.True((await Engine.Compliance.GetDncAsync(t.Account.Id, "+15551230001", Ct))!.OptOut);
        Assert.True(await Engine.Calls.IsOnDncAsync(t.Account.Id, "+15551230001", Ct));
    }

    [Fact]
    public async Task Dnc_IsPerAccount_ReadOneManyAndInPages()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var numbers = Enumerable.Range(0, 1000).Select(i => $"+1555200{i:D4}").ToList();
        await Engine.Compliance.AddDncAsync([.. numbers.Where((_, i) => i % 2 == 0).Select(n => Dnc(t, n))], Ct);
        await Engine.Compliance.AddDncAsync([Dnc(other, numbers[1]), Dnc(other, "+15559999999")], Ct);

        var found = await Engine.Compliance.GetDncManyAsync(t.Account.Id, numbers, Ct);
        Assert.Equal(500, found.Count);
        Assert.All(found, e => Assert.Equal(t.Account.Id, e.AccountId));
        Assert.Equal(numbers.Where((_, i) => i % 2 == 0).Order(StringComparer.Ordinal), found.Select(e => e.Number).Order(StringComparer.Ordinal));
        Assert.Empty(await Engine.Compliance.GetDncManyAsync(t.Account.Id, [], Ct));
        Assert.Equal(numbers[1], Assert.Single(await Engine.Compliance.GetDncManyAsync(other.Account.Id, numbers, Ct)).Number);
        Assert.Null(await Engine.Compliance.GetDncAsync(other.Account.Id, numbers[0], Ct));
        Assert.False(await Engine.Calls.IsOnDncAsync(other.Account.Id, numbers[0], Ct));

        var page1 = await Engine.Compliance.ListDncAsync(other.Account.Id, 1, null, Ct);
        Assert.Equal([numbers[1]], page1.Select(e => e.Number));
        var page2 = await Engine.Compliance.ListDncAsync(other.Account.Id, 10, page1[^1].Number, Ct);
        Assert.Equal(["+15559999999"], page2.Select(e => e.Number));
        Assert.Equal(numbers.Where((_, i) => i % 2 == 0).Take(3), (await Engine.Compliance.ListDncAsync(t.Account.Id, 3, null, Ct)).Select(e => e.Number));
    }

    [Fact]
    public async Task RemoveDnc_OptOutNeedsConfirmation()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        await Engine.Compliance.AddDncAsync([Dnc(t, "+15551230001"), Dnc(t, "+15551230002", optOut: true)], Ct);
        Assert.Equal(DncRemoveOutcome.NotFound, await Engine.Compliance.RemoveDncAsync(other.Account.Id, "+15551230001", true, Ct));
        Assert.Equal(DncRemoveOutcome.Removed, await Engine.Compliance.RemoveDncAsync(t.Account.Id, "+15551230001", false, Ct));
        Assert.Equal(DncRemoveOutcome.NotFound, await Engine.Compliance.RemoveDncAsync(t.Account.Id, "+15551230001", false, Ct));
        Assert.Equal(DncRemoveOutcome.OptOutProtected, await Engine.Compliance.RemoveDncAsync(t.Account.Id, "+15551230002", false, Ct));
        Assert.NotNull(await Engine.Compliance.GetDncAsync(t.Account.Id, "+15551230002", Ct));
        Assert.Equal(DncRemoveOutcome.Removed, await Engine.Compliance.RemoveDncAsync(t.Account.Id, "+15551230002", true, Ct));
        Assert.Empty(await Engine.Compliance.ListDncAsync(t.Account.Id, 10, null, Ct));
    }

    [Fact]
    public async Task TryApply_AddDnc_WrittenWithTheChange_OnlyWhenItApplies_KeepingAnOptOut()
    {
        var t = await TenantAsync();
        var call = await CallAsync(t);
        var auto = Dnc(t, call.To, reason: "outcome:rejected", source: "campaign:cmp_1", at: T0.AddMinutes(1));
        var refused = new CallChange { CallId = call.Id, Expected = [CallStatus.Scheduled], Next = CallStatus.Canceled, At = T0, AddDnc = auto };
        Assert.False(await Engine.Changes.TryApplyAsync(refused, Ct));
        Assert.Null(await Engine.Compliance.GetDncAsync(t.Account.Id, call.To, Ct));

        Assert.True(await Engine.Changes.TryApplyAsync(refused with { Expected = [CallStatus.Queued] }, Ct));
        Assert.Equal(auto, await Engine.Compliance.GetDncAsync(t.Account.Id, call.To, Ct));

        var optedOut = await CallAsync(t, "+15551230099");
        var optOut = Dnc(t, optedOut.To, optOut: true, reason: "customer asked");
        await Engine.Compliance.AddDncAsync([optOut], Ct);
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = optedOut.Id, Expected = [CallStatus.Queued], Next = CallStatus.Canceled, At = T0, AddDnc = auto with { Number = optedOut.To },
        }, Ct));
        Assert.Equal(optOut, await Engine.Compliance.GetDncAsync(t.Account.Id, optedOut.To, Ct));
    }

    [Fact]
    public async Task TryApply_AppendsDecisions_KeepingTheLatestFifty()
    {
        var t = await TenantAsync();
        var call = await CallAsync(t);
        Assert.False(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id, Expected = [CallStatus.Scheduled], Next = CallStatus.Queued, At = T0, Decision = Decision(-1),
        }, Ct));
        Assert.Empty((await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.Decisions);

        for (var i = 0; i < CallDecision.MaxKept + 5; i++)
        {
            Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
            {
                CallId = call.Id, Expected = [CallStatus.Queued], Next = CallStatus.Queued, At = T0.AddSeconds(i), Decision = Decision(i),
            }, Ct));
            if (i == 0)
            {
                var first = Assert.Single((await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.Decisions);
                Assert.Equal("outside_window", Assert.Single(first.Reasons).Code);
                Assert.Equal(T0.AddMinutes(0), first.Until);
            }
        }
        var decisions = (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.Decisions;
        Assert.Equal(CallDecision.MaxKept, decisions.Count);
        Assert.Equal(Enumerable.Range(5, CallDecision.MaxKept).Select(i => T0.AddSeconds(i)), decisions.Select(d => d.At));
        // A change without a decision keeps the trail.
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id, Expected = [CallStatus.Queued], Next = CallStatus.Blocked, At = T0.AddHours(1), StatusReason = "dnc_listed",
        }, Ct));
        var blocked = (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!;
        Assert.Equal(CallDecision.MaxKept, blocked.Decisions.Count);
        Assert.Equal("dnc_listed", blocked.StatusReason);
    }

    [Fact]
    public async Task DialLog_WrittenWithEachAttempt_ListedAscendingPerAccountAndNumber()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var call = await CallAsync(t);
        var notApplied = new CallChange
        {
            CallId = call.Id, Expected = [CallStatus.Scheduled], Next = CallStatus.Dialing, At = T0, NewAttempt = NewAttempt(call, 1, T0.AddMinutes(1)),
        };
        Assert.False(await Engine.Changes.TryApplyAsync(notApplied, Ct));
        Assert.Empty(await Engine.Compliance.ListDialTimesAsync(t.Account.Id, call.To, T0.AddDays(-1), Ct));

        Assert.True(await Engine.Changes.TryApplyAsync(notApplied with { Expected = [CallStatus.Queued] }, Ct));
        var first = (await Engine.Calls.ListAttemptsAsync(call.Id, Ct))[0];
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id, Expected = [CallStatus.Dialing], Next = CallStatus.Scheduled, At = T0.AddMinutes(2),
            AttemptUpdate = first with { Status = AttemptStatus.Completed, Outcome = CallOutcome.Busy, Version = 2 },
        }, Ct));
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id, Expected = [CallStatus.Scheduled], Next = CallStatus.Dialing, Via = CallStatus.Queued, At = T0.AddMinutes(10),
            NewAttempt = NewAttempt(call, 2, T0.AddMinutes(10)),
        }, Ct));
        // A single call to the same number, made earlier, counts as well.
        var single = NewCall(t, to: call.To, allowDuplicates: true);
        await Engine.CreateCallAsync(Write(single), Ct);
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = single.Id, Expected = [CallStatus.Queued], Next = CallStatus.Dialing, At = T0, NewAttempt = NewAttempt(single, 1, T0.AddSeconds(30)),
            Events = [new NewCallEvent(CallEventTypes.Dialing, new JsonObject())],
        }, Ct));

        Assert.Equal([T0.AddSeconds(30), T0.AddMinutes(1), T0.AddMinutes(10)], await Engine.Compliance.ListDialTimesAsync(t.Account.Id, call.To, T0, Ct));
        Assert.Equal([T0.AddMinutes(1), T0.AddMinutes(10)], await Engine.Compliance.ListDialTimesAsync(t.Account.Id, call.To, T0.AddMinutes(1), Ct));
        Assert.Empty(await Engine.Compliance.ListDialTimesAsync(t.Account.Id, "+15559999999", T0, Ct));
        Assert.Empty(await Engine.Compliance.ListDialTimesAsync(other.Account.Id, call.To, T0, Ct));
    }

    [Fact]
    public async Task Consents_ScopedToAccount_ListedNewestFirstByNumberAndCursor()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var a1 = NewConsent(t, "+15551230001", createdAt: T0);
        var b1 = NewConsent(t, "+15551230002", createdAt: T0.AddSeconds(1));
        var a2 = NewConsent(t, "+15551230001", purpose: "appointment_reminders", expiresAt: T0.AddDays(30), createdAt: T0.AddSeconds(2));
        var foreign = NewConsent(other, "+15551230001", createdAt: T0.AddSeconds(3));
        foreach (var r in new[] { a1, b1, a2, foreign })
        {
            await Engine.Compliance.CreateConsentAsync(r, Ct);
        }
        Assert.Equal(a2, await Engine.Compliance.GetConsentAsync(t.Account.Id, a2.Id, Ct));
        Assert.Null(await Engine.Compliance.GetConsentAsync(other.Account.Id, a2.Id, Ct));

        Assert.Equal([a2.Id, b1.Id, a1.Id], (await Engine.Compliance.ListConsentsAsync(t.Account.Id, null, 10, null, Ct)).Select(r => r.Id));
        Assert.Equal([a2.Id, a1.Id], (await Engine.Compliance.ListConsentsAsync(t.Account.Id, "+15551230001", 10, null, Ct)).Select(r => r.Id));
        var page1 = await Engine.Compliance.ListConsentsAsync(t.Account.Id, null, 2, null, Ct);
        Assert.Equal([a1.Id], (await Engine.Compliance.ListConsentsAsync(t.Account.Id, null, 2, page1[^1].Id, Ct)).Select(r => r.Id));
        Assert.Equal([a1.Id], (await Engine.Compliance.ListConsentsAsync(t.Account.Id, "+15551230001", 10, a2.Id, Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task RevokeConsent_KeepsTheFirstRevocationTime()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var r = NewConsent(t, "+15551230001");
        await Engine.Compliance.CreateConsentAsync(r, Ct);
        Assert.Null(await Engine.Compliance.RevokeConsentAsync(other.Account.Id, r.Id, T0, Ct));
        Assert.Null(await Engine.Compliance.RevokeConsentAsync(t.Account.Id, "cns_missing", T0, Ct));
        Assert.Equal(T0.AddHours(1), (await Engine.Compliance.RevokeConsentAsync(t.Account.Id, r.Id, T0.AddHours(1), Ct))!.RevokedAt);
        Assert.Equal(T0.AddHours(1), (await Engine.Compliance.RevokeConsentAsync(t.Account.Id, r.Id, T0.AddHours(2), Ct))!.RevokedAt);
        Assert.Equal(T0.AddHours(1), (await Engine.Compliance.GetConsentAsync(t.Account.Id, r.Id, Ct))!.RevokedAt);
    }

    [Fact]
    public async Task FindValidConsent_HonoursObtainedExpiryRevocationAndPurpose()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        const string Number = "+15551230001";
        var any = NewConsent(t, Number, obtainedAt: T0.AddDays(-10), createdAt: T0);
        var reminders = NewConsent(t, Number, obtainedAt: T0.AddDays(-1), purpose: "appointment_reminders", expiresAt: T0.AddDays(1), createdAt: T0);
        var future = NewConsent(t, Number, obtainedAt: T0.AddDays(5), createdAt: T0);
        foreach (var r in new[] { any, reminders, future })
        {
            await Engine.Compliance.CreateConsentAsync(r, Ct);
        }

        // The most recently obtained record valid now, for the purpose asked.
        Assert.Equal(reminders.Id, (await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0, "appointment_reminders", Ct))!.Id);
        Assert.Equal(reminders.Id, (await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0, null, Ct))!.Id);
        Assert.Equal(any.Id, (await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0, "marketing", Ct))!.Id);
        Assert.Equal(any.Id, (await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0.AddDays(2), "appointment_reminders", Ct))!.Id);
        Assert.Equal(future.Id, (await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0.AddDays(6), null, Ct))!.Id);
        Assert.Null(await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0.AddDays(-20), null, Ct));
        Assert.Null(await Engine.Compliance.FindValidConsentAsync(other.Account.Id, Number, T0, null, Ct));
        Assert.Null(await Engine.Compliance.FindValidConsentAsync(t.Account.Id, "+15551230002", T0, null, Ct));

        await Engine.Compliance.RevokeConsentAsync(t.Account.Id, any.Id, T0.AddHours(1), Ct);
        Assert.Null(await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0.AddHours(2), "marketing", Ct));
        // Before its revocation the record still justified a dial.
        Assert.Equal(any.Id, (await Engine.Compliance.FindValidConsentAsync(t.Account.Id, Number, T0, "marketing", Ct))!.Id);
    }
}

public sealed class SqliteComplianceStoreContract : ComplianceStoreContract<SqliteEngine>;

/// <summary>The contract on PostgreSQL.</summary>
public sealed class PostgresComplianceStoreContract : ComplianceStoreContract<PostgresEngine>;
