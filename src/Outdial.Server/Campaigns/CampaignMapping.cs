using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.Storage;
using Outdial.Server.Agents;
using Outdial.Server.Calls;

namespace Outdial.Server.Campaigns;

/// <summary>Campaign request ⇄ domain mapping and validation.</summary>
public static class CampaignMapping
{
    /// <summary>The request shape of a stored campaign (the base a PATCH is merged into).</summary>
    public static CampaignRequest ToRequest(Campaign c)
    {
        var r = CampaignResource.Of(c);
        return new CampaignRequest
        {
            Name = c.Name,
            AgentId = c.AgentId,
            CallerIds = [.. c.CallerIds],
            CallerIdStrategy = r.CallerIdStrategy,
            CallingWindow = r.CallingWindow,
            StartAt = c.StartAt?.UtcDateTime.ToString("O"),
            EndAt = c.EndAt?.UtcDateTime.ToString("O"),
            InitialDelaySec = c.InitialDelaySec,
            Retry = r.Retry,
            Pacing = r.Pacing,
            DncEnabled = c.DncEnabled,
            AutoDncOutcomes = [.. r.AutoDncOutcomes],
            CompleteWhenDone = c.CompleteWhenDone,
        };
    }

    /// <summary>
    /// Validates <paramref name="r"/> and builds the campaign (a new draft when <paramref name="current"/> is null, else the
    /// next version of it). Errors go to <paramref name="errors"/> by field; returns null when it cannot build one.
    /// An empty window — one that never opens, or never overlaps the legal floor's country-wide hours — is an error.
    /// </summary>
    public static async Task<Campaign?> BuildAsync(CampaignRequest r, Campaign? current, string accountId, DateTimeOffset now, IAgentStore agents,
        LegalFloor floor, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        var name = r.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            Error("name", "is required, 1 to 200 characters");
        }
        Agent? agent = null;
        if (string.IsNullOrEmpty(r.AgentId))
        {
            agent = await agents.GetDefaultAgentAsync(accountId, ct);
            if (agent is null)
            {
                Error("agentId", "is required: the account has no default agent");
            }
        }
        else
        {
            agent = (await AgentReferences.FindAsync(agents, accountId, r.AgentId.Trim(), ct))?.Agent;
            if (agent is null)
            {
                Error("agentId", "is not an agent id, key or external reference of this account");
            }
        }

        var callerIds = new List<string>();
        foreach (var (value, i) in (r.CallerIds ?? []).Select((v, i) => (v, i)))
        {
            var number = value.StartsWith('+') ? await agents.FindPhoneNumberAsync(accountId, value, ct) : await agents.GetPhoneNumberAsync(accountId, value, ct);
            if (number is null)
            {
                Error($"callerIds[{i}]", "is not a phone number id or E.164 number of this account");
            }
            else if (!callerIds.Contains(number.Id))
            {
                callerIds.Add(number.Id);
            }
        }
        if (r.CallerIds is null && agent is not null)
        {
            var owned = await agents.ListPhoneNumbersAsync(accountId, ct);
            var fallback = agent.PhoneNumberId ?? (owned.Count > 0 ? owned[0].Id : null);
            if (fallback is null)
            {
                Error("callerIds", "the account has no phone number; create one with POST /v1/phone-numbers");
            }
            else
            {
                callerIds.Add(fallback);
            }
        }
        else if (r.CallerIds is { Count: 0 })
        {
            Error("callerIds", "must name at least one phone number");
        }
        var strategy = CallerIdStrategy.Fixed;
        if (r.CallerIdStrategy is { } s && !WireNames.TryParse(s, out strategy))
        {
            Error("callerIdStrategy", "must be one of fixed, round_robin, local_presence");
        }

        var window = r.CallingWindow is { } w ? AgentMapping.BuildWindow(w, Error, "callingWindow") : null;
        if (window is not null && !errors.Keys.Any(k => k.StartsWith("callingWindow", StringComparison.Ordinal)))
        {
            CheckNotEmpty(window, floor, now, Error);
        }

        DateTimeOffset? Time(string? text, string field)
        {
            if (text is null)
            {
                return null;
            }
            if (Instants.TryParseUtc(text, out var v))
            {
                return v;
            }
            Error(field, Instants.Rule);
            return null;
        }
        var startAt = Time(r.StartAt, "startAt");
        var endAt = Time(r.EndAt, "endAt");
        if (endAt is { } end && (end <= now && end != current?.EndAt || startAt is { } st && end <= st))
        {
            Error("endAt", "must be in the future and after startAt");
        }
        if (r.InitialDelaySec is < 0 or > 30 * 86400)
        {
            Error("initialDelaySec", "must be between 0 and 2592000 seconds");
        }

        var retry = BuildRetry(r.Retry, Error);
        var pacing = new CampaignPacing(r.Pacing?.MaxConcurrentCalls ?? Campaign.DefaultPacing.MaxConcurrentCalls,
            r.Pacing?.CallsPerSecond ?? Campaign.DefaultPacing.CallsPerSecond);
        if (pacing.MaxConcurrentCalls is < 1 or > 1000)
        {
            Error("pacing.maxConcurrentCalls", "must be between 1 and 1000");
        }
        if (pacing.CallsPerSecond is < 0.01 or > 100 || double.IsNaN(pacing.CallsPerSecond))
        {
            Error("pacing.callsPerSecond", "must be between 0.01 and 100");
        }
        var autoDnc = Outcomes(r.AutoDncOutcomes, "autoDncOutcomes", Error);

        if (errors.Count > 0 || agent is null)
        {
            return null;
        }
        return new Campaign
        {
            Id = current?.Id ?? Ids.New("cmp", now),
            AccountId = accountId,
            Name = name!,
            Status = current?.Status ?? CampaignStatus.Draft,
            AgentId = agent.Id,
            CallerIds = callerIds,
            CallerIdStrategy = strategy,
            Window = window,
            StartAt = startAt,
            EndAt = endAt,
            InitialDelaySec = r.InitialDelaySec ?? 0,
            Retry = retry,
            Pacing = pacing,
            DncEnabled = r.DncEnabled ?? true,
            AutoDncOutcomes = autoDnc,
            CompleteWhenDone = r.CompleteWhenDone ?? true,
            CreatedAt = current?.CreatedAt ?? now,
            UpdatedAt = now,
            ActivatedAt = current?.ActivatedAt,
            EndedAt = current?.EndedAt,
            Version = (current?.Version ?? 0) + 1,
        };
    }

    private static RetryPolicy BuildRetry(CampaignRetryRequest? r, Action<string, string> error)
    {
        var max = r?.MaxAttempts ?? Campaign.DefaultMaxAttempts;
        if (max is < 1 or > RetryPolicy.MaxAllowedAttempts)
        {
            error("retry.maxAttempts", $"must be between 1 and {RetryPolicy.MaxAllowedAttempts}");
        }
        var cooldowns = new Dictionary<CallOutcome, int>();
        foreach (var (name, sec) in r?.CooldownSec ?? [])
        {
            if (!CallOutcomes.TryParse(name, out var outcome) || outcome is CallOutcome.Answered or CallOutcome.InvalidNumber)
            {
                error($"retry.cooldownSec.{name}", "must be one of busy, no_answer, voicemail, rejected, unreachable, error");
            }
            else if (sec is < 0 or > 30 * 86400)
            {
                error($"retry.cooldownSec.{name}", "must be between 0 and 2592000 seconds");
            }
            else
            {
                cooldowns[outcome] = sec;
            }
        }
        var endOn = r?.EndOn is null ? [CallOutcome.Rejected] : Outcomes(r.EndOn, "retry.endOn", error);
        return new RetryPolicy(max, cooldowns, endOn);
    }

    private static List<CallOutcome> Outcomes(List<string>? names, string field, Action<string, string> error)
    {
        var list = new List<CallOutcome>();
        foreach (var name in names ?? [])
        {
            if (!CallOutcomes.TryParse(name, out var o))
            {
                error(field, $"'{name}' is not one of answered, voicemail, busy, no_answer, rejected, invalid_number, unreachable, error");
            }
            else if (!list.Contains(o))
            {
                list.Add(o);
            }
        }
        return list;
    }

    /// <summary>
    /// 422 for a window that never opens, or (for <c>callee</c> windows) never overlaps the hours of a country-wide legal rule
    /// in force (e.g. 22:00–07:00 against the US federal 08:00–21:00): calls of such a campaign could never be placed.
    /// </summary>
    private static void CheckNotEmpty(CallingWindow window, LegalFloor floor, DateTimeOffset now, Action<string, string> error)
    {
        if (window.TimeZone != Campaign.CalleeZone)
        {
            if (window.NextOpening(now) is null)
            {
                error("callingWindow", "never opens");
            }
            return;
        }
        var sample = new CalleeLocation(null, null, ["America/New_York"], "explicit");
        var verdict = Eligibility.Evaluate(now, new EligibilityFacts { Callee = sample, Window = window, WindowRule = "campaign.window" });
        if (verdict.Action == EligibilityAction.Block)
        {
            error("callingWindow", "never opens");
            return;
        }
        foreach (var pack in floor.Packs.Where(p => p.Enabled))
        {
            foreach (var rule in pack.Rules.Where(r => r.Enabled && r.Region == pack.Country && r.Hours.Count > 0))
            {
                var check = Eligibility.Evaluate(now, new EligibilityFacts
                {
                    Callee = sample with { Country = pack.Country },
                    Window = window,
                    WindowRule = "campaign.window",
                    LegalRules = [rule],
                });
                if (check.Action == EligibilityAction.Block)
                {
                    error("callingWindow", $"never overlaps the legal floor's hours ({rule.Id}: {rule.Title}); calls could never be placed");
                }
            }
        }
    }
}
