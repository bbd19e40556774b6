namespace Outdial.Core.Conversation;

/// <summary>Why a conversation ended. Wire names snake_case.</summary>
public enum ConversationEndReason
{
    /// <summary>The agent finished (the model or the scripted agent called <c>end_call</c>).</summary>
    Completed,
    /// <summary>The callee hung up (the relay closed the session).</summary>
    CalleeHungUp,
    /// <summary>The callee asked not to be called again (tool <c>opt_out</c> or an opt-out phrase).</summary>
    OptedOut,
    /// <summary>Handed off to the agent's transfer number.</summary>
    Transferred,
    /// <summary>The call reached its <c>maxDurationSec</c>.</summary>
    MaxDuration,
    /// <summary>The conversation reached its maximum number of callee turns.</summary>
    MaxTurns,
    /// <summary>The model failed (timeout or error) twice; the agent ended politely.</summary>
    ModelFailure,
    /// <summary>The call or attempt ended, or another session took over, before the session could run.</summary>
    NotRunnable,
}

/// <summary>A failure during a conversation, e.g. a model timeout. <see cref="At"/> UTC; <see cref="Detail"/> never holds call content.</summary>
/// <param name="Kind"><c>model_timeout</c>, <c>model_error</c> or <c>relay_error</c>.</param>
public sealed record ConversationFailure(DateTimeOffset At, string Kind, string Detail);

/// <summary>
/// A callback the callee asked for (tool <c>schedule_callback</c>): a new call for the same contact and agent, decided by the
/// one eligibility function like any request. <see cref="Action"/> is <c>queued</c>, <c>scheduled</c> (for
/// <see cref="ScheduledFor"/>) or <c>refused</c> (with <see cref="Reason"/>, the intake's code). Times UTC.
/// </summary>
public sealed record CallbackRequest(DateTimeOffset RequestedFor, string? TimeZone, string Action, string? CallId, DateTimeOffset? ScheduledFor, string? Reason);

/// <summary>
/// What happened in an attempt's conversation, kept on the attempt (<c>conversation</c>). Times UTC; tokens as the model
/// reported them (0 for the scripted agent).
/// </summary>
public sealed record ConversationSummary
{
    /// <summary><c>llm</c> (a configured model) or <c>scripted</c> (the local-only scripted agent).</summary>
    public required string Method { get; init; }
    /// <summary>The model id asked, or <c>scripted-agent</c>.</summary>
    public required string Model { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public ConversationEndReason? EndReason { get; init; }
    /// <summary>Transcript turns this attempt wrote.</summary>
    public int Turns { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    public IReadOnlyList<ConversationFailure> Failures { get; init; } = [];
    /// <summary>The number the call was handed to (tool <c>transfer_call</c>).</summary>
    public string? TransferredTo { get; init; }
    /// <summary>True when the callee opted out in this conversation (a sticky DNC entry was added).</summary>
    public bool OptedOut { get; init; }
    public IReadOnlyList<CallbackRequest> Callbacks { get; init; } = [];
    /// <summary>Disclosures the agent made, in order of first mention.</summary>
    public IReadOnlyList<Disclosure> Disclosures { get; init; } = [];
}
