using Outdial.Core.Agents;
using Outdial.Core.Calls;

namespace Outdial.Core.Campaigns;

/// <summary>Campaign lifecycle: <c>draft → active ⇄ paused → completed | canceled</c>. Only active campaigns dial.</summary>
public enum CampaignStatus
{
    Draft,
    Active,
    Paused,
    Completed,
    Canceled,
}

/// <summary>How a campaign picks the caller ID of each call from its pool.</summary>
public enum CallerIdStrategy
{
    /// <summary>Always the first number of the pool.</summary>
    Fixed,
    /// <summary>Each new call takes the next number of the pool.</summary>
    RoundRobin,
    /// <summary>A pool number with the callee's area code (+1) or country, else round robin ("local presence").</summary>
    LocalPresence,
}

/// <summary>Campaign pacing: at most <see cref="MaxConcurrentCalls"/> dialing/ringing/in progress, at most <see cref="CallsPerSecond"/> new dials per second.</summary>
public sealed record CampaignPacing(int MaxConcurrentCalls, double CallsPerSecond);

/// <summary>
/// A named set of calls sharing an agent, caller-ID pool, calling window, retry policy, pacing and DNC rules
/// (ARCHITECTURE §2; the Talkover seed's campaign object). <see cref="Window"/>'s time zone is an IANA id or
/// <see cref="CalleeZone"/> (each callee's own zone). <see cref="StartAt"/>/<see cref="EndAt"/> bound dialing (UTC).
/// Retry policy and window are read afresh at each decision, so editing them applies to calls not yet dialed.
/// </summary>
public sealed record Campaign
{
    /// <summary>The <see cref="CallingWindow.TimeZone"/> value meaning "the callee's own zone".</summary>
    public const string CalleeZone = CallingWindow.CalleeZone;

    public required string Id { get; init; }
    public required string AccountId { get; init; }
    /// <summary>Unique per account among campaigns not deleted.</summary>
    public required string Name { get; init; }
    public required CampaignStatus Status { get; init; }
    public required string AgentId { get; init; }
    /// <summary>Phone number ids of the caller-ID pool (at least one).</summary>
    public required IReadOnlyList<string> CallerIds { get; init; }
    public CallerIdStrategy CallerIdStrategy { get; init; } = CallerIdStrategy.Fixed;
    /// <summary>null = the agent's window (and always the legal floor).</summary>
    public CallingWindow? Window { get; init; }
    public DateTimeOffset? StartAt { get; init; }
    public DateTimeOffset? EndAt { get; init; }
    /// <summary>Seconds after a contact joins the campaign before its first dial.</summary>
    public int InitialDelaySec { get; init; }
    /// <summary>Max attempts per contact, cooldown per outcome, outcomes that end the contact.</summary>
    public required RetryPolicy Retry { get; init; }
    public required CampaignPacing Pacing { get; init; }
    /// <summary>When false, plain DNC entries are not checked; opt-outs always are.</summary>
    public bool DncEnabled { get; init; } = true;
    /// <summary>Outcomes that add the number to the account's DNC list (source <c>campaign:{id}</c>).</summary>
    public IReadOnlyList<CallOutcome> AutoDncOutcomes { get; init; } = [];
    /// <summary>Move to <c>completed</c> once every contact is done (and at least one existed).</summary>
    public bool CompleteWhenDone { get; init; } = true;
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? ActivatedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>Optimistic concurrency: incremented on every write.</summary>
    public long Version { get; init; }

    /// <summary>True in the states that can never change again.</summary>
    public bool IsFinished => Status is CampaignStatus.Completed or CampaignStatus.Canceled;

    /// <summary>Attempts per contact when a campaign gives none.</summary>
    public const int DefaultMaxAttempts = 3;

    /// <summary>Pacing when a campaign gives none: 10 concurrent calls, 1 dial per second.</summary>
    public static CampaignPacing DefaultPacing { get; } = new(10, 1);

    /// <summary>Retry when a campaign gives none: <see cref="DefaultMaxAttempts"/> attempts, no cooldowns of its own, <c>rejected</c> ends the contact.</summary>
    public static RetryPolicy DefaultRetry { get; } = new(DefaultMaxAttempts, new Dictionary<CallOutcome, int>(), [CallOutcome.Rejected]);

    /// <summary>
    /// A campaign created on first use by name (intake's <c>CampaignName</c>): active from <paramref name="now"/> (UTC), for
    /// <paramref name="agentId"/>, calling from <paramref name="callerId"/> (a phone number id), with the defaults above, the
    /// agent's window, DNC on, and never completing by itself (later requests add to it).
    /// </summary>
    public static Campaign CreateActive(string accountId, string name, string agentId, string callerId, DateTimeOffset now) => new()
    {
        Id = Common.Ids.New("cmp", now),
        AccountId = accountId,
        Name = name,
        Status = CampaignStatus.Active,
        AgentId = agentId,
        CallerIds = [callerId],
        Retry = DefaultRetry,
        Pacing = DefaultPacing,
        CompleteWhenDone = false,
        CreatedAt = now,
        UpdatedAt = now,
        ActivatedAt = now,
        Version = 1,
    };
}

/// <summary>Where a campaign contact stands.</summary>
public enum ContactStatus
{
    /// <summary>Imported, not yet turned into a call.</summary>
    Pending,
    /// <summary>Has a call (<see cref="CampaignContact.CallId"/>); the call's status tells the rest.</summary>
    Called,
    /// <summary>Never called: <see cref="CampaignContact.SkipReason"/> says why (an eligibility reason code, or <c>campaign_canceled</c>).</summary>
    Skipped,
}

/// <summary>
/// One row of a campaign's contact list. <see cref="Fields"/> holds every column besides <c>phone</c> and
/// <c>timezone</c>; they become the call's contact fields and prompt variables.
/// </summary>
public sealed record CampaignContact
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string CampaignId { get; init; }
    /// <summary>E.164.</summary>
    public required string Phone { get; init; }
    /// <summary>Explicit IANA zone of the contact, overriding the zone derived from the number.</summary>
    public string? TimeZone { get; init; }
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public required ContactStatus Status { get; init; }
    public string? CallId { get; init; }
    public string? SkipReason { get; init; }
    public string? ImportId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>An import job's state.</summary>
public enum ImportStatus
{
    Running,
    Completed,
    Failed,
}

/// <summary>A refused import row: 1-based data row number (the CSV header is row 0) and why.</summary>
public sealed record ImportRowError(long Row, string Reason);

/// <summary>
/// A bulk contact import (<c>POST /v1/campaigns/{id}/contacts</c>): counts so far, progress and the first
/// <see cref="ContactImport.MaxListedErrors"/> row errors. <see cref="RowsRead"/> is committed with the contacts it
/// produced, so a restarted server resumes after the last committed row.
/// </summary>
public sealed record ContactImport
{
    /// <summary>Row errors kept on the resource; <see cref="Invalid"/> counts them all.</summary>
    public const int MaxListedErrors = 1000;

    /// <summary>Most rows one import accepts.</summary>
    public const long MaxRows = 1_000_000;

    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string CampaignId { get; init; }
    public required ImportStatus Status { get; init; }
    /// <summary><c>csv</c> or <c>json</c>.</summary>
    public required string Format { get; init; }
    /// <summary>Bytes of the spooled upload.</summary>
    public long TotalBytes { get; init; }
    /// <summary>Bytes of the upload processed so far (progress = BytesRead / TotalBytes).</summary>
    public long BytesRead { get; init; }
    public long RowsRead { get; init; }
    public long Accepted { get; init; }
    public long Duplicate { get; init; }
    public long Invalid { get; init; }
    public long DncSuppressed { get; init; }
    public IReadOnlyList<ImportRowError> Errors { get; init; } = [];
    /// <summary>Why a <c>failed</c> import stopped (e.g. malformed JSON at a byte offset).</summary>
    public string? FailureReason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}
