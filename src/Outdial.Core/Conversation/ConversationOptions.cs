namespace Outdial.Core.Conversation;

/// <summary>
/// The language model (configuration section <c>Outdial:Llm</c>). Any OpenAI-compatible Chat Completions endpoint works
/// (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM, llama.cpp server, LM Studio). With no <see cref="Endpoint"/>, agents use
/// the local-only scripted agent and insights are extracted by rule.
/// </summary>
public sealed class LlmOptions
{
    /// <summary>Base URL of the API, e.g. <c>https://api.openai.com/v1</c> or <c>http://localhost:11434/v1</c>; null or empty: no model.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>. Local servers that need none accept any value; never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Model for conversations when the agent names none (e.g. <c>gpt-4o-mini</c>).</summary>
    public string Model { get; set; } = "gpt-4o-mini";

    /// <summary>Model for insight analysis; null: <see cref="Model"/>.</summary>
    public string? AnalysisModel { get; set; }

    /// <summary>
    /// How long the model may take to start answering a turn (first streamed token or tool call). Past it, the agent says a
    /// short fallback line once and ends politely on a second failure. Default 8 s.
    /// </summary>
    public TimeSpan TurnTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>How long one analysis request may take before it counts as failed (and is retried). Default 120 s.</summary>
    public TimeSpan AnalysisTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>True when a model endpoint is configured.</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(Endpoint);
}

/// <summary>Conversation settings (configuration section <c>Outdial:Conversation</c>).</summary>
public sealed class ConversationOptions
{
    /// <summary>Callee turns after which the agent closes politely, unless the agent sets its own <c>maxTurns</c>. Default 30.</summary>
    public int MaxTurns { get; set; } = 30;

    /// <summary>
    /// How long before the call's <c>maxDurationSec</c> the agent starts closing, so the goodbye is heard before the
    /// provider cuts the line. Default 15 s.
    /// </summary>
    public TimeSpan ClosingMargin { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Extra opt-out phrases per language (BCP-47 tag or primary language, e.g. <c>en</c>), added to the built-in ones
    /// (<see cref="OptOutPhrases"/>). Matched case-insensitively, ignoring punctuation.
    /// </summary>
    public Dictionary<string, List<string>> OptOutPhrases { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Replacements for the agent's fixed lines per language (<see cref="ConversationLines"/>); a missing line keeps the built-in one.</summary>
    public Dictionary<string, ConversationLines> Lines { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
