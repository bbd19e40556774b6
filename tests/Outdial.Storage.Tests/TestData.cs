using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Storage;

namespace Outdial.Storage.Tests;

/// <summary>Builders for store rows.</summary>
public static class TestData
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);

    public sealed record Tenant(Account Account, Agent Agent, PhoneNumber Number, ApiKey Key, string Secret);

    public static Tenant NewTenant(DateTimeOffset? at = null)
    {
        var now = at ?? T0;
        var id = Ids.New("acc", now);
        var secret = ApiKeySecrets.Generate();
        var number = new PhoneNumber
        {
            Id = Ids.New("pn", now),
            AccountId = id,
            Number = "+15550000100",
            Provider = "sandbox",
            CallsPerSecond = 5,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var agent = new Agent
        {
            Id = Ids.New("agt", now),
            AccountId = id,
            Key = "default",
            Name = "Default",
            IsDefault = true,
            PhoneNumberId = number.Id,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return new Tenant(new Account(id, "Tenant", true, 10, now), agent, number,
            new ApiKey(Ids.New("key", now), id, "k", ApiKeySecrets.VisiblePrefix(secret), ApiKeySecrets.Hash(secret), now, null), secret);
    }

    public static Call NewCall(Tenant t, string to = "+15551230000", DateTimeOffset? at = null, string? campaignId = null,
        bool allowDuplicates = false, DateTimeOffset? dueAt = null, DateTimeOffset? expiresAt = null, CallStatus status = CallStatus.Queued)
    {
        var now = at ?? T0;
        return new Call
        {
            Id = Ids.New("call", now),
            AccountId = t.Account.Id,
            Status = status,
            To = to,
            From = t.Number.Number,
            PhoneNumberId = t.Number.Id,
            Provider = "sandbox",
            AgentId = t.Agent.Id,
            AgentSource = AgentSource.AccountDefault,
            CampaignId = campaignId,
            Retry = RetryPolicy.Single,
            AllowDuplicates = allowDuplicates,
            ExpiresAt = expiresAt,
            Decision = new IntakeDecision(status == CallStatus.Queued ? "queued" : "scheduled", dueAt ?? now, null),
            DueAt = dueAt ?? now,
            RingTimeoutSec = 30,
            MaxDurationSec = 600,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>A write of <paramref name="call"/>; a key's claim holds for intake's window before the call's creation.</summary>
    public static NewCall Write(Call call, IdempotencyRecord? idem = null) =>
        Core.Storage.NewCall.Plan(call, [new NewCallEvent(CallEventTypes.Queued, new System.Text.Json.Nodes.JsonObject { ["status"] = "queued" })], [], idem) with
        {
            IdempotencyValidAfter = call.CreatedAt - Core.Intake.CallIntake.IdempotencyWindow,
        };

    public static Attempt NewAttempt(Call call, int number = 1, DateTimeOffset? at = null)
    {
        var now = at ?? T0;
        return new Attempt
        {
            Id = Ids.New("att", now),
            CallId = call.Id,
            AccountId = call.AccountId,
            Number = number,
            Provider = "sandbox",
            Status = AttemptStatus.Dialing,
            To = call.To,
            From = call.From,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
    }

    public static Campaign NewCampaign(Tenant t, string name = "Spring reminders", CampaignStatus status = CampaignStatus.Active,
        DateTimeOffset? at = null)
    {
        var now = at ?? T0;
        return new Campaign
        {
            Id = Ids.New("cmp", now),
            AccountId = t.Account.Id,
            Name = name,
            Status = status,
            AgentId = t.Agent.Id,
            CallerIds = [t.Number.Id],
            Retry = new RetryPolicy(3, new Dictionary<CallOutcome, int>()),
            Pacing = new CampaignPacing(5, 1),
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
    }

    public static CampaignContact NewContact(Campaign campaign, string phone, ContactStatus status = ContactStatus.Pending,
        string? skipReason = null, string? importId = null, DateTimeOffset? at = null, IReadOnlyDictionary<string, string>? fields = null,
        string? timeZone = null)
    {
        var now = at ?? T0;
        return new CampaignContact
        {
            Id = Ids.New("ct", now),
            AccountId = campaign.AccountId,
            CampaignId = campaign.Id,
            Phone = phone,
            TimeZone = timeZone,
            Fields = fields ?? new Dictionary<string, string>(),
            Status = status,
            SkipReason = skipReason,
            ImportId = importId,
            CreatedAt = now,
        };
    }

    /// <summary>A contact batch of <paramref name="count"/> pending rows with consecutive numbers from <paramref name="first"/>.</summary>
    public static ContactBatch Contacts(Campaign campaign, long first, int count, ContactImport? progress = null) =>
        new(campaign.AccountId, campaign.Id,
            [.. Enumerable.Range(0, count).Select(i => NewContact(campaign, $"+1555{first + i:D7}", importId: progress?.Id))], progress);

    public static ContactImport NewImport(Campaign campaign, DateTimeOffset? at = null)
    {
        var now = at ?? T0;
        return new ContactImport
        {
            Id = Ids.New("imp", now),
            AccountId = campaign.AccountId,
            CampaignId = campaign.Id,
            Status = ImportStatus.Running,
            Format = "csv",
            TotalBytes = 1000,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    public static DncEntry Dnc(Tenant t, string number, bool optOut = false, string source = "api", string? reason = null, DateTimeOffset? at = null) =>
        new(t.Account.Id, number, reason, source, optOut, at ?? T0);

    public static ConsentRecord NewConsent(Tenant t, string number, DateTimeOffset? obtainedAt = null, string? purpose = null,
        DateTimeOffset? expiresAt = null, DateTimeOffset? createdAt = null)
    {
        var created = createdAt ?? T0;
        return new ConsentRecord
        {
            Id = Ids.New("cns", created),
            AccountId = t.Account.Id,
            Number = number,
            Source = "web_form",
            ObtainedAt = obtainedAt ?? T0.AddDays(-1),
            Purpose = purpose,
            ExpiresAt = expiresAt,
            EvidenceUrl = "https://crm.example.com/consent/1",
            CreatedAt = created,
        };
    }
}
