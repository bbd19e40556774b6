using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Intake;
using Outdial.Core.Storage;

namespace Outdial.Core.Campaigns;

/// <summary>Campaign runner settings (configuration section <c>Outdial:Campaigns</c>).</summary>
public sealed class CampaignOptions
{
    /// <summary>How often the runner feeds contacts and checks for completion (default 1 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Least number of a campaign's calls kept due within <see cref="FeedLookahead"/> (default 100); more for fast campaigns.</summary>
    public int MinFeedAhead { get; set; } = 100;

    /// <summary>Calls due later than this are not counted as work in hand (default 10 min).</summary>
    public TimeSpan FeedLookahead { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Where uploads are spooled before import; default <c>{DataDirectory}/imports</c>.</summary>
    public string? ImportDirectory { get; set; }

    /// <summary>Contact rows written per transaction during an import (default 1,000).</summary>
    public int ImportBatchSize { get; set; } = 1000;
}

/// <summary>
/// Moves active campaigns along: turns pending contacts into calls through <see cref="CallIntake"/> (so every
/// contact goes through the same validation and eligibility as any call), keeping enough calls due to satisfy the
/// campaign's pacing; ends campaigns past their end date; marks campaigns completed once every contact is done.
/// A contact's call is created with Idempotency-Key <c>contact:{id}</c>, so a crash between creating the call and
/// marking the contact never makes a second call. With several nodes, each campaign is fed by one node at a time: the node
/// holding its <c>campaign-feed</c> claim (<see cref="IClaimStore"/>), renewed on every pass and taken over by another node
/// once it lapses (<see cref="FeedClaimFor"/>) or is handed back at shutdown; so the nodes share the campaigns instead of
/// feeding the same contacts side by side.
/// </summary>
public sealed partial class CampaignRunner(
    ICampaignStore campaigns,
    ICallStore calls,
    CallIntake intake,
    CallCommands commands,
    IClaimStore claims,
    Nodes.NodeIdentity node,
    IOptions<CampaignOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<CampaignRunner> log) : BackgroundService
{
    /// <summary>The claim scope of a campaign's feed (key: the campaign id).</summary>
    public const string FeedScope = "campaign-feed";

    private readonly HashSet<string> _feeding = new(StringComparer.Ordinal);

    /// <summary>How long a feed claim lasts without renewal: five poll intervals, at least 5 s.</summary>
    private TimeSpan FeedClaimFor => TimeSpan.FromTicks(Math.Max(options.Value.PollInterval.Ticks * 5, TimeSpan.TicksPerSecond * 5));

    /// <summary>Hands the campaigns this node feeds back at shutdown, so another node feeds them at once.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        string[] held;
        lock (_feeding)
        {
            held = [.. _feeding];
            _feeding.Clear();
        }
        foreach (var id in held)
        {
            try
            {
                await claims.ReleaseClaimAsync(FeedScope, id, node.Id, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCampaignFailed(log, ex, id); // the claim lapses on its own
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await lifetime.WaitForStartedAsync(stoppingToken))
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogRoundFailed(log, ex);
            }
            try
            {
                await Task.Delay(options.Value.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One pass over every active campaign; returns how many calls were created.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var created = 0;
        foreach (var campaign in await campaigns.ListActiveCampaignsAsync(ct))
        {
            try
            {
                var now = clock.GetUtcNow();
                if (!await claims.TryClaimAsync(FeedScope, campaign.Id, node.Id, now, now + FeedClaimFor, ct))
                {
                    lock (_feeding)
                    {
                        _feeding.Remove(campaign.Id);
                    }
                    continue; // another node feeds it
                }
                lock (_feeding)
                {
                    _feeding.Add(campaign.Id);
                }
                created += await StepAsync(campaign, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCampaignFailed(log, ex, campaign.Id);
            }
        }
        return created;
    }

    private async Task<int> StepAsync(Campaign campaign, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (campaign.EndAt is { } end && end <= now)
        {
            await FinishAsync(campaign, CampaignStatus.Completed, "campaign_ended", ct);
            return 0;
        }
        if (campaign.StartAt is { } start && start > now)
        {
            return 0;
        }
        var target = Math.Max(options.Value.MinFeedAhead,
            Math.Max(campaign.Pacing.MaxConcurrentCalls * 2, (int)Math.Ceiling(campaign.Pacing.CallsPerSecond * options.Value.PollInterval.TotalSeconds * 4)));
        var open = await campaigns.CountOpenCallsAsync(campaign.Id, now + options.Value.FeedLookahead, ct);
        var created = 0;
        if (open < target)
        {
            foreach (var contact in await campaigns.ListPendingContactsAsync(campaign.Id, target - open, ct))
            {
                created += await FeedAsync(campaign, contact, now, ct) ? 1 : 0;
            }
        }
        if (created == 0 && campaign.CompleteWhenDone && await campaigns.HasAnyWorkAsync(campaign.Id, ct)
            && !await campaigns.HasUnfinishedWorkAsync(campaign.Id, ct))
        {
            await SetStatusAsync(campaign, CampaignStatus.Completed, ct);
        }
        return created;
    }

    /// <summary>Creates the contact's call; marks the contact called or skipped (with the refusal's reason code).</summary>
    private async Task<bool> FeedAsync(Campaign campaign, CampaignContact contact, DateTimeOffset now, CancellationToken ct)
    {
        var fields = new JsonObject();
        foreach (var (k, v) in contact.Fields)
        {
            fields[k] = v;
        }
        var result = await intake.TriggerAsync(new TriggerCommand
        {
            AccountId = campaign.AccountId,
            To = contact.Phone,
            CampaignId = campaign.Id,
            ContactId = contact.Id,
            TimeZone = contact.TimeZone,
            Contact = fields,
            Variables = contact.Fields,
            // Adding a contact to a campaign is the account's statement that the contact agreed to be called; accounts
            // that need more require consent records, which intake checks per number.
            Consent = new ConsentEvidence(true, "campaign_contacts", contact.CreatedAt, null),
            Idempotency = new IdempotencyInput("contact:" + contact.Id, "contact:" + contact.Id, call => call.Id),
        }, ct);
        switch (result)
        {
            case IntakeResult.Accepted a:
                await campaigns.MarkContactAsync(contact.Id, ContactStatus.Called, a.Call.Id, null, ct);
                return true;
            case IntakeResult.Replayed r:
                await campaigns.MarkContactAsync(contact.Id, ContactStatus.Called, r.Body, null, ct);
                return false;
            case IntakeResult.Duplicate d:
                await campaigns.MarkContactAsync(contact.Id, ContactStatus.Skipped, d.Existing.Id, "duplicate_active_call", ct);
                return false;
            case IntakeResult.Refused refused:
                await campaigns.MarkContactAsync(contact.Id, ContactStatus.Skipped, null, SkipReason(refused), ct);
                return false;
            default:
                return false; // In flight on another path; the next pass sees the outcome.
        }
    }

    private static string SkipReason(IntakeResult.Refused refused) => refused.Code switch
    {
        "number_on_dnc" => "dnc_listed",
        "validation_failed" => "invalid",
        _ => refused.Code,
    };

    /// <summary>
    /// Ends a campaign (<c>completed</c> or <c>canceled</c>): pending contacts are skipped with <paramref name="reason"/> and
    /// calls not yet dialed are canceled; calls in progress finish and are not retried.
    /// </summary>
    public async Task<Campaign?> FinishAsync(Campaign campaign, CampaignStatus status, string reason, CancellationToken ct)
    {
        var updated = await SetStatusAsync(campaign, status, ct);
        if (updated is null)
        {
            return null;
        }
        await campaigns.SkipPendingContactsAsync(campaign.Id, reason, ct);
        foreach (var pending in new[] { CallStatus.Scheduled, CallStatus.Queued })
        {
            string? cursor = null;
            while (true)
            {
                var page = await calls.ListCallsAsync(new CallQuery(campaign.AccountId, 500, cursor, pending, CampaignId: campaign.Id), ct);
                foreach (var call in page)
                {
                    await commands.CancelAsync(campaign.AccountId, call.Id, ct, reason);
                }
                if (page.Count < 500)
                {
                    break;
                }
                cursor = page[^1].Id;
            }
        }
        return updated;
    }

    /// <summary>Writes a status change with optimistic concurrency, re-reading on a lost race; null when the campaign is gone or already finished.</summary>
    private async Task<Campaign?> SetStatusAsync(Campaign campaign, CampaignStatus status, CancellationToken ct)
    {
        for (var i = 0; i < 8; i++)
        {
            if (campaign.IsFinished)
            {
                return null;
            }
            var now = clock.GetUtcNow();
            var next = campaign with { Status = status, UpdatedAt = now, EndedAt = now, Version = campaign.Version + 1 };
            if (await campaigns.UpdateCampaignAsync(next, ct) == UpsertResult.Ok)
            {
                return next;
            }
            if (await campaigns.GetCampaignByIdAsync(campaign.Id, ct) is not { } fresh)
            {
                return null;
            }
            campaign = fresh;
        }
        return null;
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Campaign runner pass failed; retrying")]
    private static partial void LogRoundFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Campaign {CampaignId} step failed; retrying next pass")]
    private static partial void LogCampaignFailed(ILogger logger, Exception ex, string campaignId);
}
