using System.Text.Json.Serialization;

namespace Outdial.Core.Calls;

/// <summary>Who picked up, as answering-machine detection (AMD) reports it.</summary>
public enum AnsweredBy
{
    Human,
    Machine,
    Unknown,
}

/// <summary>Progress of one dial. <c>dialing</c> is written and committed before the provider is asked to dial.</summary>
public enum AttemptStatus
{
    Dialing,
    Ringing,
    InProgress,
    Completed,
}

/// <summary>
/// One dial through one provider (ARCHITECTURE §2). Times are UTC. <see cref="ProviderCallId"/> is the
/// provider's reference (a Twilio call SID, a sandbox id); null while the dial request's fate is unknown.
/// <see cref="Version"/> increases on every write (optimistic concurrency).
/// </summary>
public sealed record Attempt
{
    public required string Id { get; init; }
    public required string CallId { get; init; }
    public required string AccountId { get; init; }
    /// <summary>1 for the first dial of a call, 2 for its first retry, ...</summary>
    public required int Number { get; init; }
    public required string Provider { get; init; }
    /// <summary>The node that dialed it (<see cref="Nodes.NodeIdentity.Id"/>); null on attempts written before nodes were recorded.</summary>
    public string? NodeId { get; init; }
    public string? ProviderCallId { get; init; }
    public required AttemptStatus Status { get; init; }
    public CallOutcome? Outcome { get; init; }
    public AnsweredBy? AnsweredBy { get; init; }
    public int? SipCode { get; init; }
    public int? Q850Code { get; init; }
    /// <summary>The provider's own status word, kept verbatim (e.g. Twilio's <c>no-answer</c>).</summary>
    public string? ProviderStatus { get; init; }
    public string? Error { get; init; }
    /// <summary>URL of the provider's recording of this attempt, when one was made.</summary>
    public string? RecordingUrl { get; init; }
    /// <summary>Whether the provider was asked to record this attempt (the call's <c>record</c> at dial time).</summary>
    public bool RecordingRequested { get; init; }
    /// <summary>
    /// When (UTC) the reconciler asked the provider for a recording it had not reported and learned there is none;
    /// set once, so such an attempt is asked about only once.
    /// </summary>
    public DateTimeOffset? RecordingCheckedAt { get; init; }
    /// <summary>What happened in this attempt's conversation (set by the conversation engine); null when none ran.</summary>
    public Conversation.ConversationSummary? Conversation { get; init; }
    /// <summary>The provider's raw values from its latest report (names as the provider sends them).</summary>
    public IReadOnlyDictionary<string, string>? ProviderRaw { get; init; }
    public required string To { get; init; }
    public required string From { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RingingAt { get; init; }
    public DateTimeOffset? AnsweredAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>Connected time in seconds as the provider reports it.</summary>
    public int? DurationSec { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public int Version { get; init; }

    /// <summary>
    /// An ended, connected attempt (<c>answered</c> or <c>voicemail</c>) that was to be recorded, whose recording the
    /// provider has not reported and the reconciler has not yet asked for: its recording callback may have been lost.
    /// </summary>
    [JsonIgnore]
    public bool AwaitsRecording => Status == AttemptStatus.Completed && RecordingRequested && RecordingUrl is null
        && RecordingCheckedAt is null && ProviderCallId is not null && Outcome is CallOutcome.Answered or CallOutcome.Voicemail;
}
