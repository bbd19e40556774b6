using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Storage;

namespace Outdial.Core.Compliance;

/// <summary>
/// What is being checked: a would-be or stored call. Times are UTC. <see cref="Earliest"/> is the earliest dial
/// time asked for, named by <see cref="EarliestCode"/> (<c>not_before</c>, <c>initial_delay</c>, <c>retry_cooldown</c>).
/// </summary>
public sealed record ComplianceSubject
{
    public required Account Account { get; init; }
    /// <summary>E.164.</summary>
    public required string To { get; init; }
    /// <summary>Explicit IANA zone of the callee (contact field), or null to derive it from the number.</summary>
    public string? TimeZone { get; init; }
    public Agent? Agent { get; init; }
    public Campaign? Campaign { get; init; }
    public DateTimeOffset? Earliest { get; init; }
    public string EarliestCode { get; init; } = "not_before";
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>Consent evidence given with the request (flag mode; checked when <see cref="CheckConsentFlag"/>).</summary>
    public ConsentEvidence? ConsentFlag { get; init; }
    /// <summary>True at intake and in the dry run: the account's flag requirement is checked too.</summary>
    public bool CheckConsentFlag { get; init; }
    /// <summary>Purpose for consent records (null = any).</summary>
    public string? Purpose { get; init; }
    /// <summary>A pending or active call this one would duplicate (dry run).</summary>
    public string? DuplicateOfCallId { get; init; }
    /// <summary>The telephony provider the call goes through (its caller ID's); <c>sandbox</c> lets fictional numbers skip quiet hours.</summary>
    public string? Provider { get; init; }

    /// <summary>A stored call as its dispatcher and retry policy see it: its number, zone and expiry, with the current account, agent and campaign.</summary>
    public static ComplianceSubject ForCall(Call call, Account account, Agent? agent, Campaign? campaign) => new()
    {
        Account = account,
        To = call.To,
        TimeZone = call.TimeZone,
        Agent = agent,
        Campaign = campaign,
        ExpiresAt = call.ExpiresAt,
        Provider = call.Provider,
    };
}

/// <summary>The verdict, the consent record that satisfied the account's requirement (to link on the call), and the callee's location.</summary>
public sealed record ComplianceCheck(EligibilityVerdict Verdict, ConsentRecord? Consent, CalleeLocation Callee);

/// <summary>
/// Gathers the facts for <see cref="Eligibility.Evaluate"/> — DNC entry, consent record, dial history, callee zones,
/// the legal floor's rules, the campaign's or agent's window — and evaluates them. The one entry point used by
/// intake, the dispatcher, the retry policy and <c>POST /v1/calls/check</c>.
/// </summary>
public sealed class ComplianceChecker(IComplianceStore store, LegalFloor floor, IOptions<ComplianceOptions> options)
{
    /// <summary>The legal floor in force (operator edits applied).</summary>
    public LegalFloor Floor => floor;

    /// <summary>Evaluates <paramref name="s"/> at <paramref name="now"/> (UTC). Reads the store; never writes.</summary>
    public async Task<ComplianceCheck> CheckAsync(ComplianceSubject s, DateTimeOffset now, CancellationToken ct)
    {
        var callee = CalleeZones.Resolve(s.To, s.TimeZone);
        // A fictional number on the simulated network reaches nobody: the legal floor (quiet hours, legal caps) does not apply.
        var fictional = s.Provider == SandboxProviderName && FictionalNumbers.IsFictional(s.To);
        IReadOnlyList<LegalRule> rules = fictional ? [] : floor.RulesFor(callee);
        var accountCap = AccountCap(s.Account);
        var longest = rules.Where(r => r.Frequency is not null).Select(r => r.Frequency!.WindowSec)
            .Append(accountCap?.WindowSec ?? 0).Max();
        var dials = longest > 0 ? await store.ListDialTimesAsync(s.Account.Id, s.To, now - TimeSpan.FromSeconds(longest), ct) : [];
        var dnc = await store.GetDncAsync(s.Account.Id, s.To, ct);

        string? consentProblem = null;
        ConsentRecord? record = null;
        if (s.CheckConsentFlag && s.Account.RequireConsent && s.ConsentFlag is not { Obtained: true })
        {
            consentProblem = "the account requires consent evidence with obtained: true on every call";
        }
        if (s.Account.RequireConsentRecord)
        {
            record = await store.FindValidConsentAsync(s.Account.Id, s.To, now, s.Purpose, ct);
            if (record is null)
            {
                consentProblem = "the account requires a valid consent record for the number (POST /v1/consents); none is valid now";
            }
        }

        var window = s.Campaign?.Window ?? s.Agent?.CallingWindow;
        var verdict = Eligibility.Evaluate(now, new EligibilityFacts
        {
            Callee = callee,
            RefusedNumberType = options.Value.RefusedTypes.Contains(callee.NumberType, StringComparer.Ordinal) ? callee.NumberType : null,
            Earliest = s.Earliest,
            EarliestCode = s.EarliestCode,
            ExpiresAt = s.ExpiresAt,
            CampaignStartAt = s.Campaign?.StartAt,
            CampaignEndAt = s.Campaign?.EndAt,
            Dnc = dnc,
            DncEnabled = s.Campaign?.DncEnabled ?? true,
            ConsentProblem = consentProblem,
            DuplicateOfCallId = s.DuplicateOfCallId,
            Window = window,
            WindowRule = s.Campaign?.Window is not null ? "campaign.window" : "agent.window",
            LegalRules = rules,
            AccountCap = accountCap,
            DialTimes = dials,
        });
        if (fictional)
        {
            verdict = verdict with
            {
                Reasons = [.. verdict.Reasons, new EligibilityReason(FictionalNumbers.ReasonCode,
                    "a fictional test number on the sandbox: no person can answer it, so the legal floor's quiet hours were not applied", "callee.number")],
            };
        }
        return new ComplianceCheck(verdict, record, callee);
    }

    /// <summary>Name of the simulated provider, on which fictional numbers skip the legal floor.</summary>
    public const string SandboxProviderName = "sandbox";

    /// <summary>The account's cap, else the server default; null when switched off (max ≤ 0).</summary>
    public FrequencyLimit? AccountCap(Account account)
    {
        var max = account.FrequencyCapMaxAttempts ?? options.Value.FrequencyCapMaxAttempts;
        var window = account.FrequencyCapWindowSec ?? options.Value.FrequencyCapWindowSec;
        return max > 0 && window > 0 ? new FrequencyLimit(max, window) : null;
    }
}
