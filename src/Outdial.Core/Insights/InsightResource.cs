using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Common;

namespace Outdial.Core.Insights;

/// <summary>One answer as shown: <c>answer</c> typed by <c>type</c>; <c>confidence</c> 0–1; <c>evidence</c> quotes verbatim from the cited turns.</summary>
public sealed record InsightAnswerResource(
    string Key, string Question, string Type, JsonNode? Answer, string Status, double Confidence, IReadOnlyList<InsightEvidence> Evidence)
{
    /// <summary>Why the answer was downgraded (<c>evidence_unverified</c>) or not parsed (<c>reply_not_understood</c>); absent otherwise.</summary>
    public string? Note { get; init; }
}

/// <summary>Token usage of an analysis, as the model reported it.</summary>
public sealed record InsightUsage(long PromptTokens, long CompletionTokens);

/// <summary>
/// An analysis as the API (<c>GET /v1/calls/{id}/insights</c>) and the <c>call.insights_ready</c> webhook show it. Times UTC.
/// <c>answers</c>, <c>summary</c> and <c>success</c> are set once <c>status</c> is <c>completed</c>; <c>error</c> says why a run failed.
/// </summary>
public sealed record InsightResource(
    string Id,
    string CallId,
    string Status,
    string Trigger,
    string? Method,
    string? Model,
    IReadOnlyList<InsightQuestion> Questions,
    IReadOnlyList<InsightAnswerResource> Answers,
    string? Summary,
    bool? Success,
    InsightUsage Usage,
    int Attempts,
    string? Error,
    DateTime CreatedAt,
    DateTime? CompletedAt)
{
    /// <summary>Maps a stored analysis to its API shape.</summary>
    public static InsightResource Of(InsightAnalysis a) => new(
        a.Id,
        a.CallId,
        WireNames.Of(a.Status),
        a.Trigger,
        a.Method,
        a.Model,
        a.Questions,
        [.. a.Answers.Select(x => new InsightAnswerResource(x.Key, x.Question, WireNames.Of(x.Type), x.Answer, WireNames.Of(x.Status), x.Confidence, x.Evidence) { Note = x.Note })],
        a.Summary,
        a.Success,
        new InsightUsage(a.PromptTokens, a.CompletionTokens),
        a.Attempts,
        a.LastError,
        a.CreatedAt.UtcDateTime,
        a.CompletedAt?.UtcDateTime);

    /// <summary>The resource as a JSON node in the API's conventions (for event data).</summary>
    public JsonNode ToNode() => JsonSerializer.SerializeToNode(this, Json.Options)!;
}
