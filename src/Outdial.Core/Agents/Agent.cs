using Outdial.Core.Calls;
using Outdial.Core.Insights;

namespace Outdial.Core.Agents;

/// <summary>What an agent does when a call arrives outside its calling window.</summary>
public enum OutsideWindowPolicy
{
    /// <summary>Schedule the call for the window's next opening.</summary>
    Queue,
    /// <summary>Refuse the call at intake (422 <c>outside_calling_window</c>).</summary>
    Reject,
}

/// <summary>
/// Answering-machine detection (AMD) the agent asks the provider for. Twilio: <c>MachineDetection=Enable</c> answers as
/// soon as a human or machine is recognised; <c>DetectMessageEnd</c> waits for the greeting's end so a voicemail message
/// lands after the beep (Twilio "Answering Machine Detection" docs).
/// </summary>
public enum AnsweringMachineDetection
{
    /// <summary>No detection: every answer is treated as a person.</summary>
    Off,
    /// <summary>Detect and report as soon as the answerer is known.</summary>
    Enable,
    /// <summary>Detect and, for a machine, wait for the end of its greeting.</summary>
    DetectMessageEnd,
}

/// <summary>
/// Wording of the disclosures in one language; a null field keeps the built-in wording. Templates may use
/// <c>{businessName}</c>, <c>{callbackNumber}</c> and the call's variables.
/// </summary>
/// <param name="Identity">Said first: who is calling and that the voice is an AI (47 CFR 64.1200(b)(1); FCC 24-17).</param>
/// <param name="Recording">Said next when the call is recorded.</param>
/// <param name="CallbackNumber">Said before the call ends: where the business can be reached (47 CFR 64.1200(b)(2)).</param>
public sealed record DisclosureTexts(string? Identity = null, string? Recording = null, string? CallbackNumber = null);

/// <summary>
/// Whether an agent's calls make the disclosures (on by default) and their wording per language, keyed by BCP-47 tag or
/// its primary language (<c>en-US</c>, then <c>en</c>).
/// </summary>
public sealed record AgentDisclosures(bool Enabled, IReadOnlyDictionary<string, DisclosureTexts>? Texts = null)
{
    /// <summary>Disclosures on, built-in wording.</summary>
    public static AgentDisclosures On { get; } = new(true);
}

/// <summary>What an agent does when a person answers.</summary>
public enum AgentMode
{
    /// <summary>Holds a conversation through the conversation engine (a configured model, else the scripted agent).</summary>
    Conversation,
    /// <summary>Says the first message and hangs up (a message drop).</summary>
    Message,
}

/// <summary>A variable the agent's prompt uses; a required one without default must be supplied by every call.</summary>
public sealed record AgentVariable(string Name, bool Required, string? Default);

/// <summary>
/// What talks on a call (ARCHITECTURE §2): a prompt with <c>{name}</c> placeholders, first message, voice and
/// language, declared variables, insight questions, calling window and caller ID. <see cref="Key"/> is a slug
/// unique per account so that other APIs (a <c>projectId</c>, a <c>callTemplateId</c>, an IVR <c>ScenarioPath</c>)
/// can name the agent. Exactly one agent per account has <see cref="IsDefault"/>.
/// </summary>
public sealed record Agent
{
    /// <summary>At most this many <see cref="ExternalRefs"/> per agent.</summary>
    public const int MaxExternalRefs = 50;

    /// <summary>Longest external reference, in characters.</summary>
    public const int MaxExternalRefLength = 200;

    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Key { get; init; }
    public required string Name { get; init; }
    /// <summary>What the agent does when a person answers; default <see cref="AgentMode.Conversation"/>.</summary>
    public AgentMode Mode { get; init; } = AgentMode.Conversation;
    /// <summary>The system prompt: what the agent is for and how it behaves, with <c>{name}</c> placeholders.</summary>
    public string Prompt { get; init; } = "";
    public string FirstMessage { get; init; } = "";
    /// <summary>BCP-47 language tag, e.g. <c>en-US</c>.</summary>
    public string Language { get; init; } = "en-US";
    /// <summary>Provider voice name, e.g. <c>alice</c> or <c>Polly.Joanna</c>.</summary>
    public string Voice { get; init; } = "alice";
    public IReadOnlyList<AgentVariable> Variables { get; init; } = [];
    /// <summary>Questions answered from every call's transcript after it ends (before the call's own questions).</summary>
    public IReadOnlyList<InsightQuestion> InsightQuestions { get; init; } = [];
    public CallingWindow? CallingWindow { get; init; }
    public OutsideWindowPolicy OutsideWindow { get; init; } = OutsideWindowPolicy.Queue;
    /// <summary>AMD the agent asks the provider for; default off.</summary>
    public AnsweringMachineDetection AnsweringMachineDetection { get; init; } = AnsweringMachineDetection.Off;
    /// <summary>
    /// Said when a machine answers (with the call's variables), then the call hangs up; empty means hang up
    /// without a message. Only used with <see cref="AnsweringMachineDetection"/> on.
    /// </summary>
    public string VoicemailMessage { get; init; } = "";
    /// <summary>Phone number id used as caller ID when a call names none.</summary>
    public string? PhoneNumberId { get; init; }
    /// <summary>Retry policy for calls of this agent that do not give their own.</summary>
    public RetryPolicy? Retry { get; init; }
    /// <summary>
    /// The business the agent calls for, stated at the start of every call (47 CFR 64.1200(b)(1)) as <c>{businessName}</c> in
    /// the disclosures; empty means the account's name.
    /// </summary>
    public string BusinessName { get; init; } = "";
    /// <summary>E.164 number a call is handed to when the callee asks for a person (tool <c>transfer_call</c>); null: no transfers.</summary>
    public string? TransferNumber { get; init; }
    /// <summary>E.164 number stated before the call ends (47 CFR 64.1200(b)(2)) as <c>{callbackNumber}</c>; null: the call's caller ID.</summary>
    public string? CallbackNumber { get; init; }
    /// <summary>Model id for this agent's conversations (e.g. <c>gpt-4o-mini</c>, <c>llama3.1</c>); null: <c>Outdial:Llm:Model</c>.</summary>
    public string? Model { get; init; }
    /// <summary>Sampling temperature, 0–2; null: the model's default.</summary>
    public double? Temperature { get; init; }
    /// <summary>What makes a call a success, judged from the transcript after the call (insights <c>success</c>); empty: not judged.</summary>
    public string SuccessCriteria { get; init; } = "";
    /// <summary>Callee turns after which the agent closes politely; null: <c>Outdial:Conversation:MaxTurns</c>.</summary>
    public int? MaxTurns { get; init; }
    /// <summary>Whether the callee's speech interrupts the agent's (ConversationRelay <c>interruptible</c>); default true.</summary>
    public bool Interruptible { get; init; } = true;
    /// <summary>The disclosures made in this agent's calls and their wording per language.</summary>
    public AgentDisclosures Disclosures { get; init; } = AgentDisclosures.On;
    /// <summary>
    /// Names other systems use for this agent — an IVR scenario path (<c>scenario/renewals</c>), a Vodex project id, a
    /// BuildVoice agent id, an aicaller call template id: any strings of 1–<see cref="MaxExternalRefLength"/> characters, at
    /// most <see cref="MaxExternalRefs"/>, each naming at most one live agent of the account (a unique index). Every API
    /// resolves an agent reference the same way: agent id, then key, then external reference.
    /// </summary>
    public IReadOnlyList<string> ExternalRefs { get; init; } = [];
    public bool IsDefault { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}
