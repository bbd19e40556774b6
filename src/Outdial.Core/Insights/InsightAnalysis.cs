using System.Text.Json.Nodes;

namespace Outdial.Core.Insights;

/// <summary>Whether a question was answered in the call. Wire names snake_case.</summary>
public enum InsightAnswerStatus
{
    /// <summary>The transcript answers it; <see cref="InsightAnswer.Answer"/> holds the typed answer.</summary>
    Answered,
    /// <summary>A person was reached but the question did not come up (or was not answered).</summary>
    NotDiscussed,
    /// <summary>No conversation with a person took place (voicemail, no answer, busy, …); the model was not asked.</summary>
    NotConnected,
}

/// <summary>A verbatim quote from a transcript turn that supports an answer. <see cref="Turn"/> is the turn's index.</summary>
public sealed record InsightEvidence(int Turn, string Quote);

/// <summary>
/// The answer to one question. <see cref="Answer"/> is typed by <see cref="Type"/> (string, boolean, number, one of the
/// choices, or an ISO-8601 date string), null unless answered. <see cref="Confidence"/> is 0–1. Every
/// <see cref="Evidence"/> quote occurs verbatim in its turn (unverifiable quotes are dropped, and an answer left without
/// evidence has its confidence capped at 0.3 and a <see cref="Note"/>).
/// </summary>
public sealed record InsightAnswer(
    string Key,
    string Question,
    InsightType Type,
    JsonNode? Answer,
    InsightAnswerStatus Status,
    double Confidence,
    IReadOnlyList<InsightEvidence> Evidence)
{
    /// <summary>Why the answer was downgraded, e.g. <c>evidence_unverified</c>; null otherwise.</summary>
    public string? Note { get; init; }
}

/// <summary>State of one analysis of a call. Wire names snake_case.</summary>
public enum AnalysisStatus
{
    /// <summary>Waiting for its (next) run, at <see cref="InsightAnalysis.NextAttemptAt"/>.</summary>
    Pending,
    /// <summary>Claimed by a worker (a lease; a crashed worker's claim expires and the analysis runs again).</summary>
    Running,
    /// <summary>Done: answers, summary and success are set.</summary>
    Completed,
    /// <summary>Gave up after the retry limit; <see cref="InsightAnalysis.LastError"/> says why.</summary>
    Failed,
}

/// <summary>
/// One analysis of a call's transcript: created in the transaction that ends the call (<c>call_ended</c>) or by
/// <c>POST /v1/calls/{id}/insights/rerun</c> (<c>rerun</c>, possibly with other questions); every analysis is kept, newest
/// first, so a rerun never loses an earlier answer. Times UTC.
/// </summary>
public sealed record InsightAnalysis
{
    public required string Id { get; init; }
    public required string CallId { get; init; }
    public required string AccountId { get; init; }
    public required AnalysisStatus Status { get; init; }
    /// <summary><c>call_ended</c> or <c>rerun</c>.</summary>
    public required string Trigger { get; init; }
    public required IReadOnlyList<InsightQuestion> Questions { get; init; }
    /// <summary>The agent's success criteria when the analysis was created; empty: success not judged.</summary>
    public string SuccessCriteria { get; init; } = "";
    /// <summary><c>llm</c>, <c>scripted</c> (rule-based extraction, no model configured) or <c>not_connected</c> (no conversation).</summary>
    public string? Method { get; init; }
    public string? Model { get; init; }
    public IReadOnlyList<InsightAnswer> Answers { get; init; } = [];
    public string? Summary { get; init; }
    /// <summary>Whether the call met the success criteria; null when there are none or nobody was reached.</summary>
    public bool? Success { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    /// <summary>Runs so far (each claim counts one).</summary>
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    /// <summary>Why the last run failed (never call content).</summary>
    public string? LastError { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}
