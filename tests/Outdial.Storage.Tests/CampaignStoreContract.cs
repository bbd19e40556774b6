using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Storage;
using Xunit;
using static Outdial.Storage.Tests.TestData;

namespace Outdial.Storage.Tests;

/// <summary>
/// Campaigns, their contacts and imports as every storage engine must keep them: names unique per account among live
/// campaigns, optimistic versions, duplicates refused per campaign by the database, import progress written with its rows,
/// and dispatch holding back the calls of campaigns that are not active.
/// </summary>
public abstract class CampaignStoreContract<TEngine> : IAsyncLifetime where TEngine : IStoreEngine, new()
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected TEngine Engine { get; } = new();

    public Task InitializeAsync() => Engine.InitializeAsync();

    public async Task DisposeAsync() => await Engine.DisposeAsync();

    private async Task<Tenant> TenantAsync()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, Ct);
        return t;
    }

    private async Task<Campaign> CampaignAsync(Tenant t, string name = "Spring reminders", CampaignStatus status = CampaignStatus.Active,
        DateTimeOffset? at = null)
    {
        var c = NewCampaign(t, name, status, at);
        Assert.Equal(UpsertResult.Ok, await Engine.Campaigns.CreateCampaignAsync(c, Ct));
        return c;
    }

    private async Task<Call> CallAsync(Tenant t, Campaign? campaign, string to, CallStatus status = CallStatus.Queued,
        DateTimeOffset? dueAt = null, bool isTest = false)
    {
        var call = NewCall(t, to: to, campaignId: campaign?.Id, status: status, dueAt: dueAt) with { IsTest = isTest };
        Assert.IsType<CreateCallResult.Created>(await Engine.CreateCallAsync(Write(call), Ct));
        return call;
    }

    private async Task<bool> MoveAsync(Call call, CallStatus from, CallStatus to, Attempt? newAttempt = null, Attempt? attemptUpdate = null,
        CallOutcome? outcome = null, string? reason = null, CallStatus? via = null) =>
        await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id,
            Expected = [from],
            Next = to,
            Via = via,
            At = T0.AddSeconds(1),
            NewAttempt = newAttempt,
            AttemptUpdate = attemptUpdate,
            Outcome = outcome,
            StatusReason = reason,
            Events = [new NewCallEvent(CallEventTypes.Dialing, new JsonObject())],
        }, Ct);

    [Fact]
    public async Task CreateCampaign_NameUniquePerAccount_FreedByDelete()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var first = await CampaignAsync(t, "Renewals");
        Assert.Equal(UpsertResult.Conflict, await Engine.Campaigns.CreateCampaignAsync(NewCampaign(t, "Renewals"), Ct));
        Assert.Equal(UpsertResult.Ok, await Engine.Campaigns.CreateCampaignAsync(NewCampaign(other, "Renewals"), Ct));

        Assert.True(await Engine.Campaigns.DeleteCampaignAsync(t.Account.Id, first.Id, T0.AddHours(1), Ct));
        Assert.False(await Engine.Campaigns.DeleteCampaignAsync(t.Account.Id, first.Id, T0.AddHours(1), Ct));
        Assert.Null(await Engine.Campaigns.GetCampaignAsync(t.Account.Id, first.Id, Ct));
        Assert.Null(await Engine.Campaigns.GetCampaignByIdAsync(first.Id, Ct));
        Assert.Null(await Engine.Campaigns.FindCampaignByNameAsync(t.Account.Id, "Renewals", Ct));
        Assert.Equal(UpsertResult.Ok, await Engine.Campaigns.CreateCampaignAsync(NewCampaign(t, "Renewals"), Ct));
    }

    [Fact]
    public async Task GetCampaign_IsScopedToAccount_ById_AndByName()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var c = await CampaignAsync(t);
        var read = await Engine.Campaigns.GetCampaignAsync(t.Account.Id, c.Id, Ct);
        Assert.Equal(c.Name, read!.Name);
        Assert.Equal([t.Number.Id], read.CallerIds);
        Assert.Equal(c.Pacing, read.Pacing);
        Assert.Null(await Engine.Campaigns.GetCampaignAsync(other.Account.Id, c.Id, Ct));
        Assert.Equal(c.Id, (await Engine.Campaigns.GetCampaignByIdAsync(c.Id, Ct))!.Id);
        Assert.Equal(c.Id, (await Engine.Campaigns.FindCampaignByNameAsync(t.Account.Id, c.Name, Ct))!.Id);
        Assert.Null(await Engine.Campaigns.FindCampaignByNameAsync(other.Account.Id, c.Name, Ct));
        Assert.Null(await Engine.Campaigns.FindCampaignByNameAsync(t.Account.Id, c.Name.ToUpperInvariant(), Ct));
        Assert.False(await Engine.Campaigns.DeleteCampaignAsync(other.Account.Id, c.Id, T0, Ct));
    }

    [Fact]
    public async Task UpdateCampaign_NeedsThePreviousVersion_AndAFreeName()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var c = await CampaignAsync(t, "A");
        await CampaignAsync(t, "B");
        var paused = c with { Status = CampaignStatus.Paused, Version = 2, UpdatedAt = T0.AddMinutes(1) };
        Assert.Equal(UpsertResult.Ok, await Engine.Campaigns.UpdateCampaignAsync(paused, Ct));
        // A writer holding version 1 lost: re-read and retry.
        Assert.Equal(UpsertResult.NotFound, await Engine.Campaigns.UpdateCampaignAsync(c with { Name = "A2", Version = 2 }, Ct));
        Assert.Equal(UpsertResult.Conflict, await Engine.Campaigns.UpdateCampaignAsync(paused with { Name = "B", Version = 3 }, Ct));
        Assert.Equal(UpsertResult.NotFound, await Engine.Campaigns.UpdateCampaignAsync(paused with { AccountId = other.Account.Id, Version = 3 }, Ct));
        Assert.Equal(UpsertResult.NotFound, await Engine.Campaigns.UpdateCampaignAsync(NewCampaign(t, "C") with { Version = 2 }, Ct));
        var read = (await Engine.Campaigns.GetCampaignAsync(t.Account.Id, c.Id, Ct))!;
        Assert.Equal((CampaignStatus.Paused, 2L, "A"), (read.Status, read.Version, read.Name));

        Assert.True(await Engine.Campaigns.DeleteCampaignAsync(t.Account.Id, c.Id, T0.AddHours(1), Ct));
        Assert.Equal(UpsertResult.NotFound, await Engine.Campaigns.UpdateCampaignAsync(paused with { Version = 3 }, Ct));
    }

    [Fact]
    public async Task ListCampaigns_NewestFirst_PagesAndFiltersByStatus_ActiveListSpansAccounts()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var status = i % 2 == 0 ? CampaignStatus.Active : CampaignStatus.Paused;
            ids.Add((await CampaignAsync(t, $"c{i}", status, T0.AddSeconds(i))).Id);
        }
        var otherActive = await CampaignAsync(other, "x", CampaignStatus.Active, T0.AddSeconds(10));
        await CampaignAsync(other, "draft", CampaignStatus.Draft, T0.AddSeconds(11));

        var page1 = await Engine.Campaigns.ListCampaignsAsync(t.Account.Id, 2, null, null, Ct);
        Assert.Equal([ids[4], ids[3]], page1.Select(c => c.Id));
        var page2 = await Engine.Campaigns.ListCampaignsAsync(t.Account.Id, 10, page1[^1].Id, null, Ct);
        Assert.Equal([ids[2], ids[1], ids[0]], page2.Select(c => c.Id));
        Assert.Equal([ids[3], ids[1]], (await Engine.Campaigns.ListCampaignsAsync(t.Account.Id, 10, null, CampaignStatus.Paused, Ct)).Select(c => c.Id));

        Assert.True(await Engine.Campaigns.DeleteCampaignAsync(t.Account.Id, ids[4], T0, Ct));
        Assert.DoesNotContain(ids[4], (await Engine.Campaigns.ListCampaignsAsync(t.Account.Id, 10, null, null, Ct)).Select(c => c.Id));
        var active = (await Engine.Campaigns.ListActiveCampaignsAsync(Ct)).Select(c => c.Id).Order();
        Assert.Equal(new[] { ids[0], ids[2], otherActive.Id }.Order(), active);
    }

    [Fact]
    public async Task Claim_HoldsBackCallsOfCampaignsNotActive_UntilResumed()
    {
        var t = await TenantAsync();
        var active = await CampaignAsync(t, "active");
        var paused = await CampaignAsync(t, "paused", CampaignStatus.Paused);
        var draft = await CampaignAsync(t, "draft", CampaignStatus.Draft);
        var completed = await CampaignAsync(t, "completed", CampaignStatus.Completed);
        var deleted = await CampaignAsync(t, "deleted");
        Assert.True(await Engine.Campaigns.DeleteCampaignAsync(t.Account.Id, deleted.Id, T0, Ct));

        var single = await CallAsync(t, null, "+15551230001");
        var ofActive = await CallAsync(t, active, "+15551230002");
        var ofPaused = await CallAsync(t, paused, "+15551230003");
        await CallAsync(t, draft, "+15551230004");
        await CallAsync(t, completed, "+15551230005");
        await CallAsync(t, deleted, "+15551230006");
        var expiringOfPaused = NewCall(t, to: "+15551230007", campaignId: paused.Id, dueAt: T0.AddHours(1), expiresAt: T0.AddSeconds(-1),
            status: CallStatus.Scheduled);
        await Engine.CreateCallAsync(Write(expiringOfPaused), Ct);

        var claimed = await Engine.Calls.ClaimDueCallsAsync(T0, 100, Lease, "l1", Ct);
        Assert.Equal(new[] { single.Id, ofActive.Id }.Order(), claimed.Select(c => c.Id).Order());

        var resumed = paused with { Status = CampaignStatus.Active, Version = 2 };
        Assert.Equal(UpsertResult.Ok, await Engine.Campaigns.UpdateCampaignAsync(resumed, Ct));
        var after = await Engine.Calls.ClaimDueCallsAsync(T0, 100, Lease, "l2", Ct);
        Assert.Equal(new[] { ofPaused.Id, expiringOfPaused.Id }.Order(), after.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task AddContacts_RefusesDuplicatePhonePerCampaign_NotAcrossCampaigns()
    {
        var t = await TenantAsync();
        var a = await CampaignAsync(t, "a");
        var b = await CampaignAsync(t, "b");
        var first = await Engine.Campaigns.AddContactsAsync(new ContactBatch(t.Account.Id, a.Id,
            [NewContact(a, "+15551230001"), NewContact(a, "+15551230002"), NewContact(a, "+15551230001")], null), Ct);
        Assert.Equal([true, true, false], first.Inserted);
        Assert.Null(first.Import);
        var again = await Engine.Campaigns.AddContactsAsync(new ContactBatch(t.Account.Id, a.Id,
            [NewContact(a, "+15551230002"), NewContact(a, "+15551230003")], null), Ct);
        Assert.Equal([false, true], again.Inserted);
        var inB = await Engine.Campaigns.AddContactsAsync(new ContactBatch(t.Account.Id, b.Id, [NewContact(b, "+15551230001")], null), Ct);
        Assert.Equal([true], inB.Inserted);
        Assert.Equal(3, (await Engine.Campaigns.ListPendingContactsAsync(a.Id, 10, Ct)).Count);
        Assert.Single(await Engine.Campaigns.ListPendingContactsAsync(b.Id, 10, Ct));
    }

    [Fact]
    public async Task AddContacts_KeepsFieldsAndZone_ListsPendingInTheOrderAdded()
    {
        var t = await TenantAsync();
        var c = await CampaignAsync(t);
        // One batch shares a millisecond: the order is the batch's (file) order, not the ids'.
        var oldest = NewContact(c, "+15551230009", at: T0.AddSeconds(1), timeZone: "America/Chicago",
            fields: new Dictionary<string, string> { ["name"] = "Ann", ["plan"] = "gold" });
        var middle = NewContact(c, "+15551230001", at: T0.AddSeconds(1));
        var skipped = NewContact(c, "+15551230004", ContactStatus.Skipped, "dnc_listed", at: T0.AddSeconds(1));
        var newest = NewContact(c, "+15551230005", at: T0.AddSeconds(1));
        await Engine.Campaigns.AddContactsAsync(new ContactBatch(t.Account.Id, c.Id, [oldest, middle, skipped, newest], null), Ct);

        var pending = await Engine.Campaigns.ListPendingContactsAsync(c.Id, 10, Ct);
        Assert.Equal([oldest.Id, middle.Id, newest.Id], pending.Select(p => p.Id));
        Assert.Equal("America/Chicago", pending[0].TimeZone);
        Assert.Equal("Ann", pending[0].Fields["name"]);
        Assert.Equal("gold", pending[0].Fields["plan"]);
        Assert.Empty(pending[1].Fields);
        Assert.Null(pending[1].TimeZone);
        Assert.Equal((t.Account.Id, c.Id, "+15551230009", T0.AddSeconds(1)), (pending[0].AccountId, pending[0].CampaignId, pending[0].Phone, pending[0].CreatedAt));
        Assert.Equal([oldest.Id, middle.Id], (await Engine.Campaigns.ListPendingContactsAsync(c.Id, 2, Ct)).Select(p => p.Id));
    }

    [Fact]
    public async Task MarkContact_ChangesOnlyPendingContacts_SkipPendingSkipsTheRest()
    {
        var t = await TenantAsync();
        var c = await CampaignAsync(t);
        var batch = Contacts(c, 1, 4);
        await Engine.Campaigns.AddContactsAsync(batch, Ct);
        var (called, skipped) = (batch.Contacts[0], batch.Contacts[1]);
        await Engine.Campaigns.MarkContactAsync(called.Id, ContactStatus.Called, "call_1", null, Ct);
        await Engine.Campaigns.MarkContactAsync(skipped.Id, ContactStatus.Skipped, null, "frequency_cap", Ct);
        // A called contact is not skipped afterwards.
        await Engine.Campaigns.MarkContactAsync(called.Id, ContactStatus.Skipped, null, "late", Ct);
        Assert.Equal([batch.Contacts[2].Id, batch.Contacts[3].Id], (await Engine.Campaigns.ListPendingContactsAsync(c.Id, 10, Ct)).Select(p => p.Id));

        Assert.Equal(2, await Engine.Campaigns.SkipPendingContactsAsync(c.Id, "campaign_canceled", Ct));
        Assert.Equal(0, await Engine.Campaigns.SkipPendingContactsAsync(c.Id, "campaign_canceled", Ct));
        Assert.Empty(await Engine.Campaigns.ListPendingContactsAsync(c.Id, 10, Ct));
        var counts = await Engine.Campaigns.GetCampaignCountsAsync(c.Id, Ct);
        Assert.Equal(1, counts.ContactsByStatus["called"]);
        Assert.Equal(3, counts.ContactsByStatus["skipped"]);
        Assert.False(counts.ContactsByStatus.ContainsKey("pending"));
        Assert.Equal(2, counts.SkippedByReason["campaign_canceled"]);
        Assert.Equal(1, counts.SkippedByReason["frequency_cap"]);
        Assert.False(counts.SkippedByReason.ContainsKey("late"));
    }

    [Fact]
    public async Task Import_ProgressStoredWithItsRows_CountsEachRowOnce()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var c = await CampaignAsync(t);
        var import = NewImport(c);
        await Engine.Campaigns.CreateImportAsync(import, Ct);
        await Engine.Campaigns.AddContactsAsync(new ContactBatch(t.Account.Id, c.Id, [NewContact(c, "+15551230001")], null), Ct);

        // The caller read 6 rows: one invalid (not in the batch), one DNC-suppressed (in the batch, skipped), four pending
        // of which one the campaign already has and one repeated within the batch.
        var progress = import with { RowsRead = 6, BytesRead = 300, Invalid = 1, DncSuppressed = 1, Errors = [new ImportRowError(4, "invalid_phone")] };
        var batch = new ContactBatch(t.Account.Id, c.Id,
        [
            NewContact(c, "+15551230001", importId: import.Id),
            NewContact(c, "+15551230002", importId: import.Id),
            NewContact(c, "+15551230003", importId: import.Id),
            NewContact(c, "+15551230003", importId: import.Id),
            NewContact(c, "+15551230009", ContactStatus.Skipped, "dnc_listed", import.Id),
        ], progress);
        var result = await Engine.Campaigns.AddContactsAsync(batch, Ct);
        Assert.Equal([false, true, true, false, true], result.Inserted);
        Assert.Equal((2L, 2L, 1L, 1L, 6L), (result.Import!.Accepted, result.Import.Duplicate, result.Import.Invalid, result.Import.DncSuppressed, result.Import.RowsRead));
        var stored = (await Engine.Campaigns.GetImportAsync(t.Account.Id, import.Id, Ct))!;
        Assert.Equal((2L, 2L, 300L), (stored.Accepted, stored.Duplicate, stored.BytesRead));
        Assert.Equal("invalid_phone", Assert.Single(stored.Errors).Reason);
        Assert.Null(await Engine.Campaigns.GetImportAsync(other.Account.Id, import.Id, Ct));

        // The next batch adds to what was stored.
        var next = await Engine.Campaigns.AddContactsAsync(new ContactBatch(t.Account.Id, c.Id,
            [NewContact(c, "+15551230004", importId: import.Id), NewContact(c, "+15551230002", importId: import.Id)], stored with { RowsRead = 8 }), Ct);
        Assert.Equal((3L, 3L, 8L), (next.Import!.Accepted, next.Import.Duplicate, next.Import.RowsRead));
        var counts = await Engine.Campaigns.GetCampaignCountsAsync(c.Id, Ct);
        Assert.Equal(4, counts.ContactsByStatus["pending"]);
        Assert.Equal(1, counts.SkippedByReason["dnc_listed"]);
    }

    [Fact]
    public async Task Imports_UpdatedListedByCampaignNewestFirst_RunningListSpansAccounts()
    {
        var t = await TenantAsync();
        var other = await TenantAsync();
        var c = await CampaignAsync(t);
        var d = await CampaignAsync(t, "other campaign");
        var older = NewImport(c, T0);
        var newer = NewImport(c, T0.AddMinutes(1));
        var elsewhere = NewImport(d, T0.AddMinutes(2));
        var foreign = NewImport(await CampaignAsync(other), T0.AddMinutes(3));
        foreach (var i in new[] { older, newer, elsewhere, foreign })
        {
            await Engine.Campaigns.CreateImportAsync(i, Ct);
        }
        Assert.Equal([newer.Id, older.Id], (await Engine.Campaigns.ListImportsAsync(t.Account.Id, c.Id, Ct)).Select(i => i.Id));
        Assert.Empty(await Engine.Campaigns.ListImportsAsync(other.Account.Id, c.Id, Ct));

        var failed = older with { Status = ImportStatus.Failed, FailureReason = "malformed JSON at byte 120", FinishedAt = T0.AddMinutes(5) };
        await Engine.Campaigns.UpdateImportAsync(failed, Ct);
        // Another account cannot overwrite it.
        await Engine.Campaigns.UpdateImportAsync(failed with { AccountId = other.Account.Id, FailureReason = "x" }, Ct);
        var read = (await Engine.Campaigns.GetImportAsync(t.Account.Id, older.Id, Ct))!;
        Assert.Equal((ImportStatus.Failed, "malformed JSON at byte 120"), (read.Status, read.FailureReason));
        Assert.Equal(new[] { newer.Id, elsewhere.Id, foreign.Id }.Order(), (await Engine.Campaigns.ListRunningImportsAsync(Ct)).Select(i => i.Id).Order());
    }

    [Fact]
    public async Task WorkQueries_CountOpenAndActiveCalls_AndUnfinishedWork()
    {
        var t = await TenantAsync();
        var c = await CampaignAsync(t);
        var idle = await CampaignAsync(t, "idle");
        Assert.False(await Engine.Campaigns.HasAnyWorkAsync(c.Id, Ct));
        Assert.False(await Engine.Campaigns.HasUnfinishedWorkAsync(c.Id, Ct));

        var batch = Contacts(c, 1, 1);
        await Engine.Campaigns.AddContactsAsync(batch, Ct);
        Assert.True(await Engine.Campaigns.HasAnyWorkAsync(c.Id, Ct));
        Assert.True(await Engine.Campaigns.HasUnfinishedWorkAsync(c.Id, Ct));
        await Engine.Campaigns.MarkContactAsync(batch.Contacts[0].Id, ContactStatus.Skipped, null, "dnc_listed", Ct);
        Assert.True(await Engine.Campaigns.HasAnyWorkAsync(c.Id, Ct));
        Assert.False(await Engine.Campaigns.HasUnfinishedWorkAsync(c.Id, Ct));

        var dialing = await CallAsync(t, c, "+15551230001");
        Assert.True(await MoveAsync(dialing, CallStatus.Queued, CallStatus.Dialing, NewAttempt(dialing)));
        var dueSoon = await CallAsync(t, c, "+15551230002", CallStatus.Scheduled, T0.AddMinutes(1));
        await CallAsync(t, c, "+15551230003", CallStatus.Scheduled, T0.AddHours(1));
        var single = await CallAsync(t, null, "+15551230004");
        Assert.True(await MoveAsync(single, CallStatus.Queued, CallStatus.Dialing, NewAttempt(single)));

        Assert.Equal(2, await Engine.Campaigns.CountOpenCallsAsync(c.Id, T0.AddMinutes(5), Ct));
        Assert.Equal(3, await Engine.Campaigns.CountOpenCallsAsync(c.Id, T0.AddHours(2), Ct));
        Assert.Equal(0, await Engine.Campaigns.CountOpenCallsAsync(idle.Id, T0.AddHours(2), Ct));
        var active = await Engine.Campaigns.CountActiveCallsByCampaignAsync(Ct);
        Assert.Equal(1, Assert.Single(active).Value);
        Assert.Equal(c.Id, active.Keys.Single());
        Assert.True(await Engine.Campaigns.HasUnfinishedWorkAsync(c.Id, Ct));

        Assert.True(await MoveAsync(dialing, CallStatus.Dialing, CallStatus.Ended, outcome: CallOutcome.Busy));
        Assert.Empty(await Engine.Campaigns.CountActiveCallsByCampaignAsync(Ct));
        Assert.True(await Engine.Campaigns.HasUnfinishedWorkAsync(c.Id, Ct));
        await Engine.Changes.TryApplyAsync(new CallChange { CallId = dueSoon.Id, Expected = [CallStatus.Scheduled], Next = CallStatus.Canceled, At = T0 }, Ct);
        Assert.Equal(1, await Engine.Campaigns.CountOpenCallsAsync(c.Id, T0.AddHours(2), Ct));
    }

    [Fact]
    public async Task CampaignCounts_CountContactsCallsOutcomesAndAttempts_LeavingOutTestCalls()
    {
        var t = await TenantAsync();
        var c = await CampaignAsync(t);
        await Engine.Campaigns.AddContactsAsync(new ContactBatch(t.Account.Id, c.Id,
            [NewContact(c, "+15551230001"), NewContact(c, "+15551230002", ContactStatus.Skipped, "dnc_listed")], null), Ct);

        // Human answer: in progress, then ended answered.
        var human = await CallAsync(t, c, "+15551230010");
        var humanAttempt = NewAttempt(human);
        Assert.True(await MoveAsync(human, CallStatus.Queued, CallStatus.Dialing, humanAttempt));
        var answered = humanAttempt with
        {
            Status = AttemptStatus.InProgress, AnsweredAt = T0.AddSeconds(5), AnsweredBy = AnsweredBy.Human, Version = 2, UpdatedAt = T0.AddSeconds(5),
        };
        Assert.True(await MoveAsync(human, CallStatus.Dialing, CallStatus.InProgress, attemptUpdate: answered));
        var humanDone = answered with { Status = AttemptStatus.Completed, Outcome = CallOutcome.Answered, Version = 3 };
        Assert.True(await MoveAsync(human, CallStatus.InProgress, CallStatus.Ended, attemptUpdate: humanDone, outcome: CallOutcome.Answered));

        // Voicemail on the first attempt, no answer on the second (call still ended no_answer).
        var machine = await CallAsync(t, c, "+15551230011");
        var first = NewAttempt(machine);
        Assert.True(await MoveAsync(machine, CallStatus.Queued, CallStatus.Dialing, first));
        Assert.True(await MoveAsync(machine, CallStatus.Dialing, CallStatus.Scheduled,
            attemptUpdate: first with { Status = AttemptStatus.Completed, Outcome = CallOutcome.Voicemail, Version = 2 }));
        var second = NewAttempt(machine, 2, T0.AddHours(1));
        Assert.True(await MoveAsync(machine, CallStatus.Scheduled, CallStatus.Dialing, second, via: CallStatus.Queued));
        Assert.True(await MoveAsync(machine, CallStatus.Dialing, CallStatus.Ended,
            attemptUpdate: second with { Status = AttemptStatus.Completed, Outcome = CallOutcome.NoAnswer, Version = 2 }, outcome: CallOutcome.NoAnswer));

        var blocked = await CallAsync(t, c, "+15551230012");
        Assert.True(await MoveAsync(blocked, CallStatus.Queued, CallStatus.Blocked, reason: "dnc_listed"));
        var expired = await CallAsync(t, c, "+15551230013", CallStatus.Scheduled, T0.AddHours(3));
        Assert.True(await MoveAsync(expired, CallStatus.Scheduled, CallStatus.Expired));
        await CallAsync(t, c, "+15551230014", CallStatus.Scheduled, T0.AddHours(2));
        await CallAsync(t, c, "+15551230015", CallStatus.Scheduled, T0.AddMinutes(30));

        // A test call, answered by a human, counts nowhere.
        var test = await CallAsync(t, c, "+15551230016", isTest: true);
        var testAttempt = NewAttempt(test);
        Assert.True(await MoveAsync(test, CallStatus.Queued, CallStatus.Dialing, testAttempt));
        Assert.True(await MoveAsync(test, CallStatus.Dialing, CallStatus.Ended, outcome: CallOutcome.Answered,
            attemptUpdate: testAttempt with { Status = AttemptStatus.Completed, Outcome = CallOutcome.Answered, Version = 2 }));
        await CallAsync(t, c, "+15551230017", CallStatus.Scheduled, T0.AddMinutes(1), isTest: true);
        // Another campaign's call counts elsewhere.
        await CallAsync(t, await CampaignAsync(t, "other"), "+15551230018", CallStatus.Scheduled, T0.AddMinutes(1));

        var counts = await Engine.Campaigns.GetCampaignCountsAsync(c.Id, Ct);
        Assert.Equal(new Dictionary<string, long> { ["pending"] = 1, ["skipped"] = 1 }, counts.ContactsByStatus);
        Assert.Equal(new Dictionary<string, long> { ["dnc_listed"] = 2, ["expired"] = 1 }, counts.SkippedByReason);
        Assert.Equal(new Dictionary<string, long> { ["ended"] = 2, ["blocked"] = 1, ["expired"] = 1, ["scheduled"] = 2 }, counts.CallsByStatus);
        Assert.Equal(new Dictionary<string, long> { ["answered"] = 1, ["no_answer"] = 1 }, counts.EndedByOutcome);
        Assert.Equal((3L, 2L, 1L), (counts.Attempts, counts.AttemptsAnswered, counts.AttemptsAnsweredByHuman));
        Assert.Equal(T0.AddMinutes(30), counts.NextDueAt);

        var empty = await Engine.Campaigns.GetCampaignCountsAsync("cmp_none", Ct);
        Assert.Empty(empty.ContactsByStatus);
        Assert.Equal((0L, 0L, 0L), (empty.Attempts, empty.AttemptsAnswered, empty.AttemptsAnsweredByHuman));
        Assert.Null(empty.NextDueAt);
    }

    [Fact]
    public async Task CallStoresCampaignFields_ContactIdTestFlagAndZone()
    {
        var t = await TenantAsync();
        var c = await CampaignAsync(t);
        var call = NewCall(t, campaignId: c.Id) with { ContactId = "ct_1", IsTest = true, TimeZone = "Europe/Paris", ConsentRecordId = "cns_1" };
        await Engine.CreateCallAsync(Write(call), Ct);
        var read = (await Engine.Calls.GetCallAsync(t.Account.Id, call.Id, Ct))!;
        Assert.Equal(("ct_1", true, "Europe/Paris", "cns_1"), (read.ContactId, read.IsTest, read.TimeZone, read.ConsentRecordId));
    }

    [Fact]
    public async Task AddContacts_HundredThousandRowsInBatchesOfOneThousand_AllCounted()
    {
        var t = await TenantAsync();
        var c = await CampaignAsync(t);
        var import = NewImport(c);
        await Engine.Campaigns.CreateImportAsync(import, Ct);
        var progress = import;
        const int Batches = 100, Size = 1000, Overlap = 10;
        for (var b = 0; b < Batches; b++)
        {
            // Every tenth batch starts with the previous batch's last 10 numbers (and so leaves out its own last 10).
            var first = b * (long)Size - (b % 10 == 9 ? Overlap : 0);
            var result = await Engine.Campaigns.AddContactsAsync(Contacts(c, first, Size, progress with { RowsRead = progress.RowsRead + Size }), Ct);
            Assert.Equal(b % 10 == 9 ? Size - Overlap : Size, result.Inserted.Count(i => i));
            progress = result.Import!;
        }
        const long Duplicates = Overlap * (Batches / 10);
        const long Unique = Batches * (long)Size - Duplicates;
        Assert.Equal((Unique, Duplicates), (progress.Accepted, progress.Duplicate));
        var stored = (await Engine.Campaigns.GetImportAsync(t.Account.Id, import.Id, Ct))!;
        Assert.Equal((Unique, Duplicates, Batches * (long)Size), (stored.Accepted, stored.Duplicate, stored.RowsRead));
        Assert.Equal(Unique, (await Engine.Campaigns.GetCampaignCountsAsync(c.Id, Ct)).ContactsByStatus["pending"]);
        // Skipping them all works in chunks and counts every one.
        Assert.Equal(Unique, await Engine.Campaigns.SkipPendingContactsAsync(c.Id, "campaign_canceled", Ct));
        Assert.False(await Engine.Campaigns.HasUnfinishedWorkAsync(c.Id, Ct));
    }
}

public sealed class SqliteCampaignStoreContract : CampaignStoreContract<SqliteEngine>;

/// <summary>The contract on PostgreSQL.</summary>
public sealed class PostgresCampaignStoreContract : CampaignStoreContract<PostgresEngine>;
