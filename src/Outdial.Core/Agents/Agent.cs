using Outdial.Core.Calls;

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
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Key { get; init; }
    public required string Name { get; init; }
    public string Prompt { get; init; } = "";
    public string FirstMessage { get; init; } = "";
    /// <summary>BCP-47 language tag, e.g. <c>en-US</c>.</summary>
    public string Language { get; init; } = "en-US";
    /// <summary>Provider voice name, e.g. <c>alice</c> or <c>Polly.Joanna</c>.</summary>
    public string Voice { get; init; } = "alice";
    public IReadOnlyList<AgentVariable> Variables { get; init; } = [];
    public IReadOnlyList<string> InsightQuestions { get; init; } = [];
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
    public bool IsDefault { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}
