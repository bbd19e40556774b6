using Dapper;
using System.Text.Json.Nodes;
using Outdial.Core.Accounts;
using Outdial.Core.Calls;
using Outdial.Core.Storage;
using Outdial.Tests.Shared;
using Xunit;
using static Outdial.Storage.Tests.TestData;

namespace Outdial.Storage.Tests;

/// <summary>
/// The behaviour every storage engine must have (ARCHITECTURE §6). Each engine gets a subclass; every test runs on a
/// fresh, migrated database of that engine.
/// </summary>
public abstract class StoreContract<TEngine> : IAsyncLifetime where TEngine : IStoreEngine, new()
{
    protected TEngine Engine { get; } = new();

    private static readonly CancellationToken Ct = CancellationToken.None;

    public Task InitializeAsync() => Engine.InitializeAsync();

    public async Task DisposeAsync() => await Engine.DisposeAsync();

    private async Task<Tenant> TenantAsync()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, Ct);
        return t;
    }

    [Fact]
    public async Task Bootstrap_WritesOnlyOnce()
    {
        var a = NewTenant();
        var b = NewTenant();
        Assert.True(await Engine.Accounts.TryBootstrapAsync(a.Account, a.Agent, a.Number, a.Key, Ct));
        Assert.False(await Engine.Accounts.TryBootstrapAsync(b.Account, b.Agent, b.Number, b.Key, Ct));
        Assert.NotNull(await Engine.Accounts.GetAccountAsync(a.Account.Id, Ct));
        Assert.Null(await Engine.Accounts.GetAccountAsync(b.Account.Id, Ct));
        Assert.Equal(a.Agent.Id, (await Engine.Agents.GetDefaultAgentAsync(a.Account.Id, Ct))!.Id);
    }

    [Fact]
    public async Task DisabledAccount_KeysAreNotFound_UntilEnabled_FirstDisableTimeKept_SettingsLeaveItAlone()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        Assert.True(await Engine.Accounts.SetAccountDisabledAsync(t.Account.Id, T0, Ct));
        Assert.True(await Engine.Accounts.SetAccountDisabledAsync(t.Account.Id, T0.AddHours(1), Ct));
        Assert.Equal(T0, (await Engine.Accounts.GetAccountAsync(t.Account.Id, Ct))!.DisabledAt);
        Assert.Null(await Engine.Accounts.FindActiveApiKeyAsync(t.Key.Hash, Ct));
        Assert.NotNull(await Engine.Accounts.FindActiveApiKeyAsync(other.Key.Hash, Ct));
        // A settings update (PATCH /v1/account) neither enables nor disables.
        Assert.True(await Engine.Accounts.UpdateAccountAsync(t.Account with { Name = "Renamed" }, Ct));
        Assert.Equal(T0, (await Engine.Accounts.GetAccountAsync(t.Account.Id, Ct))!.DisabledAt);
        Assert.True(await Engine.Accounts.SetAccountDisabledAsync(t.Account.Id, null, Ct));
        Assert.Null((await Engine.Accounts.GetAccountAsync(t.Account.Id, Ct))!.DisabledAt);
        Assert.NotNull(await Engine.Accounts.FindActiveApiKeyAsync(t.Key.Hash, Ct));
        Assert.False(await Engine.Accounts.SetAccountDisabledAsync("acc_missing", T0, Ct));
        var listed = await Engine.Accounts.ListAccountsAsync(null, 1, Ct);
        var next = await Engine.Accounts.ListAccountsAsync(listed[0].Id, 10, Ct);
        Assert.Equal(new[] { t.Account.Id, other.Account.Id }.Order(StringComparer.Ordinal).Reverse(), listed.Concat(next).Select(a => a.Id));
    }

    [Fact]
    public async Task OperatorKey_GeneratedOnce_RecognisedByItsHashOnly()
    {
        var keys = new Core.Accounts.OperatorKeys(Engine.Accounts,
            Microsoft.Extensions.Options.Options.Create(new Core.Accounts.AdminOptions()), TimeProvider.System);
        var secret = await keys.EnsureAsync(Ct);
        Assert.StartsWith(Core.Accounts.OperatorKeySecrets.KeyPrefix, secret, StringComparison.Ordinal);
        Assert.Null(await keys.EnsureAsync(Ct));
        Assert.True(await keys.IsOperatorKeyAsync(secret!, Ct));
        Assert.False(await keys.IsOperatorKeyAsync(secret + "x", Ct));
        Assert.False(await keys.IsOperatorKeyAsync(Core.Accounts.ApiKeySecrets.Generate(), Ct));
        // A configured key replaces the stored one.
        var configured = new Core.Accounts.OperatorKeys(Engine.Accounts,
            Microsoft.Extensions.Options.Options.Create(new Core.Accounts.AdminOptions { ApiKey = "operator-configured-key" }), TimeProvider.System);
        Assert.Null(await configured.EnsureAsync(Ct));
        Assert.True(await configured.IsOperatorKeyAsync("operator-configured-key", Ct));
        Assert.False(await configured.IsOperatorKeyAsync(secret!, Ct));
    }

    [Fact]
    public async Task NextDueAt_IsTheEarliestLaterDueTime_OfCallsWaitingToBeDialed()
    {
        var t = await TenantAsync();
        Assert.Null(await Engine.Calls.NextDueAtAsync(T0, Ct));
        await Engine.Calls.CreateCallAsync(Write(NewCall(t, to: "+15551110001", dueAt: T0.AddSeconds(90), status: CallStatus.Scheduled)), Ct);
        await Engine.Calls.CreateCallAsync(Write(NewCall(t, to: "+15551110002", dueAt: T0.AddSeconds(30), status: CallStatus.Scheduled)), Ct);
        await Engine.Calls.CreateCallAsync(Write(NewCall(t, to: "+15551110003", dueAt: T0)), Ct);
        Assert.Equal(T0.AddSeconds(30), await Engine.Calls.NextDueAtAsync(T0, Ct)); // later than "after" only
        Assert.Equal(T0.AddSeconds(90), await Engine.Calls.NextDueAtAsync(T0.AddSeconds(30), Ct));
        Assert.Null(await Engine.Calls.NextDueAtAsync(T0.AddSeconds(90), Ct));
    }

    [Fact]
    public async Task Claim_HeldUntilReleasedOrExpired_ByOneHolder_WhoMayRenewIt()
    {
        var claims = (IClaimStore)Engine.Calls;
        Assert.True(await claims.TryClaimAsync("idempotency:acc_1", "k1", "node-a", T0, T0.AddSeconds(10), Ct));
        Assert.False(await claims.TryClaimAsync("idempotency:acc_1", "k1", "node-b", T0.AddSeconds(1), T0.AddSeconds(11), Ct)); // held
        Assert.True(await claims.TryClaimAsync("idempotency:acc_2", "k1", "node-b", T0, T0.AddSeconds(10), Ct)); // per scope
        await claims.ReleaseClaimAsync("idempotency:acc_1", "k1", "node-b", Ct); // not b's: nothing released
        Assert.False(await claims.TryClaimAsync("idempotency:acc_1", "k1", "node-b", T0.AddSeconds(2), T0.AddSeconds(12), Ct));
        Assert.True(await claims.TryClaimAsync("idempotency:acc_1", "k1", "node-a", T0.AddSeconds(2), T0.AddSeconds(20), Ct)); // renewed
        Assert.False(await claims.TryClaimAsync("idempotency:acc_1", "k1", "node-b", T0.AddSeconds(15), T0.AddSeconds(25), Ct)); // renewal held
        await claims.ReleaseClaimAsync("idempotency:acc_1", "k1", "node-a", Ct);
        Assert.True(await claims.TryClaimAsync("idempotency:acc_1", "k1", "node-b", T0.AddSeconds(16), T0.AddSeconds(26), Ct));
        // b dies holding it: the claim expires and another node takes it over.
        Assert.True(await claims.TryClaimAsync("idempotency:acc_1", "k1", "node-c", T0.AddSeconds(26), T0.AddSeconds(36), Ct));
    }

    [Fact]
    public async Task ApiKey_FoundByHashUntilRevoked()
    {
        var t = await TenantAsync();
        var found = await Engine.Accounts.FindActiveApiKeyAsync(ApiKeySecrets.Hash(t.Secret), Ct);
        Assert.Equal(t.Key.Id, found!.Id);
        Assert.Equal(t.Account.Id, found.AccountId);
        Assert.Null(await Engine.Accounts.FindActiveApiKeyAsync(ApiKeySecrets.Hash(t.Secret + "x"), Ct));
        Assert.True(await Engine.Accounts.RevokeApiKeyAsync(t.Account.Id, t.Key.Id, T0, Ct));
        Assert.Null(await Engine.Accounts.FindActiveApiKeyAsync(ApiKeySecrets.Hash(t.Secret), Ct));
        Assert.False(await Engine.Accounts.RevokeApiKeyAsync("acc_other", t.Key.Id, T0, Ct));
    }

    [Fact]
    public async Task Agents_KeyUniquePerAccount_OneDefault()
    {
        var t = await TenantAsync();
        var other = t.Agent with { Id = "agt_2", Key = "sales", IsDefault = false };
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.CreateAgentAsync(other, Ct));
        Assert.Equal(UpsertResult.Conflict, await Engine.Agents.CreateAgentAsync(other with { Id = "agt_3" }, Ct));
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.UpdateAgentAsync(other with { IsDefault = true }, Ct));
        Assert.Equal("agt_2", (await Engine.Agents.GetDefaultAgentAsync(t.Account.Id, Ct))!.Id);
        Assert.False((await Engine.Agents.GetAgentAsync(t.Account.Id, t.Agent.Id, Ct))!.IsDefault);
        Assert.Equal(UpsertResult.Conflict, await Engine.Agents.DeleteAgentAsync(t.Account.Id, "agt_2", T0, Ct));
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.DeleteAgentAsync(t.Account.Id, t.Agent.Id, T0, Ct));
        Assert.Null(await Engine.Agents.GetAgentAsync(t.Account.Id, t.Agent.Id, Ct));
        Assert.NotNull(await Engine.Agents.GetAgentAsync(t.Account.Id, t.Agent.Id, Ct, includeDeleted: true));
        // The deleted agent's key is free again.
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.CreateAgentAsync(t.Agent with { Id = "agt_4", IsDefault = false }, Ct));
    }

    [Fact]
    public async Task Agents_ExternalRefsUniquePerAccount_FoundExactly_FreedOnUpdateAndDelete()
    {
        var t = await TenantAsync();
        var u = await TenantAsync();
        var sales = t.Agent with { Id = "agt_r1", Key = "sales", IsDefault = false, ExternalRefs = ["scenario/renewals", "proj-1"] };
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.CreateAgentAsync(sales, Ct));
        Assert.Equal("agt_r1", (await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "scenario/renewals", Ct))!.Id);
        Assert.Equal(["scenario/renewals", "proj-1"], (await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "proj-1", Ct))!.ExternalRefs);
        Assert.Null(await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "Scenario/Renewals", Ct)); // exact match
        Assert.Null(await Engine.Agents.FindAgentByRefAsync(u.Account.Id, "proj-1", Ct));             // scoped to the account

        // Another agent of the account cannot take a held reference; another account can.
        var taker = t.Agent with { Id = "agt_r2", Key = "taker", IsDefault = false, ExternalRefs = ["proj-1"] };
        Assert.Equal(UpsertResult.Conflict, await Engine.Agents.CreateAgentAsync(taker, Ct));
        Assert.Null(await Engine.Agents.GetAgentAsync(t.Account.Id, "agt_r2", Ct));
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.CreateAgentAsync(u.Agent with { Id = "agt_u2", Key = "taker", IsDefault = false, ExternalRefs = ["proj-1"] }, Ct));

        // An update replaces the set: a dropped reference is free, and a failed update changes nothing.
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.UpdateAgentAsync(sales with { ExternalRefs = ["proj-2"] }, Ct));
        Assert.Null(await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "proj-1", Ct));
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.CreateAgentAsync(taker, Ct));
        Assert.Equal(UpsertResult.Conflict, await Engine.Agents.UpdateAgentAsync(sales with { ExternalRefs = ["proj-2", "proj-1"] }, Ct));
        Assert.Equal("agt_r1", (await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "proj-2", Ct))!.Id);
        Assert.Equal("agt_r2", (await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "proj-1", Ct))!.Id);

        // A deleted agent's references are free again.
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.DeleteAgentAsync(t.Account.Id, "agt_r1", T0, Ct));
        Assert.Null(await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "proj-2", Ct));
        Assert.Equal(UpsertResult.Ok, await Engine.Agents.UpdateAgentAsync(taker with { ExternalRefs = ["proj-1", "proj-2"] }, Ct));
        Assert.Equal("agt_r2", (await Engine.Agents.FindAgentByRefAsync(t.Account.Id, "proj-2", Ct))!.Id);
    }

    [Fact]
    public async Task CreateCall_StoresCallAndFirstEvent_ScopedToAccount()
    {
        var t = await TenantAsync();
        var call = NewCall(t) with { Metadata = new JsonObject { ["crm"] = "42" } };
        var created = Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(call), Ct));
        Assert.Equal(1, created.Call.EventSequence);
        var read = await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, Ct);
        Assert.Equal("42", read!.Metadata!["crm"]!.GetValue<string>());
        Assert.Null(await Engine.Calls.GetCallAsync("acc_other", call.Id, Ct));
        var events = await Engine.Calls.ListEventsAsync(call.Id, Ct);
        Assert.Equal(CallEventTypes.Queued, Assert.Single(events).Type);
        Assert.Equal(1, events[0].Sequence);
    }

    [Fact]
    public async Task AccountEvents_AreTheAccountsOwn_InIdOrder_AfterAGivenId_AtMostTheLimit()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var calls = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var call = NewCall(t, to: $"+1555222000{i}");
            await Engine.CreateCallAsync(Write(call), Ct);
            calls.Add(call.Id);
            await Engine.CreateCallAsync(Write(NewCall(other, to: $"+1555333000{i}")), Ct);
        }
        var all = await Engine.Calls.ListAccountEventsAsync(t.Account.Id, null, 100, Ct);
        Assert.Equal(3, all.Count);
        Assert.All(all, e => Assert.Equal(t.Account.Id, e.AccountId));
        Assert.Equal(all.Select(e => e.Id).Order(StringComparer.Ordinal), all.Select(e => e.Id));
        Assert.Equal(calls.Order(StringComparer.Ordinal), all.Select(e => e.CallId).Order(StringComparer.Ordinal));
        Assert.Equal(all.Skip(1).Select(e => e.Id), (await Engine.Calls.ListAccountEventsAsync(t.Account.Id, all[0].Id, 100, Ct)).Select(e => e.Id));
        Assert.Equal(all.Take(2).Select(e => e.Id), (await Engine.Calls.ListAccountEventsAsync(t.Account.Id, null, 2, Ct)).Select(e => e.Id));
    }

    [Fact]
    public async Task DuplicateGuard_RefusesSecondLiveCallToSameNumber()
    {
        var t = await TenantAsync();
        var first = NewCall(t);
        await Engine.CreateCallAsync(Write(first), Ct);
        var dup = Assert.IsType<CreateCallResult.Duplicate>(await Engine.CreateCallAsync(Write(NewCall(t)), Ct));
        Assert.Equal(first.Id, dup.Existing.Id);
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(NewCall(t, allowDuplicates: true)), Ct));
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(NewCall(t, campaignId: "cmp_1")), Ct));
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(NewCall(t, to: "+15551239999")), Ct));
        var otherTenant = await TenantAsync();
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(NewCall(otherTenant)), Ct));
    }

    [Fact]
    public async Task DuplicateGuard_PassesToRemainingLiveCall_WhenHolderEnds()
    {
        var t = await TenantAsync();
        var a = NewCall(t);
        var b = NewCall(t, allowDuplicates: true);
        await Engine.CreateCallAsync(Write(a), Ct);
        await Engine.CreateCallAsync(Write(b), Ct);
        Assert.True(await Engine.Changes.TryApplyAsync(Cancel(a), Ct));
        var dup = Assert.IsType<CreateCallResult.Duplicate>(await Engine.CreateCallAsync(Write(NewCall(t)), Ct));
        Assert.Equal(b.Id, dup.Existing.Id);
        Assert.True(await Engine.Changes.TryApplyAsync(Cancel(b), Ct));
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(NewCall(t)), Ct));
    }

    [Fact]
    public async Task IdempotencyKey_ReplaysSameRequest_RefusesOtherRequest_ExpiresAfter24h()
    {
        var t = await TenantAsync();
        var first = NewCall(t);
        await Engine.CreateCallAsync(Write(first, new IdempotencyRecord("k1", "hash-a", 202, "{\"id\":\"x\"}")), Ct);
        var replay = Assert.IsType<CreateCallResult.Replay>(await Engine.CreateCallAsync(
            Write(NewCall(t, to: "+15551230002"), new IdempotencyRecord("k1", "hash-a", 202, "other")), Ct));
        Assert.Equal("{\"id\":\"x\"}", replay.Body);
        Assert.Equal(202, replay.Status);
        Assert.IsType<CreateCallResult.KeyReused>(await Engine.CreateCallAsync(
            Write(NewCall(t, to: "+15551230003"), new IdempotencyRecord("k1", "hash-b", 202, "other")), Ct));
        Assert.NotNull(await Engine.Calls.FindIdempotencyRecordAsync(t.Account.Id, "k1", T0.AddHours(-1), Ct));
        Assert.Null(await Engine.Calls.FindIdempotencyRecordAsync(t.Account.Id, "k1", T0.AddHours(1), Ct));
        // Another account may use the same key.
        var other = await TenantAsync();
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(
            Write(NewCall(other), new IdempotencyRecord("k1", "hash-b", 202, "b")), Ct));
        // 25 hours later the key is free again.
        var later = NewCall(t, to: "+15551230004", at: T0.AddHours(25));
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(later, new IdempotencyRecord("k1", "hash-c", 202, "c")), Ct));
        // The replayed and refused requests stored nothing.
        Assert.Empty(await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 10, To: "+15551230002"), Ct));
        Assert.Empty(await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 10, To: "+15551230003"), Ct));
    }

    [Fact]
    public async Task PurgeIdempotencyKeys_DeletesOnlyOlderRecords()
    {
        var t = await TenantAsync();
        await Engine.CreateCallAsync(Write(NewCall(t), new IdempotencyRecord("old", "h", 202, "{}")), Ct);
        await Engine.CreateCallAsync(Write(NewCall(t, to: "+15551230005", at: T0.AddHours(2)), new IdempotencyRecord("new", "h", 202, "{}")), Ct);
        Assert.Equal(1, await Engine.Calls.PurgeIdempotencyKeysAsync(T0.AddHours(1), Ct));
        Assert.Null(await Engine.Calls.FindIdempotencyRecordAsync(t.Account.Id, "old", T0.AddDays(-1), Ct));
        Assert.NotNull(await Engine.Calls.FindIdempotencyRecordAsync(t.Account.Id, "new", T0.AddDays(-1), Ct));
    }

    [Fact]
    public async Task Claim_LeasesDueCallsOnce_UntilLeaseExpires()
    {
        var t = await TenantAsync();
        var due = NewCall(t);
        var later = NewCall(t, to: "+15551230009", dueAt: T0.AddMinutes(10), status: CallStatus.Scheduled);
        var expiring = NewCall(t, to: "+15551230010", dueAt: T0.AddHours(2), expiresAt: T0.AddMinutes(1), status: CallStatus.Scheduled);
        foreach (var c in new[] { due, later, expiring })
        {
            await Engine.CreateCallAsync(Write(c), Ct);
        }
        var first = await Engine.Calls.ClaimDueCallsAsync(T0, 10, TimeSpan.FromSeconds(30), "lease-a", Ct);
        Assert.Equal([due.Id], first.Select(c => c.Id));
        Assert.Empty(await Engine.Calls.ClaimDueCallsAsync(T0.AddSeconds(5), 10, TimeSpan.FromSeconds(30), "lease-b", Ct));
        var afterExpiry = await Engine.Calls.ClaimDueCallsAsync(T0.AddMinutes(2), 10, TimeSpan.FromSeconds(30), "lease-b", Ct);
        Assert.Equal(new[] { due.Id, expiring.Id }.Order(), afterExpiry.Select(c => c.Id).Order());
        // The old lease holder is fenced out.
        Assert.False(await Engine.Changes.ReleaseLeaseAsync(due.Id, "lease-a", T0, Ct));
        Assert.False(await Engine.Changes.TryApplyAsync(Dial(due, "lease-a"), Ct));
        Assert.True(await Engine.Changes.TryApplyAsync(Dial(due, "lease-b"), Ct));
    }

    [Fact]
    public async Task TryApply_IsConditionalOnStatus_AndAppendsEventsInOrder()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        await Engine.Calls.ClaimDueCallsAsync(T0, 10, TimeSpan.FromSeconds(30), "l", Ct);
        var dial = Dial(call, "l");
        Assert.True(await Engine.Changes.TryApplyAsync(dial, Ct));
        Assert.False(await Engine.Changes.TryApplyAsync(dial with { LeaseToken = null }, Ct)); // no longer queued
        var stored = (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!;
        Assert.Equal(CallStatus.Dialing, stored.Status);
        Assert.Equal(1, stored.AttemptCount);
        Assert.Equal(2, stored.EventSequence);
        var attempt = Assert.Single(await Engine.Calls.ListAttemptsAsync(call.Id, Ct));
        Assert.Equal(dial.NewAttempt!.Id, attempt.Id);

        var ringing = attempt with { Status = AttemptStatus.Ringing, ProviderCallId = "SB1", Version = 2, UpdatedAt = T0.AddSeconds(1) };
        var stale = attempt with { Status = AttemptStatus.Ringing, Version = 2 };
        Assert.True(await Engine.Changes.TryApplyAsync(Change(call, CallStatus.Dialing, CallStatus.Ringing, CallEventTypes.Ringing) with { AttemptUpdate = ringing }, Ct));
        // A second writer holding the old attempt version loses and changes nothing.
        Assert.False(await Engine.Changes.TryApplyAsync(Change(call, CallStatus.Ringing, CallStatus.InProgress, CallEventTypes.Answered) with { AttemptUpdate = stale }, Ct));
        Assert.Equal(CallStatus.Ringing, (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.Status);
        Assert.Equal("SB1", (await Engine.Calls.FindAttemptByProviderCallIdAsync("sandbox", "SB1", Ct))!.ProviderCallId);
        Assert.Equal(1, (await Engine.Calls.CountActiveCallsAsync(Ct))[t.Account.Id]);

        Assert.True(await Engine.Changes.TryApplyAsync(Change(call, CallStatus.Ringing, CallStatus.Ended, CallEventTypes.Ended) with { Outcome = CallOutcome.Busy }, Ct));
        var ended = (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!;
        Assert.Equal(CallOutcome.Busy, ended.Outcome);
        Assert.NotNull(ended.EndedAt);
        Assert.Equal([1L, 2, 3, 4], (await Engine.Calls.ListEventsAsync(call.Id, Ct)).Select(e => e.Sequence));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Engine.Changes.TryApplyAsync(Change(call, CallStatus.Ended, CallStatus.Queued, CallEventTypes.Queued), Ct));
        Assert.False((await Engine.Calls.CountActiveCallsAsync(Ct)).ContainsKey(t.Account.Id));
    }

    [Fact]
    public async Task TerminalChange_SetsEndedAtOnce_ALaterTerminalWriteKeepsIt()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        Assert.True(await Engine.Changes.TryApplyAsync(Dial(call, null), Ct));
        Assert.Null((await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.EndedAt);
        var end = Change(call, CallStatus.Dialing, CallStatus.Ended, CallEventTypes.Ended) with { Outcome = CallOutcome.NoAnswer };
        Assert.True(await Engine.Changes.TryApplyAsync(end, Ct));
        Assert.Equal(end.At, (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.EndedAt);

        // A late write on the ended call (e.g. the provider's final report) refines it but does not move its end.
        Assert.True(await Engine.Changes.TryApplyAsync(end with { Expected = [CallStatus.Ended], At = end.At.AddMinutes(1), StatusReason = "late_report" }, Ct));
        var ended = (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!;
        Assert.Equal(end.At, ended.EndedAt);
        Assert.Equal(end.At.AddMinutes(1), ended.UpdatedAt);
        Assert.Equal("late_report", ended.StatusReason);
    }

    [Fact]
    public async Task StaleAttempts_ListsOnlyOpenAttemptsLastWrittenBeforeCutoff()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        await Engine.Changes.TryApplyAsync(Dial(call, null), Ct);
        Assert.Single(await Engine.Calls.ListStaleAttemptsAsync(T0.AddSeconds(1), 10, Ct));
        Assert.Empty(await Engine.Calls.ListStaleAttemptsAsync(T0, 10, Ct));
        var attempt = (await Engine.Calls.ListAttemptsAsync(call.Id, Ct))[0];
        Assert.True(await Engine.Calls.TryUpdateAttemptAsync(attempt with { Status = AttemptStatus.Completed, Version = 2 }, Ct));
        Assert.False(await Engine.Calls.TryUpdateAttemptAsync(attempt with { Status = AttemptStatus.Completed, Version = 2 }, Ct));
        Assert.Empty(await Engine.Calls.ListStaleAttemptsAsync(T0.AddHours(1), 10, Ct));
    }

    [Fact]
    public async Task AttemptsAwaitingRecording_OnlyEndedConnectedRecordedWithoutUrlOrCheck_InTheWindow()
    {
        var t = await TenantAsync();
        var n = 0;
        async Task<Attempt> EndedAsync(bool requested, CallOutcome outcome, string? sid = "CA1")
        {
            var call = NewCall(t, to: $"+1555987000{++n}");
            await Engine.CreateCallAsync(Write(call), Ct);
            await Engine.Changes.TryApplyAsync(Dial(call, null) with { NewAttempt = NewAttempt(call) with { RecordingRequested = requested } }, Ct);
            var attempt = (await Engine.Calls.ListAttemptsAsync(call.Id, Ct))[0];
            var ended = attempt with
            {
                ProviderCallId = sid is null ? null : sid + call.Id,
                Status = AttemptStatus.Completed,
                Outcome = outcome,
                UpdatedAt = T0.AddMinutes(1),
                Version = 2,
            };
            Assert.True(await Engine.Calls.TryUpdateAttemptAsync(ended, Ct));
            return ended;
        }
        var awaiting = await EndedAsync(true, CallOutcome.Answered);
        var voicemail = await EndedAsync(true, CallOutcome.Voicemail);
        await EndedAsync(false, CallOutcome.Answered);
        await EndedAsync(true, CallOutcome.Busy);
        await EndedAsync(true, CallOutcome.Answered, sid: null);
        var open = NewCall(t, to: "+15559870009");
        await Engine.CreateCallAsync(Write(open), Ct);
        await Engine.Changes.TryApplyAsync(Dial(open, null) with { NewAttempt = NewAttempt(open) with { RecordingRequested = true } }, Ct);

        Assert.Equal(new[] { awaiting.Id, voicemail.Id }.Order(), (await Engine.Calls.ListAttemptsAwaitingRecordingAsync(T0, T0.AddHours(1), 10, Ct)).Select(a => a.Id).Order());
        Assert.Empty(await Engine.Calls.ListAttemptsAwaitingRecordingAsync(T0, T0.AddMinutes(1), 10, Ct));
        Assert.Empty(await Engine.Calls.ListAttemptsAwaitingRecordingAsync(T0.AddMinutes(2), T0.AddHours(1), 10, Ct));
        Assert.Single(await Engine.Calls.ListAttemptsAwaitingRecordingAsync(T0, T0.AddHours(1), 1, Ct));

        // A recording learned, or a lookup that found none, takes the attempt off the list.
        Assert.True(await Engine.Calls.TryUpdateAttemptAsync(awaiting with { RecordingUrl = "https://example.test/RE1", Version = 3 }, Ct));
        Assert.True(await Engine.Calls.TryUpdateAttemptAsync(voicemail with { RecordingCheckedAt = T0.AddMinutes(5), Version = 3 }, Ct));
        Assert.Empty(await Engine.Calls.ListAttemptsAwaitingRecordingAsync(T0, T0.AddHours(1), 10, Ct));
        Assert.True((await Engine.Calls.GetAttemptAsync(awaiting.Id, Ct))!.RecordingRequested);
    }

    [Fact]
    public async Task ListCalls_FiltersAndPagesNewestFirst()
    {
        var t = await TenantAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var c = NewCall(t, to: $"+1555123000{i + 1}", at: T0.AddSeconds(i));
            ids.Add(c.Id);
            await Engine.CreateCallAsync(Write(c), Ct);
        }
        var page1 = await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 2), Ct);
        Assert.Equal([ids[4], ids[3]], page1.Select(c => c.Id));
        var page2 = await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 2, Cursor: page1[^1].Id), Ct);
        Assert.Equal([ids[2], ids[1]], page2.Select(c => c.Id));
        Assert.Equal([ids[0]], (await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 10, To: "+15551230001"), Ct)).Select(c => c.Id));
        Assert.Equal(2, (await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 10, CreatedFrom: T0.AddSeconds(3)), Ct)).Count);
        Assert.Empty(await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 10, Status: CallStatus.Ended), Ct));
        Assert.Empty(await Engine.Calls.ListCallsAsync(new CallQuery("acc_other", 10), Ct));
    }

    [Fact]
    public async Task AcknowledgedWrites_SurviveReopen()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        await Engine.ReopenAsync();
        Assert.NotNull(await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, Ct));
    }

    [Fact]
    public async Task Dnc_IsPerAccount()
    {
        var t = await TenantAsync();
        Assert.False(await Engine.Calls.IsOnDncAsync(t.Account.Id, "+15551230000", Ct));
    }

    [Fact]
    public async Task TryWrite_IsFencedOnTheVersionRead_ALosingWriteLeavesNothing()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        var read = (await Engine.Calls.GetStoredCallAsync(call.Id, Ct))!;
        var first = CallTransition.Apply(read, Change(call, CallStatus.Queued, CallStatus.Queued, "call.note"), [], null)!;
        var second = CallTransition.Apply(read, Cancel(call), [], null)!;

        Assert.Equal(CallWriteResult.Written, await Engine.Calls.TryWriteAsync(first, Ct));
        Assert.Equal(CallWriteResult.CallChanged, await Engine.Calls.TryWriteAsync(second, Ct));

        var after = (await Engine.Calls.GetStoredCallAsync(call.Id, Ct))!;
        Assert.Equal(read.Version + 1, after.Version);
        Assert.Equal(CallStatus.Queued, after.Call.Status);
        Assert.Equal(["call.queued", "call.note"], (await Engine.Calls.ListEventsAsync(call.Id, Ct)).Select(e => e.Type));
    }

    [Fact]
    public async Task TryWrite_AStaleAttemptVersionIsRefused_AndNothingOfTheWriteIsKept()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        var attempt = NewAttempt(call);
        Assert.True(await Engine.Changes.TryApplyAsync(Dial(call, null) with { NewAttempt = attempt }, Ct));
        var ringing = attempt with { Status = AttemptStatus.Ringing, Version = attempt.Version + 1 };
        Assert.True(await Engine.Calls.TryUpdateAttemptAsync(ringing, Ct));

        // A change carrying the attempt as it was before that update (a stale version) is refused whole.
        var stale = Change(call, CallStatus.Dialing, CallStatus.Ringing, CallEventTypes.Ringing) with { AttemptUpdate = ringing };
        Assert.False(await Engine.Changes.TryApplyAsync(stale, Ct));
        var after = (await Engine.Calls.GetStoredCallAsync(call.Id, Ct))!;
        Assert.Equal(CallStatus.Dialing, after.Call.Status);
        Assert.Equal(2, (await Engine.Calls.ListEventsAsync(call.Id, Ct)).Count);
    }

    [Fact]
    public async Task ConcurrentChanges_OfOneCall_AreEachDecidedOnTheCallAsItIs()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        var changes = Enumerable.Range(0, 8).Select(i => Engine.Changes.TryApplyAsync(Change(call, CallStatus.Queued, CallStatus.Queued, $"call.note{i}"), Ct));

        Assert.All(await Task.WhenAll(changes), Assert.True);
        var events = await Engine.Calls.ListEventsAsync(call.Id, Ct);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(9, (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.EventSequence);
    }

    [Fact]
    public async Task PacingSlot_TakenOncePerSpacing_AcrossWriters()
    {
        var pacing = (IPacingStore)Engine.Calls;
        var spacing = TimeSpan.FromMilliseconds(500);
        // Twenty writers ask for the same free slot at once: exactly one takes it; the others learn when it frees.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => pacing.TryTakeSlotAsync("+15550001111", spacing, T0, Ct)));
        Assert.Single(answers, a => a is null);
        Assert.All(answers.Where(a => a is not null), a => Assert.Equal(T0 + spacing, a));
        Assert.Equal(T0 + spacing, await pacing.TryTakeSlotAsync("+15550001111", spacing, T0.AddMilliseconds(499), Ct));
        Assert.Null(await pacing.TryTakeSlotAsync("+15550001111", spacing, T0 + spacing, Ct));
        Assert.Null(await pacing.TryTakeSlotAsync("+15550002222", spacing, T0, Ct)); // another key has its own slot
    }

    [Fact]
    public async Task CapacityFence_RefusesADialOverTheAccountLimit()
    {
        var t = await TenantAsync();
        var calls = new List<Call>();
        for (var i = 0; i < 3; i++)
        {
            var call = NewCall(t, $"+155512300{i:D2}");
            await Engine.CreateCallAsync(Write(call), Ct);
            calls.Add(call);
        }
        await Engine.Calls.ClaimDueCallsAsync(T0, 10, TimeSpan.FromSeconds(30), "lease-a", Ct);
        // Limit 2: all three dials race; two are written, the third is refused as at capacity and writes nothing.
        var results = await Task.WhenAll(calls.Select(c => Engine.Changes.ApplyAsync(Dial(c, "lease-a") with
        {
            Capacity = new ActiveCallLimit(t.Account.Id, 2),
        }, Ct)));
        Assert.Equal(2, results.Count(r => r == CallWriteResult.Written));
        Assert.Equal(1, results.Count(r => r == CallWriteResult.AtCapacity));
        var refused = calls[Array.IndexOf(results, CallWriteResult.AtCapacity)];
        Assert.Equal(CallStatus.Queued, (await Engine.Calls.GetCallByIdAsync(refused.Id, Ct))!.Status);
        Assert.Empty(await Engine.Calls.ListAttemptsAsync(refused.Id, Ct));
        // A campaign's own limit is checked too.
        Assert.Equal(CallWriteResult.AtCapacity, await Engine.Changes.ApplyAsync(Dial(refused, "lease-a") with
        {
            Capacity = new ActiveCallLimit(t.Account.Id, 10, "cmp_x", 0),
        }, Ct));
    }

    [Fact]
    public async Task Nodes_HeartbeatReapStop_AndLeasesHandedBack()
    {
        var nodes = (INodeStore)Engine.Calls;
        await nodes.HeartbeatAsync(new NodeRecord("node_a", "host-a", 1, T0, T0), Ct);
        await nodes.HeartbeatAsync(new NodeRecord("node_b", "host-b", 1, T0, T0), Ct);
        await nodes.HeartbeatAsync(new NodeRecord("node_a", "host-a", 1, T0, T0.AddSeconds(5)), Ct);
        var listed = await nodes.ListNodesAsync(Ct);
        Assert.Equal(["node_a", "node_b"], listed.Select(n => n.Id));
        Assert.Equal(T0.AddSeconds(5), listed[0].HeartbeatAt);
        Assert.True(listed[0].IsAlive(T0.AddSeconds(30), TimeSpan.FromSeconds(30)));
        Assert.False(listed[1].IsAlive(T0.AddSeconds(30), TimeSpan.FromSeconds(30)));

        // node_b holds a call's lease; two watchdogs reap it at once: one wins, and its lease is handed back.
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        Assert.Single(await Engine.Calls.ClaimDueCallsAsync(T0, 10, TimeSpan.FromMinutes(5), "node_b.dispatch", Ct));
        Assert.Empty(await Engine.Calls.ClaimDueCallsAsync(T0.AddSeconds(1), 10, TimeSpan.FromMinutes(5), "node_a.dispatch", Ct));
        var reaps = await Task.WhenAll(nodes.TryReapAsync("node_b", T0, T0.AddSeconds(40), Ct), nodes.TryReapAsync("node_b", T0, T0.AddSeconds(40), Ct));
        Assert.Single(reaps, r => r);
        Assert.False(await nodes.TryReapAsync("node_a", T0, T0.AddSeconds(40), Ct)); // node_a beat since: left alone
        Assert.Equal(1, await nodes.ReleaseLeasesAsync(["node_b.dispatch", "node_b.webhooks", "node_b.insights"], Ct));
        // The old holder is fenced out; another node claims the call at once, not after the lease's five minutes.
        Assert.False(await Engine.Changes.TryApplyAsync(Dial(call, "node_b.dispatch"), Ct));
        Assert.Single(await Engine.Calls.ClaimDueCallsAsync(T0.AddSeconds(41), 10, TimeSpan.FromMinutes(5), "node_a.dispatch", Ct));

        // A reaped node that beats again is alive again (and may be reaped again later); a stopped one stays stopped.
        await nodes.HeartbeatAsync(new NodeRecord("node_b", "host-b", 1, T0, T0.AddSeconds(50)), Ct);
        Assert.Null((await nodes.ListNodesAsync(Ct)).Single(n => n.Id == "node_b").ReapedAt);
        await nodes.MarkStoppedAsync("node_a", T0.AddSeconds(60), Ct);
        await nodes.HeartbeatAsync(new NodeRecord("node_a", "host-a", 1, T0, T0.AddSeconds(61)), Ct);
        var a = (await nodes.ListNodesAsync(Ct)).Single(n => n.Id == "node_a");
        Assert.Equal(T0.AddSeconds(60), a.StoppedAt);
        Assert.False(a.IsAlive(T0.AddSeconds(61), TimeSpan.FromSeconds(30)));
        Assert.Equal(1, await nodes.PruneNodesAsync(T0.AddSeconds(61), Ct));
        Assert.Equal(["node_b"], (await nodes.ListNodesAsync(Ct)).Select(n => n.Id));
    }

    private static CallChange Dial(Call call, string? lease) => new()
    {
        CallId = call.Id,
        Expected = [CallStatus.Queued, CallStatus.Scheduled],
        Next = CallStatus.Dialing,
        At = T0,
        LeaseToken = lease,
        NewAttempt = NewAttempt(call),
        Events = [new NewCallEvent(CallEventTypes.Dialing, new JsonObject())],
    };

    protected static CallChange Cancel(Call call) => Change(call, call.Status, CallStatus.Canceled, CallEventTypes.Canceled);

    protected static CallChange Change(Call call, CallStatus from, CallStatus to, string type) => new()
    {
        CallId = call.Id,
        Expected = [from],
        Next = to,
        At = T0.AddSeconds(2),
        Events = [new NewCallEvent(type, new JsonObject())],
    };

    [Fact]
    public async Task CountDueCalls_CountsScheduledAndQueuedCallsDueNow_LeasedOrNot()
    {
        var t = await TenantAsync();
        Assert.Equal(0, await Engine.Calls.CountDueCallsAsync(T0, Ct));
        await Engine.CreateCallAsync(Write(NewCall(t, "+15551230001")), Ct);
        await Engine.CreateCallAsync(Write(NewCall(t, "+15551230002", dueAt: T0.AddHours(1), status: CallStatus.Scheduled)), Ct);
        Assert.Equal(1, await Engine.Calls.CountDueCallsAsync(T0, Ct));
        Assert.Single(await Engine.Calls.ClaimDueCallsAsync(T0, 10, TimeSpan.FromSeconds(30), "lease-a", Ct));
        Assert.Equal(1, await Engine.Calls.CountDueCallsAsync(T0, Ct));
        Assert.Equal(2, await Engine.Calls.CountDueCallsAsync(T0.AddHours(1), Ct));
    }
}

/// <summary>The contract on SQLite, plus SQLite's group commit.</summary>
public sealed class SqliteStoreContract : StoreContract<SqliteEngine>
{
    [Fact]
    public async Task ConcurrentWrites_ShareCommits()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, CancellationToken.None);
        var before = Engine.Writer.Commits;
        var writes = Enumerable.Range(0, 400).Select(i =>
            Engine.CreateCallAsync(Write(NewCall(t, to: $"+1555{i:D7}")), CancellationToken.None));
        var results = await Task.WhenAll(writes);
        Assert.All(results, r => Assert.IsType<CreateCallResult.Created>(r));
        var commits = Engine.Writer.Commits - before;
        Assert.InRange(commits, 1, 399);
    }

    /// <summary>Guards the writer's statement cache: a repeated write compiles nothing new, and the cached statements run with
    /// each write's own values (a refused duplicate leaves nothing, the next call is stored as given). Statements that fail inside
    /// a write (unique violations rolled back to their savepoint) are covered by the contract's conflict tests, which reuse them.</summary>
    [Fact]
    public async Task RepeatedWrites_CompileEachStatementOnce_AndBindEachWritesValues()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, CancellationToken.None);
        await Engine.CreateCallAsync(Write(NewCall(t, to: "+15550000001")), CancellationToken.None);
        var compiled = Engine.Writer.CompiledStatements;
        for (var i = 2; i < 12; i++)
        {
            Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(NewCall(t, to: $"+1555{i:D7}")), CancellationToken.None));
        }
        Assert.Equal(compiled, Engine.Writer.CompiledStatements);

        var duplicate = NewCall(t, to: "+15550000001");
        Assert.IsType<CreateCallResult.Duplicate>(await Engine.CreateCallAsync(Write(duplicate), CancellationToken.None));
        var again = NewCall(t, to: "+15550000099");
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(again), CancellationToken.None));
        Assert.Equal("+15550000099", (await Engine.Calls.GetCallAsync(t.Account.Id, again.Id, CancellationToken.None))!.To);
        Assert.Null(await Engine.Calls.GetCallAsync(t.Account.Id, duplicate.Id, CancellationToken.None));
    }

    /// <summary>
    /// Reads reuse their connections (kept open with compiled statements), and a reused connection still sees every write
    /// committed since (no statement left holding an old snapshot); a read that fails or leaves a transaction open gives
    /// its connection up instead of returning it.
    /// </summary>
    [Fact]
    public async Task Reads_ReuseConnections_SeeLaterWrites_AndDropBrokenOnes()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, CancellationToken.None);
        var call = NewCall(t, to: "+15550000001");
        Assert.Null(await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, CancellationToken.None));
        var opened = Engine.Database.ReadersOpened;
        await Engine.CreateCallAsync(Write(call), CancellationToken.None);
        for (var i = 0; i < 20; i++)
        {
            Assert.NotNull(await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, CancellationToken.None));
            Assert.Equal(0, (await Engine.Calls.CountDueCallsAsync(T0.AddYears(-1), CancellationToken.None)));
        }
        Assert.True(await Engine.Changes.TryApplyAsync(Cancel(call), CancellationToken.None));
        Assert.Equal(CallStatus.Canceled, (await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, CancellationToken.None))!.Status);
        Assert.Equal(opened, Engine.Database.ReadersOpened);

        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() =>
            Engine.Database.ReadAsync(c => c.QueryAsync<long>("SELECT no_such_column FROM calls;"), CancellationToken.None));
        Assert.Equal(1, await Engine.Database.ReadAsync(async c =>
        {
            await c.ExecuteAsync("BEGIN;");
            return await c.ExecuteScalarAsync<long>("SELECT 1;");
        }, CancellationToken.None));
        Assert.NotNull(await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, CancellationToken.None));
        // The failed read closed the idle connection, the read that left a transaction open closed the one it opened, and
        // the last read opened another.
        Assert.Equal(opened + 2, Engine.Database.ReadersOpened);

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Engine.Calls.GetCallAsync(t.Account.Id, call.Id, CancellationToken.None)));
        Assert.All(concurrent, Assert.NotNull);
    }

    /// <summary>The writer keeps its savepoints' sub-journal in memory (a temporary file cost most of its writes; bench/README.md).</summary>
    [Fact]
    public async Task Writer_KeepsSavepointJournalsInMemory()
    {
        Assert.Equal(2, await Engine.Writer.WriteAsync(c => c.ExecuteScalar<long>("PRAGMA temp_store;"), CancellationToken.None));
    }

    [Fact]
    public async Task Migrate_IsIdempotent_AndRecordsVersion()
    {
        Assert.Equal(12, await Engine.Database.MigrateAsync(CancellationToken.None));
        Assert.Equal(12, await Engine.Database.MigrateAsync(CancellationToken.None));
    }
}

/// <summary>The contract on PostgreSQL, plus what several nodes over one database need from it.</summary>
public sealed class PostgresStoreContract : StoreContract<PostgresEngine>
{
    [Fact]
    public async Task Migrate_IsIdempotent_AndConcurrentNodesMigrateOnce()
    {
        // Four nodes starting together: the advisory lock makes one of them migrate, the others find it done.
        var nodes = Enumerable.Range(0, 4).Select(_ => new Postgres.PostgresDatabase(Engine.ConnectionString)).ToList();
        var versions = await Task.WhenAll(nodes.Select(n => n.MigrateAsync(CancellationToken.None)));
        Assert.All(versions, v => Assert.Equal(Postgres.PostgresDatabase.LatestVersion, v));
        Assert.Equal(Postgres.PostgresDatabase.LatestVersion, await Engine.Database.AppliedVersionAsync(CancellationToken.None));
        foreach (var n in nodes)
        {
            await n.DisposeAsync();
        }
    }

    [Fact]
    public async Task ConcurrentClaimsFromSeveralNodes_TakeEachCallOnce()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, CancellationToken.None);
        for (var i = 0; i < 300; i++)
        {
            await Engine.CreateCallAsync(Write(NewCall(t, to: $"+1555{i:D7}")), CancellationToken.None);
        }
        // Three nodes, each with its own pool, claiming in small batches at the same time until nothing is left.
        var nodes = Enumerable.Range(0, 3).Select(_ => new Postgres.PostgresDatabase(Engine.ConnectionString)).ToList();
        var stores = nodes.Select(n => new Postgres.PostgresStore(n)).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claiming = stores.Select((s, i) => Task.Run(async () =>
        {
            await start.Task;
            var mine = new List<string>();
            while (true)
            {
                var batch = await s.ClaimDueCallsAsync(T0, 7, TimeSpan.FromMinutes(5), $"node-{i}", CancellationToken.None);
                if (batch.Count == 0)
                {
                    return mine;
                }
                mine.AddRange(batch.Select(c => c.Id));
                await Task.Yield();
            }
        })).ToList();
        start.SetResult();
        var claimed = await Task.WhenAll(claiming);
        var all = claimed.SelectMany(c => c).ToList();
        Assert.Equal(300, all.Count);
        Assert.Equal(300, all.Distinct(StringComparer.Ordinal).Count());
        // The nodes shared the work (on a loaded machine one of the three may be scheduled too late to get any).
        Assert.True(claimed.Count(c => c.Count > 0) >= 2, "one node claimed everything");
        foreach (var n in nodes)
        {
            await n.DisposeAsync();
        }
    }

    [Fact]
    public async Task AfterTheServerRestarts_ReadsAndWritesGoOn_OnNewConnections()
    {
        // A cluster of this test's own: restarting the shared one would break the tests running beside it.
        await using var cluster = await PostgresCluster.StartAsync();
        var db = new Postgres.PostgresDatabase(await PostgresTestServer.CreateDatabaseAsync(cluster.ConnectionString));
        await db.MigrateAsync(CancellationToken.None);
        var store = new Postgres.PostgresStore(db);
        var t = NewTenant();
        await store.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, CancellationToken.None);
        // Several pooled connections, idle when the server goes away: each would fail once in use if kept.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.GetAccountAsync(t.Account.Id, CancellationToken.None)));
        for (var i = 0; i < 8; i++)
        {
            await store.CreateCallAsync(Write(NewCall(t, to: $"+1555888{i:D4}")), CancellationToken.None);
        }

        await cluster.RestartAsync();

        // Reads and writes straight after: none fails, none is lost or doubled. Counting first: every read goes through the
        // engine's retrying read (the counts once opened a connection of their own and failed once on a dead one).
        Assert.Equal(8, await store.CountDueCallsAsync(T0.AddHours(1), CancellationToken.None));
        Assert.Equal(0, await store.CountDueDeliveriesAsync(T0.AddHours(1), CancellationToken.None));
        Assert.NotNull(await store.GetAccountAsync(t.Account.Id, CancellationToken.None));
        var after = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            store.CreateCallAsync(Write(NewCall(t, to: $"+1555999{i:D4}")), CancellationToken.None)));
        Assert.All(after, r => Assert.IsType<CreateCallResult.Created>(r));
        var claimed = await store.ClaimDueCallsAsync(T0.AddHours(1), 100, TimeSpan.FromMinutes(5), "node-1", CancellationToken.None);
        Assert.Equal(16, claimed.Count);
        await db.DisposeAsync();
    }

    [Fact]
    public async Task SharedIdempotencyGates_OnThreeNodes_LetOneRequestOfAKeyIn()
    {
        // Three nodes, each with its own pool and identity: a key in flight on one is in flight on all (the 409), until released.
        var nodes = Enumerable.Range(0, 3).Select(_ => new Postgres.PostgresDatabase(Engine.ConnectionString)).ToList();
        var gates = nodes.Select(n => new Core.Intake.SharedIdempotencyGate(new Postgres.PostgresStore(n), new Core.Nodes.NodeIdentity(TimeProvider.System), TimeProvider.System)).ToList();
        var entered = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () => await gates[i % 3].TryEnterAsync("acc_1", "key-1", CancellationToken.None))));
        Assert.Single(entered, e => e);
        var holder = gates[Array.IndexOf(entered, true) % 3];
        Assert.False(await gates[(Array.IndexOf(entered, true) + 1) % 3].TryEnterAsync("acc_1", "key-1", CancellationToken.None));
        await holder.ExitAsync("acc_1", "key-1");
        Assert.True(await gates[(Array.IndexOf(entered, true) + 1) % 3].TryEnterAsync("acc_1", "key-1", CancellationToken.None));
        foreach (var n in nodes)
        {
            await n.DisposeAsync();
        }
    }

    [Fact]
    public async Task WorkSignalledOnOneNode_WakesTheOtherNodesWorkers_ThroughNotify()
    {
        // Two nodes' relays (PostgresWakeups) on one database, each with its own pool, identity and signals.
        var nodes = Enumerable.Range(0, 2).Select(_ => (
            Db: new Postgres.PostgresDatabase(Engine.ConnectionString),
            Dispatch: new Core.Common.DispatchSignal(),
            Outbox: new Core.Webhooks.OutboxSignal())).ToList();
        var relays = nodes.Select(n => new Postgres.PostgresWakeups(n.Db, n.Dispatch, n.Outbox, new Core.Nodes.NodeIdentity(TimeProvider.System),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Postgres.PostgresWakeups>.Instance)).ToList();
        // Woken (not timed out: the wait is an hour) within the test's patience, or not at all.
        static async Task<bool> WokenAsync(Core.Common.WorkSignal signal)
        {
            var wait = signal.WaitAsync(TimeSpan.FromHours(1), TimeProvider.System, CancellationToken.None);
            return await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30))) == wait;
        }
        foreach (var relay in relays)
        {
            await relay.StartAsync(CancellationToken.None);
        }
        try
        {
            // Each relay wakes its own workers once when it starts listening: from then on, it hears the others.
            foreach (var n in nodes)
            {
                Assert.True(await WokenAsync(n.Dispatch));
                Assert.True(await WokenAsync(n.Outbox));
            }
            nodes[0].Dispatch.Notify(); // a call accepted for now on node 0
            Assert.True(await WokenAsync(nodes[1].Dispatch), "node 1's dispatcher was not woken");
            nodes[1].Outbox.Notify(); // webhook deliveries written on node 1
            Assert.True(await WokenAsync(nodes[0].Outbox), "node 0's deliverer was not woken");
        }
        finally
        {
            foreach (var relay in relays)
            {
                await relay.StopAsync(CancellationToken.None);
            }
            foreach (var n in nodes)
            {
                await n.Db.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ConcurrentCreatesWithOneIdempotencyKey_CreateOneCall()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, CancellationToken.None);
        var nodes = Enumerable.Range(0, 3).Select(_ => new Postgres.PostgresDatabase(Engine.ConnectionString)).ToList();
        var stores = nodes.Select(n => new Postgres.PostgresStore(n)).ToList();
        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() =>
        {
            var call = NewCall(t, to: "+15557770000") with { Id = $"call_{i:D4}" };
            return stores[i % 3].CreateCallAsync(Write(call, new IdempotencyRecord("key-1", "hash-1", 201, $"{{\"id\":\"{call.Id}\"}}")), CancellationToken.None);
        })));
        Assert.Single(results.OfType<CreateCallResult.Created>());
        Assert.Equal(23, results.OfType<CreateCallResult.Replay>().Count());
        foreach (var n in nodes)
        {
            await n.DisposeAsync();
        }
    }
}
