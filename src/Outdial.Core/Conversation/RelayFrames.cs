namespace Outdial.Core.Conversation;

// The relay protocol: the JSON text frames Twilio's ConversationRelay (https://www.twilio.com/docs/voice/twiml/connect/conversationrelay)
// and Telnyx's Conversation Relay (https://developers.telnyx.com/api-reference/websockets/conversationrelay-websocket-channel)
// exchange with the application over one WebSocket, and the sandbox exchanges in-process. The relay turns the callee's speech
// into text (prompt) and the agent's text into speech (text); the conversation engine only ever sees these frames.

/// <summary>A frame the relay sends to Outdial.</summary>
public abstract record RelayInbound;

/// <summary>
/// <c>{"type":"setup", "sessionId", "callSid", "from", "to", "direction", "customParameters": {..}}</c>: the first frame of a
/// session, identifying the relay session and the provider's call.
/// </summary>
public sealed record RelaySetup(string? SessionId, string? CallSid, string? From, string? To, IReadOnlyDictionary<string, string> CustomParameters)
    : RelayInbound;

/// <summary>
/// <c>{"type":"prompt", "voicePrompt", "lang", "last"}</c>: what the callee said, transcribed. <see cref="Last"/> false marks a
/// partial result (only sent when the relay streams partial prompts); the engine answers complete ones.
/// </summary>
public sealed record RelayPrompt(string VoicePrompt, string? Lang, bool Last) : RelayInbound;

/// <summary>
/// <c>{"type":"interrupt", "utteranceUntilInterrupt", "durationUntilInterruptMs"}</c>: the callee spoke over the agent;
/// <see cref="UtteranceUntilInterrupt"/> is the part of the agent's text the callee heard, <see cref="DurationUntilInterruptMs"/>
/// how long (milliseconds) the agent had been speaking.
/// </summary>
public sealed record RelayInterrupt(string UtteranceUntilInterrupt, long? DurationUntilInterruptMs) : RelayInbound;

/// <summary><c>{"type":"dtmf", "digit"}</c>: the callee pressed a key (with <c>dtmfDetection</c> on).</summary>
public sealed record RelayDtmf(string Digit) : RelayInbound;

/// <summary><c>{"type":"error", "description"}</c>: the relay reports a problem (e.g. a frame it could not use).</summary>
public sealed record RelayError(string Description) : RelayInbound;

/// <summary>A frame Outdial sends to the relay.</summary>
public abstract record RelayOutbound;

/// <summary>
/// <c>{"type":"text", "token", "last", "interruptible"?, "preemptible"?}</c>: a piece of the agent's reply, spoken as it
/// arrives; <see cref="Last"/> marks the end of the reply (an empty token may carry it).
/// </summary>
public sealed record RelayText(string Token, bool Last, bool? Interruptible = null, bool? Preemptible = null) : RelayOutbound;

/// <summary><c>{"type":"play", "source", "loop"?, "interruptible"?, "preemptible"?}</c>: plays an audio file (URL).</summary>
public sealed record RelayPlay(string Source, int? Loop = null, bool? Interruptible = null, bool? Preemptible = null) : RelayOutbound;

/// <summary><c>{"type":"sendDigits", "digits"}</c>: plays DTMF tones (<c>0-9 * #</c>, <c>w</c> = half-second pause), e.g. to navigate an IVR.</summary>
public sealed record RelaySendDigits(string Digits) : RelayOutbound;

/// <summary><c>{"type":"language", "ttsLanguage", "transcriptionLanguage"}</c>: switches the languages of speech and recognition.</summary>
public sealed record RelayLanguage(string? TtsLanguage, string? TranscriptionLanguage) : RelayOutbound;

/// <summary>
/// <c>{"type":"end", "handoffData"?}</c>: ends the session. Twilio then requests the <c>&lt;Connect action&gt;</c> URL with
/// <c>HandoffData</c>, where Outdial answers a transfer with <c>&lt;Dial&gt;</c> or hangs up (<see cref="Handoff"/>).
/// </summary>
public sealed record RelayEnd(string? HandoffData) : RelayOutbound;
