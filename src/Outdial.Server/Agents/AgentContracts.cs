using System.Text.Json.Serialization;
using Outdial.Core.Insights;

namespace Outdial.Server.Agents;

/// <summary>A declared prompt variable.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AgentVariableRequest(string? Name, bool Required, string? Default);

/// <summary>A local time range, <c>HH:mm</c>; an end before the start crosses midnight.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TimeRangeRequest(string? Start, string? End);

/// <summary>Calling window: IANA zone, days (<c>mon</c>..<c>sun</c>), one or more ranges.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CallingWindowRequest(string? TimeZone, List<string>? Days, List<TimeRangeRequest>? Ranges);

/// <summary>Retry policy: total attempts 1–10 and cooldown seconds by outcome.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RetryRequest(int? MaxAttempts, Dictionary<string, int>? CooldownSec);

/// <summary>Body of <c>POST /v1/agents</c>, and the shape a <c>PATCH</c> is merged into.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AgentRequest
{
    public string? Name { get; init; }
    /// <summary>Slug unique per account (<c>[a-z0-9][a-z0-9_-]{0,63}</c>); derived from the name when absent.</summary>
    public string? Key { get; init; }
    public string? Prompt { get; init; }
    public string? FirstMessage { get; init; }
    public string? Language { get; init; }
    public string? Voice { get; init; }
    public List<AgentVariableRequest>? Variables { get; init; }
    /// <summary>Questions answered from every call's transcript: strings, or <c>{key, question, type, choices?}</c>.</summary>
    public List<InsightQuestion>? InsightQuestions { get; init; }
    public CallingWindowRequest? CallingWindow { get; init; }
    /// <summary><c>queue</c> (default) or <c>reject</c>.</summary>
    public string? OutsideWindow { get; init; }
    public string? PhoneNumberId { get; init; }
    public bool? IsDefault { get; init; }
    public RetryRequest? Retry { get; init; }
    /// <summary>Answering-machine detection: <c>off</c> (default), <c>enable</c> or <c>detect_message_end</c>.</summary>
    public string? AnsweringMachineDetection { get; init; }
    /// <summary>Said when a machine answers (with <c>{name}</c> placeholders), then hang up; empty: hang up at once.</summary>
    public string? VoicemailMessage { get; init; }
}

/// <summary>The agent resource. Times UTC.</summary>
public sealed record AgentResource(
    string Id,
    string Key,
    string Name,
    string Prompt,
    string FirstMessage,
    string Language,
    string Voice,
    IReadOnlyList<AgentVariableRequest> Variables,
    IReadOnlyList<InsightQuestion> InsightQuestions,
    CallingWindowRequest? CallingWindow,
    string OutsideWindow,
    string? PhoneNumberId,
    bool IsDefault,
    RetryRequest? Retry,
    string AnsweringMachineDetection,
    string VoicemailMessage,
    DateTime CreatedAt,
    DateTime UpdatedAt);
