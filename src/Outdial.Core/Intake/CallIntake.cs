using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Accounts;
using Outdial.Core.Campaigns;
using Outdial.Core.Compliance;
using Outdial.Core.Dispatch;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Net;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Intake;

/// <summary>
/// Turns a <see cref="TriggerCommand"/> into a stored call or a refusal (ARCHITECTURE §3.1): Idempotency-Key,
/// field validation, caller ID resolution (id, label or number; provider), agent resolution (request by id, key or external
/// reference → campaign → phone number's agent → account default, with the account's rule for an unknown foreign reference;
/// the source is recorded), campaign by id or by name (found or created), declared variables, consent, eligibility, then
/// one durable write that also enforces the duplicate guard. Every API surface calls this; no dialect decides anything itself.
/// </summary>
public sealed class CallIntake(
    IAgentStore agents,
    ICallStore calls,
    OutboxSignal outbox,
    DispatchSignal dispatch,
    ICampaignStore campaigns,
    IIdempotencyGate gate,
    ConfigCache config,
    ComplianceChecker compliance,
    CallerIdSelector callerIds,
    IOptions<CallDefaultsOptions> defaults,
    OutboundUrlGuard urlGuard,
    IOptions<WebhookOptions> webhookOptions,
    Telephony.TelephonyProviders providers,
    TimeProvider clock)
{
    /// <summary>Largest metadata object accepted, in bytes of compact JSON (the issue's 16 KB).</summary>
    public const int MaxMetadataBytes = 16 * 1024;

    /// <summary>At most this many insight questions per call request.</summary>
    public const int MaxInsightQuestions = 20;

    /// <summary>How long an Idempotency-Key is remembered.</summary>
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    /// <summary>Validates and stores the call; never throws for bad input (returns <see cref="IntakeResult.Refused"/>).</summary>
    public async Task<IntakeResult> TriggerAsync(TriggerCommand cmd, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (cmd.Idempotency is { } idem)
        {
            var prior = await calls.FindIdempotencyRecordAsync(cmd.AccountId, idem.Key, now - IdempotencyWindow, ct);
            if (prior is not null)
            {
                return prior.RequestHash == idem.RequestHash
                    ? new IntakeResult.Replayed(prior.ResponseStatus, prior.ResponseBody)
                    : KeyReused();
            }
            if (!await gate.TryEnterAsync(cmd.AccountId, idem.Key, ct))
            {
                return new IntakeResult.InFlight();
            }
            try
            {
                return await TriggerCoreAsync(cmd, now, ct);
            }
            finally
            {
                await gate.ExitAsync(cmd.AccountId, idem.Key);
            }
        }
        return await TriggerCoreAsync(cmd, now, ct);
    }

    /// <summary>A validated request: everything resolved, ready to be checked and stored.</summary>
    private sealed record Prepared(Account Account, Agent Agent, AgentSource Source, PhoneNumber Number, Campaign? Campaign,
        Dictionary<string, string> Values);

    /// <summary>Validation and resolution shared by <see cref="TriggerAsync"/> and <see cref="CheckAsync"/>: field errors, or everything resolved.</summary>
    private async Task<(Prepared? Prepared, IntakeResult.Refused? Refused)> PrepareAsync(TriggerCommand cmd, DateTimeOffset now, bool dryRun,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        var account = cmd.Account is { } given && given.Id == cmd.AccountId
            ? given
            : await config.GetAccountAsync(cmd.AccountId, ct) ?? throw new InvalidOperationException("unknown account");
        if (cmd.Provider is { } provider && providers.Find(provider) is null)
        {
            return (null, new IntakeResult.Refused("provider_not_configured", $"telephony provider '{provider}' is not configured",
                new Dictionary<string, string[]> { ["provider"] = [$"telephony provider '{provider}' is not configured"] }));
        }
        ValidateFields(cmd, now, account.RequireConsent, Error);
        await ValidateWebhooksAsync(cmd.Webhooks, Error, ct);
        if (cmd.TimeZone is { } tz && NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(tz) is null)
        {
            Error("timeZone", $"'{tz}' is not an IANA time zone id (e.g. America/New_York)");
        }

        Campaign? campaign = null;
        string? newCampaignName = null;
        if (cmd.CampaignId is null && cmd.CampaignName is not null)
        {
            newCampaignName = cmd.CampaignName.Trim();
            if (newCampaignName.Length is 0 or > 200)
            {
                Error("campaignName", "must be 1 to 200 characters");
                newCampaignName = null;
            }
            else if (await campaigns.FindCampaignByNameAsync(cmd.AccountId, newCampaignName, ct) is { } named)
            {
                cmd = cmd with { CampaignId = named.Id };
                newCampaignName = null;
            }
        }
        if (cmd.CampaignId is { } campaignId)
        {
            campaign = await campaigns.GetCampaignAsync(cmd.AccountId, campaignId, ct);
            if (campaign is null)
            {
                return (null, new IntakeResult.Refused("campaign_not_found", $"No campaign '{campaignId}' in this account.",
                    new Dictionary<string, string[]> { ["campaignId"] = ["is not a campaign of this account"] }));
            }
            if (campaign.IsFinished)
            {
                return (null, new IntakeResult.Refused("campaign_finished", $"The campaign is {WireNames.Of(campaign.Status)} and takes no more calls.",
                    new Dictionary<string, string[]> { ["campaignId"] = [$"is {WireNames.Of(campaign.Status)}"] }));
            }
        }

        var (number, fromFailed) = await ResolveFromAsync(cmd, Error, ct);
        var (agent, source, agentError) = await ResolveAgentAsync(cmd, account, number, campaign, ct);
        if (agentError is not null)
        {
            Error("agentId", agentError);
        }
        if (agent is not null && number is null && !fromFailed)
        {
            if (campaign is not null && cmd.Provider is null)
            {
                number = await callerIds.PickAsync(campaign, cmd.To ?? "", ct);
            }
            number ??= agent.PhoneNumberId is { } pnId ? await config.GetPhoneNumberAsync(cmd.AccountId, pnId, ct) : null;
            if (cmd.Provider is { } wanted && number is not null && number.Provider != wanted)
            {
                number = null;
            }
            if (number is null)
            {
                var owned = await agents.ListPhoneNumbersAsync(cmd.AccountId, ct);
                number = owned.FirstOrDefault(n => cmd.Provider is null || n.Provider == cmd.Provider);
                if (number is null && cmd.Provider is { } none && owned.Count > 0)
                {
                    return (null, ProviderMismatch($"the account has no phone number of telephony provider '{none}'"));
                }
            }
            if (number is null)
            {
                Error("from", "the account has no phone number to call from; create one with POST /v1/phone-numbers");
            }
        }
        if (number is not null && cmd.Provider is { } required && number.Provider != required)
        {
            return (null, ProviderMismatch($"phone number {number.Number} belongs to telephony provider '{number.Provider}', not '{required}'"));
        }
        var values = agent is null ? new Dictionary<string, string>() : MergeVariables(cmd, agent, Error);
        if (errors.Count > 0 || agent is null || number is null)
        {
            return (null, Invalid(errors));
        }
        if (CannotConverse(agent, providers.Find(number.Provider)) is { } cannot)
        {
            return (null, new IntakeResult.Refused("provider_cannot_converse", cannot,
                new Dictionary<string, string[]> { ["provider"] = [cannot] }));
        }
        if (newCampaignName is not null)
        {
            var (created, refused) = await FindOrCreateCampaignAsync(cmd.AccountId, newCampaignName, agent, number, now, dryRun, ct);
            if (created is null)
            {
                return (null, refused);
            }
            campaign = created;
        }
        return (new Prepared(account, agent, source, number, campaign, values), null);
    }

    /// <summary>
    /// The account's campaign named <paramref name="name"/>, or a new active one (<see cref="Campaign.CreateActive"/>) for the
    /// call's agent and caller ID; a dry run builds it without storing it. Two requests creating the same name meet at the
    /// store's unique index: the loser uses the winner's.
    /// </summary>
    private async Task<(Campaign? Campaign, IntakeResult.Refused? Refused)> FindOrCreateCampaignAsync(string accountId, string name, Agent agent,
        PhoneNumber number, DateTimeOffset now, bool dryRun, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await campaigns.FindCampaignByNameAsync(accountId, name, ct) is { } existing)
            {
                return existing.IsFinished
                    ? (null, new IntakeResult.Refused("campaign_finished", $"The campaign is {WireNames.Of(existing.Status)} and takes no more calls.",
                        new Dictionary<string, string[]> { ["campaignName"] = [$"is {WireNames.Of(existing.Status)}"] }))
                    : (existing, null);
            }
            var created = Campaign.CreateActive(accountId, name, agent.Id, number.Id, now);
            if (dryRun || await campaigns.CreateCampaignAsync(created, ct) != UpsertResult.Conflict)
            {
                return (created, null);
            }
        }
        return (null, Invalid(new Dictionary<string, string[]> { ["campaignName"] = ["could not be created; retry"] }));
    }

    /// <summary>
    /// Why <paramref name="agent"/> cannot be reached through <paramref name="provider"/>, or null when it can (or the
    /// provider is not configured, which is refused on its own): an agent in <see cref="AgentMode.Conversation"/> needs a
    /// provider that carries the conversation (<see cref="Telephony.ITelephonyProvider.CanConverse"/>; Plivo streams only raw
    /// audio, and Outdial has no speech engine). Intake refuses such a call (<c>provider_cannot_converse</c>); the dispatcher
    /// asks the same at dial time (the agent may have changed since) and blocks it.
    /// </summary>
    public static string? CannotConverse(Agent agent, Telephony.ITelephonyProvider? provider) =>
        agent.Mode == AgentMode.Conversation && provider is { CanConverse: false }
            ? $"telephony provider '{provider.Name}' cannot carry the AI conversation of agent '{agent.Key}' (it streams only raw audio, and Outdial "
              + "has no speech-to-text or text-to-speech of its own); use a message agent (mode: message) or a provider with a conversation relay (twilio, telnyx)"
            : null;

    private static IntakeResult.Refused ProviderMismatch(string message) =>
        new("provider_mismatch", message, new Dictionary<string, string[]> { ["provider"] = [message] });

    private ComplianceSubject Subject(TriggerCommand cmd, Prepared p, DateTimeOffset now, string? duplicateOf)
    {
        var earliest = cmd.NotBefore;
        var code = "not_before";
        if (p.Campaign is { InitialDelaySec: > 0 } c && (earliest is null || now.AddSeconds(c.InitialDelaySec) > earliest))
        {
            earliest = now.AddSeconds(c.InitialDelaySec);
            code = "initial_delay";
        }
        return new ComplianceSubject
        {
            Account = p.Account,
            To = cmd.To!,
            TimeZone = cmd.TimeZone,
            Agent = p.Agent,
            Campaign = p.Campaign,
            Earliest = earliest,
            EarliestCode = code,
            ExpiresAt = cmd.ExpiresAt,
            ConsentFlag = cmd.Consent,
            CheckConsentFlag = true,
            DuplicateOfCallId = duplicateOf,
            Provider = p.Number.Provider,
        };
    }

    /// <summary>
    /// Dry run of intake's eligibility for a would-be call (<c>POST /v1/calls/check</c>): the same validation and the same
    /// <see cref="ComplianceChecker"/>, evaluated at the request's not-before time when given, else now; nothing is written.
    /// Returns field errors as <see cref="IntakeResult.Refused"/>.
    /// </summary>
    public async Task<(EligibilityVerdict? Verdict, IntakeResult.Refused? Refused)> CheckAsync(TriggerCommand cmd, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var at = cmd.NotBefore is { } nb && nb > now ? nb : now;
        cmd = Normalize(cmd);
        var (prepared, refused) = await PrepareAsync(cmd with { NotBefore = null }, now, dryRun: true, ct);
        if (prepared is null)
        {
            return (null, refused);
        }
        string? duplicateOf = null;
        if (!cmd.AllowDuplicates)
        {
            var existing = await calls.ListCallsAsync(new CallQuery(cmd.AccountId, 50, To: cmd.To, CampaignId: cmd.CampaignId), ct);
            duplicateOf = existing.FirstOrDefault(c => !c.Status.IsTerminal() && c.CampaignId == cmd.CampaignId)?.Id;
        }
        var check = await compliance.CheckAsync(Subject(cmd with { NotBefore = null }, prepared, at, duplicateOf), at, ct);
        return (check.Verdict, null);
    }

    /// <summary>A national <see cref="TriggerCommand.To"/> read with the command's calling code.</summary>
    private static TriggerCommand Normalize(TriggerCommand cmd) =>
        cmd.NationalCallingCode is { } code && E164.IsCallingCode(code) && cmd.To is { } to ? cmd with { To = E164.FromNational(to, code) } : cmd;

    private async Task<IntakeResult> TriggerCoreAsync(TriggerCommand cmd, DateTimeOffset now, CancellationToken ct)
    {
        cmd = Normalize(cmd);
        var (p, refused) = await PrepareAsync(cmd, now, dryRun: false, ct);
        if (p is null)
        {
            return refused!;
        }
        var check = await compliance.CheckAsync(Subject(cmd, p, now, null), now, ct);
        var verdict = check.Verdict;
        var reasons = verdict.Reasons;
        IntakeDecision intakeDecision;
        switch (verdict.Action)
        {
            case EligibilityAction.Block when reasons.Any(r => r.Code == "dnc_listed"):
                return new IntakeResult.Refused("number_on_dnc", "The number is on the account's do-not-call list.",
                    new Dictionary<string, string[]> { ["to"] = ["is on the do-not-call list"] });
            case EligibilityAction.Block when reasons.Any(r => r.Code == "no_consent"):
                return new IntakeResult.Refused("no_consent", reasons.First(r => r.Code == "no_consent").Detail,
                    new Dictionary<string, string[]> { ["to"] = ["has no valid consent"] });
            case EligibilityAction.Block:
                return new IntakeResult.Refused(reasons[0].Code, "The call may not be placed: " + reasons[0].Detail,
                    new Dictionary<string, string[]> { ["to"] = [reasons[0].Detail] });
            case EligibilityAction.Expire:
                return Invalid(new Dictionary<string, string[]>
                {
                    [p.Campaign?.EndAt is not null && reasons[0].Code == "campaign_ended" ? "campaignId" : "expiresAt"] = [verdict.NextEligibleAt is { } next
                        ? $"the call would expire before it could be placed (it is next allowed at {next:O})"
                        : "the call can never be placed: " + reasons[0].Detail],
                });
            case EligibilityAction.Defer when p.Campaign is null && p.Agent.OutsideWindow == OutsideWindowPolicy.Reject
                && reasons.Any(r => r.Code == "outside_window"):
                return new IntakeResult.Refused("outside_calling_window",
                    $"The agent '{p.Agent.Key}' refuses calls outside its calling window; it next opens at {verdict.NextEligibleAt:O}.",
                    new Dictionary<string, string[]> { ["to"] = [$"outside the calling window until {verdict.NextEligibleAt:O}"] });
            case EligibilityAction.Defer:
                intakeDecision = new IntakeDecision("scheduled", verdict.NextEligibleAt!.Value, reasons[0].Code);
                break;
            default:
                intakeDecision = new IntakeDecision("queued", now, null);
                break;
        }

        var call = BuildCall(cmd, now, p, intakeDecision) with
        {
            ConsentRecordId = check.Consent?.Id,
            Decisions = [new CallDecision(now, "intake", intakeDecision.Action,
                intakeDecision.Action == "scheduled" ? intakeDecision.ScheduledFor : null, reasons)],
        };
        var queued = intakeDecision.Action == "queued";
        var data = new JsonObject { ["status"] = call.Status.ToWire() };
        if (!queued)
        {
            data["scheduledFor"] = intakeDecision.ScheduledFor;
            data["reason"] = intakeDecision.Reason;
            data["reasons"] = JsonSerializer.SerializeToNode(reasons, Json.Options);
        }
        var firstEvent = new NewCallEvent(queued ? CallEventTypes.Queued : CallEventTypes.Scheduled, data);
        var idem = cmd.Idempotency is { } i
            ? new IdempotencyRecord(i.Key, i.RequestHash, 202, i.RenderResponse(call))
            : null;
        var newCall = NewCall.Plan(call, [firstEvent], await config.ListEndpointsAsync(call.AccountId, ct), idem) with
        {
            IdempotencyValidAfter = now - IdempotencyWindow,
        };
        var result = await calls.CreateCallAsync(newCall, ct);
        if (result is CreateCallResult.Created && newCall.Deliveries.Count > 0)
        {
            outbox.Notify();
        }
        if (result is CreateCallResult.Created && queued)
        {
            dispatch.Notify(); // due now: the dispatchers need not wait for their next poll
        }
        else if (result is CreateCallResult.Created)
        {
            dispatch.NotifyDue(call.DueAt); // due before this node's dispatcher would look again
        }
        return result switch
        {
            CreateCallResult.Created c => Accepted(c.Call),
            CreateCallResult.Duplicate d => new IntakeResult.Duplicate(d.Existing),
            CreateCallResult.Replay r => new IntakeResult.Replayed(r.Status, r.Body),
            _ => KeyReused(),
        };
    }

    private void ValidateFields(TriggerCommand cmd, DateTimeOffset now, bool requireConsent, Action<string, string> error)
    {
        if (string.IsNullOrEmpty(cmd.To))
        {
            error("to", "is required");
        }
        else if (!E164.IsValid(cmd.To))
        {
            error("to", E164.Rule);
        }
        if (cmd.InsightQuestions is { } questions)
        {
            if (questions.Count > MaxInsightQuestions)
            {
                error("insightQuestions", $"must hold at most {MaxInsightQuestions} questions");
            }
            foreach (var (field, message) in Insights.InsightQuestion.Validate(questions))
            {
                error("insightQuestions" + field, message);
            }
        }
        if (cmd.Sandbox is { } sandbox)
        {
            if (sandbox.Replies.Count > SimulatedCallee.MaxReplies)
            {
                error("sandbox.replies", $"must hold at most {SimulatedCallee.MaxReplies} replies");
            }
            for (var i = 0; i < sandbox.Replies.Count; i++)
            {
                var reply = sandbox.Replies[i];
                if (string.IsNullOrWhiteSpace(reply.Text) && string.IsNullOrEmpty(reply.Dtmf))
                {
                    error($"sandbox.replies[{i}]", "needs text, dtmf or both");
                }
                if (reply.Text is { Length: > 2000 })
                {
                    error($"sandbox.replies[{i}].text", "must be at most 2000 characters");
                }
                if (reply.Dtmf is { } digits && (digits.Length is 0 or > 32 || digits.Any(c => !char.IsAsciiDigit(c) && c is not ('*' or '#'))))
                {
                    error($"sandbox.replies[{i}].dtmf", "must be 1–32 of 0-9, * and #");
                }
            }
            if (sandbox.Persona is { Length: > 2000 })
            {
                error("sandbox.persona", "must be at most 2000 characters");
            }
        }
        if (cmd.Metadata is { } meta && Encoding.UTF8.GetByteCount(meta.ToJsonString()) > MaxMetadataBytes)
        {
            error("metadata", $"must be at most {MaxMetadataBytes} bytes of JSON");
        }
        if (cmd.ExpiresAt is { } exp)
        {
            if (exp <= now)
            {
                error("expiresAt", "must be in the future");
            }
            else if (cmd.NotBefore is { } nb && exp <= nb)
            {
                error("expiresAt", "must be after notBefore");
            }
        }
        CheckRange(cmd.RingTimeoutSec, 5, 600, "ringTimeoutSec", error);
        CheckRange(cmd.MaxDurationSec, 10, 14400, "maxDurationSec", error);
        CheckRange(cmd.MaxAttempts, 1, RetryPolicy.MaxAllowedAttempts, "maxAttempts", error);
        foreach (var (outcome, sec) in cmd.RetryCooldownSec ?? new Dictionary<CallOutcome, int>())
        {
            if (sec is < 0 or > 30 * 86400)
            {
                error($"retryCooldownSec.{outcome.ToWire()}", "must be between 0 and 2592000 seconds");
            }
        }
        if (requireConsent)
        {
            if (cmd.Consent is null)
            {
                error("consent", "is required: {\"obtained\": true, \"source\": \"...\", \"obtainedAt\": \"...\"} (the account requires consent evidence)");
            }
            else
            {
                if (!cmd.Consent.Obtained)
                {
                    error("consent.obtained", "must be true");
                }
                if (string.IsNullOrWhiteSpace(cmd.Consent.Source))
                {
                    error("consent.source", "is required");
                }
                if (cmd.Consent.ObtainedAt is { } at && at > now)
                {
                    error("consent.obtainedAt", "must not be in the future");
                }
            }
        }
    }

    /// <summary>Per-call webhooks: at most <see cref="WebhookOptions.MaxPerCallWebhooks"/>, each URL passing the SSRF guard, known event types, secrets of 1–256 characters.</summary>
    private async Task ValidateWebhooksAsync(IReadOnlyList<CallWebhook>? hooks, Action<string, string> error, CancellationToken ct)
    {
        if (hooks is null)
        {
            return;
        }
        var max = webhookOptions.Value.MaxPerCallWebhooks;
        if (hooks.Count > max)
        {
            error("webhooks", $"must have at most {max} entries");
            return;
        }
        for (var i = 0; i < hooks.Count; i++)
        {
            var hook = hooks[i];
            if (await WebhookDestinations.UrlErrorAsync(hook.Url, urlGuard, ct) is { } urlError)
            {
                error($"webhooks[{i}].url", urlError);
            }
            if (WebhookDestinations.EventsError(hook.Events) is { } eventsError)
            {
                error($"webhooks[{i}].events", eventsError);
            }
            // Raw secrets are limited to printable ASCII: the npm standardwebhooks package's raw format takes one byte per character.
            if (hook.Secret is { } secret && (secret.Length is 0 or > 256 || secret.Any(ch => ch is < ' ' or > '~')
                || (secret.StartsWith(WebhookSecrets.Prefix, StringComparison.Ordinal) && !WebhookSecrets.IsStandard(secret))))
            {
                error($"webhooks[{i}].secret",
                    "must be 1 to 256 printable ASCII characters; a whsec_ secret must be whsec_ followed by base64 of at least 24 bytes");
            }
        }
    }

    private static void CheckRange(int? value, int min, int max, string field, Action<string, string> error)
    {
        if (value is { } v && (v < min || v > max))
        {
            error(field, $"must be between {min} and {max}");
        }
    }

    /// <summary>
    /// The requested caller ID: <see cref="TriggerCommand.From"/> by id, label, then number; else
    /// <see cref="TriggerCommand.FromNumber"/> by number. Null with <c>Failed</c> false when the request names none; errors on
    /// <c>from</c> / <c>fromNumber</c> (Failed true) when it names none of the account's numbers.
    /// </summary>
    private async Task<(PhoneNumber? Number, bool Failed)> ResolveFromAsync(TriggerCommand cmd, Action<string, string> error, CancellationToken ct)
    {
        var reference = cmd.From?.Trim();
        var fallback = cmd.FromNumber?.Trim();
        if (string.IsNullOrEmpty(reference) && string.IsNullOrEmpty(fallback))
        {
            return (null, false);
        }
        IReadOnlyList<PhoneNumber>? owned = null;
        if (!string.IsNullOrEmpty(reference))
        {
            var number = await config.GetPhoneNumberAsync(cmd.AccountId, reference, ct);
            if (number is null)
            {
                owned = await agents.ListPhoneNumbersAsync(cmd.AccountId, ct);
                number = owned.FirstOrDefault(n => string.Equals(n.Label?.Trim(), reference, StringComparison.Ordinal))
                    ?? await FindNumberAsync(cmd, reference, ct);
            }
            if (number is not null)
            {
                return (number, false);
            }
            if (string.IsNullOrEmpty(fallback))
            {
                error("from", "is not the id, label or number of a phone number of this account");
                return (null, true);
            }
        }
        var byNumber = await FindNumberAsync(cmd, fallback!, ct);
        if (byNumber is null)
        {
            if (!string.IsNullOrEmpty(reference))
            {
                error("from", "is not the id, label or number of a phone number of this account");
            }
            error("fromNumber", $"'{fallback}' is not a phone number of this account");
            return (null, true);
        }
        return (byNumber, false);
    }

    /// <summary>The account's phone number whose number is <paramref name="value"/> (E.164, or national with the command's calling code).</summary>
    private async Task<PhoneNumber?> FindNumberAsync(TriggerCommand cmd, string value, CancellationToken ct)
    {
        var e164 = cmd.NationalCallingCode is { } code && E164.IsCallingCode(code) ? E164.FromNational(value, code) : E164.RemoveFormatting(value);
        return E164.IsValid(e164) ? await agents.FindPhoneNumberAsync(cmd.AccountId, e164, ct) : null;
    }

    /// <summary>
    /// The agent and how it was chosen: the request's reference (id, key, external reference; an unknown foreign one follows the
    /// account's rule), else the campaign's, the caller ID's, the account's default.
    /// </summary>
    private async Task<(Agent? Agent, AgentSource Source, string? Error)> ResolveAgentAsync(TriggerCommand cmd, Account account, PhoneNumber? number,
        Campaign? campaign, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(cmd.AgentId))
        {
            var reference = cmd.AgentId.Trim();
            if (await AgentReferences.FindAsync(agents, cmd.AccountId, reference, ct) is { } found)
            {
                return (found.Agent, found.External ? AgentSource.ExternalRef : AgentSource.Request, null);
            }
            if (!cmd.ForeignAgentRef || account.StrictAgentRefs)
            {
                return (null, AgentSource.Request, $"'{reference}' is not an agent id, key or external reference of this account");
            }
            var standIn = await config.GetDefaultAgentAsync(cmd.AccountId, ct);
            return standIn is null
                ? (null, AgentSource.Fallback, "names no agent of this account and the account has no default agent")
                : (standIn, AgentSource.Fallback, null);
        }
        if (campaign is not null)
        {
            var campaignAgent = await config.GetAgentAsync(cmd.AccountId, campaign.AgentId, ct);
            return campaignAgent is null
                ? (null, AgentSource.Campaign, "the campaign's agent no longer exists; set another agent on the campaign")
                : (campaignAgent, AgentSource.Campaign, null);
        }
        if (number?.AgentId is { } numberAgentId && await config.GetAgentAsync(cmd.AccountId, numberAgentId, ct) is { } numberAgent)
        {
            return (numberAgent, AgentSource.PhoneNumber, null);
        }
        var fallback = await config.GetDefaultAgentAsync(cmd.AccountId, ct);
        return fallback is null
            ? (null, AgentSource.AccountDefault, "is required: the account has no default agent")
            : (fallback, AgentSource.AccountDefault, null);
    }

    /// <summary>Contact fields, then declared defaults, then the request's variables (later wins); reports missing required ones.</summary>
    private static Dictionary<string, string> MergeVariables(TriggerCommand cmd, Agent agent, Action<string, string> error)
    {
        var values = PromptTemplate.Values(cmd.Contact, agent.Variables, cmd.Variables);
        foreach (var declared in agent.Variables)
        {
            if (declared.Required && !values.ContainsKey(declared.Name))
            {
                error($"variables.{declared.Name}", $"is required by agent '{agent.Key}'");
            }
        }
        return values;
    }

    private Call BuildCall(TriggerCommand cmd, DateTimeOffset now, Prepared p, IntakeDecision decision)
    {
        var (agent, source, number, values) = (p.Agent, p.Source, p.Number, p.Values);
        var baseRetry = p.Campaign?.Retry ?? agent.Retry ?? RetryPolicy.Single;
        var retry = new RetryPolicy(cmd.MaxAttempts ?? baseRetry.MaxAttempts,
            cmd.RetryCooldownSec ?? baseRetry.CooldownSec, baseRetry.EndOn);
        return new Call
        {
            Id = cmd.SecretId ? Ids.NewSecret("call", now) : Ids.New("call", now),
            AccountId = cmd.AccountId,
            Status = decision.Action == "queued" ? CallStatus.Queued : CallStatus.Scheduled,
            To = cmd.To!,
            From = number.Number,
            PhoneNumberId = number.Id,
            Provider = number.Provider,
            AgentId = agent.Id,
            AgentSource = source,
            AgentRef = string.IsNullOrWhiteSpace(cmd.AgentId) ? null : cmd.AgentId.Trim(),
            CampaignId = p.Campaign?.Id,
            ContactId = cmd.ContactId,
            TimeZone = cmd.TimeZone,
            IsTest = cmd.IsTest,
            Contact = cmd.Contact ?? [],
            Variables = cmd.Variables ?? new Dictionary<string, string>(),
            Metadata = cmd.Metadata,
            NotBefore = cmd.NotBefore,
            ExpiresAt = cmd.ExpiresAt,
            Record = cmd.Record ?? false,
            Consent = cmd.Consent,
            RingTimeoutSec = cmd.RingTimeoutSec ?? defaults.Value.RingTimeoutSec,
            MaxDurationSec = cmd.MaxDurationSec ?? defaults.Value.MaxDurationSec,
            Retry = retry,
            AllowDuplicates = cmd.AllowDuplicates,
            Webhooks = cmd.Webhooks ?? [],
            InsightQuestions = Insights.InsightQuestion.Merge(agent.InsightQuestions, cmd.InsightQuestions),
            CallbackOf = cmd.CallbackOf,
            Sandbox = cmd.Sandbox,
            RenderedPrompt = PromptTemplate.Render(agent.Prompt, values),
            RenderedFirstMessage = PromptTemplate.Render(agent.FirstMessage, values),
            Decision = decision,
            DueAt = decision.ScheduledFor,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    private static IntakeResult.Refused Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new("validation_failed", "The request has invalid fields.", errors);

    private static IntakeResult.Accepted Accepted(Call call)
    {
        Telemetry.OutdialTelemetry.CallAccepted(call);
        return new IntakeResult.Accepted(call);
    }

    private static IntakeResult.Refused KeyReused() =>
        new("idempotency_key_reused", "This Idempotency-Key was already used with a different request in the last 24 hours.",
            new Dictionary<string, string[]>());
}
