using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;
using Outdial.Core.Compliance;
using Outdial.Core.PhoneNumbers;
using Outdial.Core.Storage;
using Outdial.Core.Telemetry;
using Outdial.Core.Telephony;

namespace Outdial.Core.Dispatch;

/// <summary>
/// Claims due calls with a lease, re-checks eligibility at dial time, paces dials (CPS per caller ID, concurrency
/// per account), writes the attempt as <c>dialing</c> and commits it, and only then asks the provider to dial
/// (ARCHITECTURE §3.2). Delivery guarantee: a call is dialed at most once per attempt; if the process dies after the
/// attempt is written, the reconciler asks the provider what happened instead of dialing again.
/// </summary>
public sealed partial class Dispatcher(
    ICallStore calls,
    CallChanges changes,
    IAccountStore accounts,
    IAgentStore agents,
    ICampaignStore campaigns,
    ComplianceChecker compliance,
    TelephonyProviders providers,
    IProviderEventSink progress,
    CallCommands commands,
    IPacingLimiter pacing,
    Nodes.NodeIdentity node,
    DispatchSignal wake,
    IOptions<DispatcherOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<Dispatcher> log) : BackgroundService
{
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly string _leaseToken = node.LeaseToken(Nodes.NodeIdentity.Dispatch);
    private readonly CancellationTokenSource _dialsAborted = new();

    /// <summary>
    /// How many calls the next round claims: the batch size, or fewer while the calls claimed were mostly held back by a
    /// limit (about twice what the last round moved on), so that a backlog waiting for capacity or a CPS slot costs a
    /// few claims and hand-backs per round instead of a whole batch of each.
    /// </summary>
    private int _claimLimit = options.Value.BatchSize;

    /// <summary>The last round claimed calls and every one was held back by a limit.</summary>
    private bool _heldBack;

    /// <summary>The time (UTC) the last claim round claimed as of.</summary>
    private DateTimeOffset _lastRoundAt = DateTimeOffset.MinValue;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // A round whose calls were all held back by a limit is not woken by newly accepted calls: they would be held back
        // too, so waking for them would only claim and hand back again (one write per accepted call on the hot path). It
        // still wakes when the calls it handed back fall due (a CPS slot's time), not a whole poll interval later.
        ClaimLoop.RunAsync(lifetime, RunOnceAsync, ct => IdleAsync(ct, wakeOnSignal: !_heldBack), ex => LogRoundFailed(log, ex), stoppingToken);

    /// <summary>
    /// Nothing was due, or every call claimed was held back by a limit: sleeps until the earliest due time of a waiting call
    /// (a call scheduled for later, or one handed back until its caller ID's next CPS slot), at most the poll interval
    /// (which still finds calls whose lease expired or that another node released), or, when <paramref name="wakeOnSignal"/>,
    /// until woken (a call accepted for now, by this node or, through the relay, another;
    /// <see cref="DispatchSignal.NotifyDue"/> for one due before then). So a call is claimed at its due time, not up to a
    /// poll interval late.
    /// </summary>
    public async Task IdleAsync(CancellationToken ct, bool wakeOnSignal = true)
    {
        var wait = options.Value.PollInterval;
        var now = clock.GetUtcNow();
        try
        {
            // After the last round's time, not now: a call that fell due between that round's claim and this read is found
            // (and the next round claims it at once). Each round moves this on, so a due call another node holds is not
            // found again and again.
            if (await calls.NextDueAtAsync(_lastRoundAt, ct) is { } next && next - now < wait)
            {
                wait = next > now ? next - now : TimeSpan.Zero;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRoundFailed(log, ex); // poll as before
        }
        if (!wakeOnSignal)
        {
            await Task.Delay(wait, clock, ct);
            return;
        }
        wake.SleepingUntil = now + wait;
        try
        {
            await wake.WaitAsync(wait, clock, ct);
        }
        finally
        {
            wake.SleepingUntil = DateTimeOffset.MaxValue;
        }
    }

    /// <summary>Staged shutdown: stop claiming, then give in-flight dial requests <see cref="DispatcherOptions.ShutdownTimeout"/>.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var pending = Task.WhenAll(_inFlight.Keys);
        var finished = await Task.WhenAny(pending, Task.Delay(options.Value.ShutdownTimeout, clock, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default));
        if (finished != pending)
        {
            await _dialsAborted.CancelAsync();
        }
    }

    /// <summary>
    /// One claim round. Returns how many of the claimed calls moved on (dialed, ended, or deferred to a later time by the
    /// rules); calls handed back only because an account, campaign or caller ID was at its limit do not count, so that a
    /// backlog waiting for capacity makes the dispatcher wait for its next poll (or a wake-up) rather than claim and hand
    /// back the same calls in a loop, which would take the database's write capacity from intake. Dial requests continue
    /// in the background.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        _lastRoundAt = now;
        var due = await calls.ClaimDueCallsAsync(now, _claimLimit, options.Value.LeaseDuration, _leaseToken, ct);
        if (due.Count == 0)
        {
            _claimLimit = options.Value.BatchSize;
            _heldBack = false;
            return 0;
        }
        var round = new Round(new Dictionary<string, int>(await calls.CountActiveCallsAsync(ct), StringComparer.Ordinal));
        foreach (var call in due)
        {
            try
            {
                await ProcessAsync(call, round, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One bad call must not starve the others; its lease expires and it is tried again.
                LogCallFailed(log, ex, call.Id);
            }
        }
        try
        {
            await Task.WhenAll(round.Releases);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRoundFailed(log, ex); // the leases expire on their own
        }
        var moved = due.Count - round.Held;
        _claimLimit = Math.Clamp(moved * 2 + 1, 1, options.Value.BatchSize);
        _heldBack = moved == 0;
        return moved;
    }

    /// <summary>
    /// What one claim round has read: active-call counts (kept current as it dials) and the accounts, agents and
    /// caller IDs of its calls, each read once per round rather than once per call. A later round reads them
    /// afresh, so edits apply to calls not yet dialed.
    /// </summary>
    private sealed record Round(Dictionary<string, int> Active)
    {
        public Dictionary<string, Account?> Accounts { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Agent?> Agents { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, PhoneNumber?> Numbers { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Campaign?> Campaigns { get; } = new(StringComparer.Ordinal);

        /// <summary>Active calls per campaign, read on first need.</summary>
        public Dictionary<string, int>? CampaignActive { get; set; }

        /// <summary>Calls handed back unchanged because a limit (capacity, pacing) or an inactive campaign held them.</summary>
        public int Held { get; set; }

        /// <summary>
        /// Lease releases of this round, issued without waiting one by one so the single writer commits them together
        /// (a round that paces 500 calls would otherwise pay 500 commits).
        /// </summary>
        public List<Task<bool>> Releases { get; } = [];
    }

    private static async Task<T?> OnceAsync<T>(Dictionary<string, T?> cache, string key, Func<Task<T?>> read) where T : class
    {
        if (!cache.TryGetValue(key, out var value))
        {
            value = await read();
            cache[key] = value;
        }
        return value;
    }

    private async Task ProcessAsync(Call call, Round round, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var active = round.Active;
        var agent = await OnceAsync(round.Agents, call.AgentId, () => agents.GetAgentAsync(call.AccountId, call.AgentId, ct, includeDeleted: true));
        var account = await OnceAsync(round.Accounts, call.AccountId, () => accounts.GetAccountAsync(call.AccountId, ct))
            ?? throw new InvalidOperationException($"call {call.Id} has no account");
        Campaign? campaign = null;
        if (call.CampaignId is { } campaignId)
        {
            campaign = await OnceAsync(round.Campaigns, campaignId, () => campaigns.GetCampaignByIdAsync(campaignId, ct));
            if (campaign is not { Status: CampaignStatus.Active })
            {
                // Paused or finished since the claim: leave it; the claim query skips calls of inactive campaigns.
                round.Held++;
                round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, call.DueAt, ct));
                return;
            }
        }
        // Dial-time re-check (ARCHITECTURE §3.2): the campaign's current window and rules, DNC, consent, caps.
        var check = await compliance.CheckAsync(ComplianceSubject.ForCall(call, account, agent, campaign), now, ct);
        var verdict = check.Verdict;
        switch (verdict.Action)
        {
            case EligibilityAction.Expire:
                await EndAsync(call, CallStatus.Expired, CallEventTypes.Expired, verdict, now, ct);
                return;
            case EligibilityAction.Block:
                await EndAsync(call, CallStatus.Blocked, CallEventTypes.Blocked, verdict, now, ct);
                return;
            case EligibilityAction.Defer:
                await DeferAsync(call, round, verdict, now, ct);
                return;
        }

        // An account the operator disabled dials nothing: its calls wait (they still expire on time, above) until it is enabled.
        if (account.DisabledAt is not null || active.GetValueOrDefault(call.AccountId) >= account.MaxConcurrentCalls)
        {
            round.Held++;
            round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, now + options.Value.CapacityRetryDelay, ct));
            return;
        }
        if (campaign is not null)
        {
            round.CampaignActive ??= new Dictionary<string, int>(await campaigns.CountActiveCallsByCampaignAsync(ct), StringComparer.Ordinal);
            if (round.CampaignActive.GetValueOrDefault(campaign.Id) >= campaign.Pacing.MaxConcurrentCalls)
            {
                round.Held++;
                round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, now + options.Value.CapacityRetryDelay, ct));
                return;
            }
        }
        var provider = providers.Find(call.Provider);
        if (provider is null)
        {
            await EndAsync(call, CallStatus.Blocked, CallEventTypes.Blocked, new EligibilityVerdict(EligibilityAction.Block, null,
                [new EligibilityReason("provider_not_configured", $"the caller ID's provider '{call.Provider}' is not configured on this server")]), now, ct);
            return;
        }
        if (agent is not null && Intake.CallIntake.CannotConverse(agent, provider) is { } cannot)
        {
            await EndAsync(call, CallStatus.Blocked, CallEventTypes.Blocked, new EligibilityVerdict(EligibilityAction.Block, null,
                [new EligibilityReason("provider_cannot_converse", cannot)]), now, ct);
            return;
        }
        var number = call.PhoneNumberId is { } pnId
            ? await OnceAsync(round.Numbers, pnId, () => agents.GetPhoneNumberAsync(call.AccountId, pnId, ct))
            : null;
        if (await pacing.TryAcquireAsync(call.PhoneNumberId ?? call.From, number?.CallsPerSecond ?? 1, now, ct) is { } nextSlot)
        {
            round.Held++;
            round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, nextSlot, ct));
            return;
        }
        if (campaign is not null && await pacing.TryAcquireAsync("campaign:" + campaign.Id, campaign.Pacing.CallsPerSecond, now, ct) is { } campaignSlot)
        {
            round.Held++;
            round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, campaignSlot, ct));
            return;
        }
        if (provider.CallsPerSecond is { } providerCps && await pacing.TryAcquireAsync("provider:" + provider.Name, providerCps, now, ct) is { } providerSlot)
        {
            round.Held++;
            round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, providerSlot, ct));
            return;
        }

        // The dial's time is read again here, after the checks above (reads, pacing writes), so that an attempt's createdAt is
        // when its dialing write was decided.
        now = clock.GetUtcNow();
        var attempt = new Attempt
        {
            Id = Ids.New("att", now),
            CallId = call.Id,
            AccountId = call.AccountId,
            Number = call.AttemptCount + 1,
            Provider = provider.Name,
            NodeId = node.Id,
            Status = AttemptStatus.Dialing,
            To = call.To,
            From = call.From,
            RecordingRequested = call.Record,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        var events = new List<NewCallEvent>();
        if (call.Status == CallStatus.Scheduled)
        {
            events.Add(new NewCallEvent(CallEventTypes.Queued, new JsonObject { ["status"] = CallStatus.Queued.ToWire() }));
        }
        events.Add(new NewCallEvent(CallEventTypes.Dialing, new JsonObject
        {
            ["status"] = CallStatus.Dialing.ToWire(),
            ["attempt"] = attempt.Number,
            ["provider"] = provider.Name,
        }));
        // The attempt is durable before the provider hears of it: a crash from here on leaves an attempt the
        // reconciler resolves by asking the provider, never by dialing again.
        var dialing = new CallChange
        {
            CallId = call.Id,
            Expected = [CallStatus.Scheduled, CallStatus.Queued],
            Next = CallStatus.Dialing,
            Via = call.Status == CallStatus.Scheduled ? CallStatus.Queued : null,
            At = now,
            LeaseToken = _leaseToken,
            NewAttempt = attempt,
            Events = events,
            Decision = new CallDecision(now, "dispatch", "dial", null, []),
            // The limits checked above from this round's counts, checked again in the write itself: other nodes dial too.
            Capacity = new ActiveCallLimit(call.AccountId, account.MaxConcurrentCalls, campaign?.Id, campaign?.Pacing.MaxConcurrentCalls),
        };
        switch (await changes.ApplyAsync(dialing, ct))
        {
            case CallWriteResult.AtCapacity:
                round.Held++;
                round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, now + options.Value.CapacityRetryDelay, ct));
                return;
            case not CallWriteResult.Written:
                return; // Canceled meanwhile, or the lease was lost to another node.
        }
        OutdialTelemetry.ChangeApplied(dialing, provider.Name);
        OutdialTelemetry.DialedLate(call.DueAt, now);
        active[call.AccountId] = active.GetValueOrDefault(call.AccountId) + 1;
        if (campaign is not null && round.CampaignActive is { } byCampaign)
        {
            byCampaign[campaign.Id] = byCampaign.GetValueOrDefault(campaign.Id) + 1;
        }
        var request = new DialRequest(attempt.Id, call.Id, call.To, call.From, call.RingTimeoutSec, call.MaxDurationSec, call.Record,
            agent?.AnsweringMachineDetection ?? AnsweringMachineDetection.Off);
        // On the thread pool: a provider that does blocking work before its first await (the sandbox fsyncs its ledger)
        // must not hold up the round's other calls or the next claim.
        var task = Task.Run(() => DialAsync(provider, request), CancellationToken.None);
        _inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task DialAsync(ITelephonyProvider provider, DialRequest request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_dialsAborted.Token, lifetime.ApplicationStopped);
        timeout.CancelAfter(options.Value.DialTimeout);
        DialResult result;
        using (var span = OutdialTelemetry.Source.StartActivity("outdial.dial", ActivityKind.Client))
        {
            span?.SetTag("outdial.provider", provider.Name);
            var started = Stopwatch.GetTimestamp();
            try
            {
                result = await provider.DialAsync(request, timeout.Token);
            }
            catch (Exception ex)
            {
                OutdialTelemetry.Dial(provider.Name, "unknown", Stopwatch.GetElapsedTime(started).TotalSeconds);
                span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                LogDialUnknown(log, ex, request.CallId, request.AttemptId);
                return;
            }
            var outcome = result is DialResult.Placed ? "placed" : "refused";
            OutdialTelemetry.Dial(provider.Name, outcome, Stopwatch.GetElapsedTime(started).TotalSeconds);
            span?.SetTag("outdial.dial.result", outcome);
        }
        try
        {
            switch (result)
            {
                case DialResult.Placed placed:
                    await progress.ApplyAsync(new ProviderEvent
                    {
                        Provider = provider.Name,
                        ProviderCallId = placed.ProviderCallId,
                        AttemptId = request.AttemptId,
                        Kind = ProviderEventKind.Initiated,
                        Sequence = -1,
                        At = clock.GetUtcNow(),
                    }, CancellationToken.None);
                    var call = await calls.GetCallByIdAsync(request.CallId, CancellationToken.None);
                    if (call is not null && call.Status.IsTerminal())
                    {
                        await commands.HangUpCurrentAttemptAsync(call, CancellationToken.None);
                    }
                    break;
                case DialResult.Refused refused:
                    await progress.ApplyAsync(new ProviderEvent
                    {
                        Provider = provider.Name,
                        ProviderCallId = "refused:" + request.AttemptId,
                        AttemptId = request.AttemptId,
                        Kind = ProviderEventKind.Completed,
                        Sequence = 0,
                        At = clock.GetUtcNow(),
                        Outcome = refused.Outcome,
                        ProviderStatus = refused.ProviderStatus,
                        SipCode = refused.SipCode,
                        Q850Code = refused.Q850Code,
                        Error = refused.Error,
                    }, CancellationToken.None);
                    break;
            }
        }
        catch (Exception ex)
        {
            LogRecordFailed(log, ex, request.CallId);
        }
    }

    private async Task DeferAsync(Call call, Round round, EligibilityVerdict verdict, DateTimeOffset now, CancellationToken ct)
    {
        var until = verdict.NextEligibleAt!.Value;
        if (call.Status == CallStatus.Scheduled)
        {
            // Already scheduled: no new event (the status does not change), but the deferral and its reasons go on the audit trail.
            round.Releases.Add(changes.ReleaseLeaseAsync(call.Id, _leaseToken, until, ct,
                new CallDecision(now, "dispatch", "deferred", until, verdict.Reasons)));
            return;
        }
        await changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id,
            Expected = [CallStatus.Queued],
            Next = CallStatus.Scheduled,
            At = now,
            LeaseToken = _leaseToken,
            DueAt = until,
            Decision = new CallDecision(now, "dispatch", "deferred", until, verdict.Reasons),
            Events = [new NewCallEvent(CallEventTypes.Scheduled, new JsonObject
            {
                ["status"] = CallStatus.Scheduled.ToWire(),
                ["scheduledFor"] = until,
                ["reason"] = verdict.Reasons[0].Code,
                ["reasons"] = Reasons(verdict),
            })],
        }, ct);
    }

    private static JsonNode? Reasons(EligibilityVerdict verdict) => System.Text.Json.JsonSerializer.SerializeToNode(verdict.Reasons, Json.Options);

    private Task<bool> EndAsync(Call call, CallStatus status, string type, EligibilityVerdict verdict, DateTimeOffset now, CancellationToken ct) =>
        changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id,
            Expected = [CallStatus.Scheduled, CallStatus.Queued],
            Next = status,
            At = now,
            LeaseToken = _leaseToken,
            StatusReason = verdict.Reasons[0].Code,
            Decision = new CallDecision(now, "dispatch", status == CallStatus.Expired ? "expired" : "blocked", null, verdict.Reasons),
            Events = [new NewCallEvent(type, new JsonObject
            {
                ["status"] = status.ToWire(),
                ["reason"] = verdict.Reasons[0].Code,
                ["reasons"] = Reasons(verdict),
            })],
        }, ct);

    /// <inheritdoc />
    public override void Dispose()
    {
        _dialsAborted.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Dispatch round failed; retrying")]
    private static partial void LogRoundFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Dispatching call {CallId} failed; it returns to the pool when its lease expires")]
    private static partial void LogCallFailed(ILogger logger, Exception ex, string callId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Dial of call {CallId} attempt {AttemptId} has an unknown outcome; the reconciler will ask the provider")]
    private static partial void LogDialUnknown(ILogger logger, Exception ex, string callId, string attemptId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Recording the dial result of call {CallId} failed; the reconciler will repair it")]
    private static partial void LogRecordFailed(ILogger logger, Exception ex, string callId);
}
