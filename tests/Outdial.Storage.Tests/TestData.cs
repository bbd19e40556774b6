using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Common;
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

    public static NewCall Write(Call call, IdempotencyRecord? idem = null) =>
        new(call, [new NewCallEvent(CallEventTypes.Queued, new System.Text.Json.Nodes.JsonObject { ["status"] = "queued" })], idem);

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
}
