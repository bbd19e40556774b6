using System.Text.Json.Serialization;
using Outdial.Core.Insights;

namespace Outdial.Server.Agents;

/// <summary>A declared prompt variable.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AgentVariableRequest(string? Name, bool Required, string? Default);

/// <summary>A local time range, <c>HH:mm</c>; an end before the start crosses midnight.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TimeRangeRequest(string? Start, string? End);

/// <summary>
/// Calling window: an IANA zone or <c>callee</c> (the callee's own zone, from the contact's <c>timeZone</c> or the number;
/// where a number may be in several zones the window must hold in all of them), days (<c>mon</c>..<c>sun</c>), one or more ranges.
/// </summary>
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
    /// <summary>
    /// Names other systems use for this agent (an IVR <c>ScenarioPath</c> such as <c>scenario/renewals</c>, a Vodex
    /// <c>projectId</c>, a BuildVoice <c>agent_id</c>, an aicaller <c>callTemplateId</c>): up to 50 strings of 1–200 characters
    /// without control characters, each unique among the account's agents (409 <c>agent_ref_taken</c>).
    /// </summary>
    public List<string>? ExternalRefs { get; init; }
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
    /// <summary><c>conversation</c> (default: the agent talks through the model, or the scripted agent) or <c>message</c> (say the first message and hang up).</summary>
    public string? Mode { get; init; }
    /// <summary>The business the agent calls for, stated in the identity disclosure; empty: the account's name.</summary>
    public string? BusinessName { get; init; }
    /// <summary>E.164 number the agent transfers to when the callee asks for a person (tool <c>transfer_call</c>); null: no transfers.</summary>
    public string? TransferNumber { get; init; }
    /// <summary>E.164 number stated before the call ends (callback-number disclosure); null: the call's caller ID.</summary>
    public string? CallbackNumber { get; init; }
    /// <summary>Model id for this agent's conversations; null: the server's <c>Outdial:Llm:Model</c>.</summary>
    public string? Model { get; init; }
    /// <summary>Sampling temperature 0–2; null: the model's default.</summary>
    public double? Temperature { get; init; }
    /// <summary>What makes a call a success (judged by the model after the call); empty: not judged.</summary>
    public string? SuccessCriteria { get; init; }
    /// <summary>Callee turns after which the agent closes politely (1–500); null: the server's <c>Outdial:Conversation:MaxTurns</c>.</summary>
    public int? MaxTurns { get; init; }
    /// <summary>Whether the callee can interrupt the agent's speech; default true.</summary>
    public bool? Interruptible { get; init; }
    /// <summary>The disclosures (on by default) and their wording per language.</summary>
    public DisclosuresRequest? Disclosures { get; init; }
}

/// <summary>
/// Disclosures: <c>enabled</c> (default true) and, per language (<c>en-US</c> or <c>en</c>), wording that replaces the built-in one:
/// <c>identity</c> (who calls and that it is an AI voice), <c>recording</c> (when recorded), <c>callbackNumber</c> (before the end).
/// Templates may use <c>{businessName}</c>, <c>{callbackNumber}</c> and the call's variables.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DisclosuresRequest(bool? Enabled, Dictionary<string, DisclosureTextsRequest>? Texts);

/// <summary>The wording of the disclosures in one language; a null field keeps the built-in wording.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DisclosureTextsRequest(string? Identity, string? Recording, string? CallbackNumber);

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
    DateTime UpdatedAt)
{
    public string Mode { get; init; } = "conversation";
    public string BusinessName { get; init; } = "";
    public string? TransferNumber { get; init; }
    public string? CallbackNumber { get; init; }
    public string? Model { get; init; }
    public double? Temperature { get; init; }
    public string SuccessCriteria { get; init; } = "";
    public int? MaxTurns { get; init; }
    public bool Interruptible { get; init; } = true;
    public DisclosuresRequest? Disclosures { get; init; }
    /// <summary>Names other systems use for this agent; any API resolves an agent reference by id, then key, then these.</summary>
    public IReadOnlyList<string> ExternalRefs { get; init; } = [];
}

/// <summary>Every agent of the account (<c>GET /v1/agents</c>).</summary>
public sealed record AgentList(IReadOnlyList<AgentResource> Data);
