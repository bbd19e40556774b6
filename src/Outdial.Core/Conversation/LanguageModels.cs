using System.ClientModel;
using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Outdial.Core.Conversation;

/// <summary>
/// The configured language model (<see cref="LlmOptions"/>) as <see cref="IChatClient"/>s: the official OpenAI SDK pointed at
/// <see cref="LlmOptions.Endpoint"/>, wrapped by Microsoft.Extensions.AI, one client per model id. Any OpenAI-compatible Chat
/// Completions server works. When no endpoint is configured, <see cref="Configured"/> is false and callers use the scripted
/// agent and rule-based extraction instead.
/// </summary>
public sealed class LanguageModels(IOptions<LlmOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);
    private readonly Lazy<OpenAIClient?> _openAi = new(() => Create(options.Value), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True when a model endpoint is configured.</summary>
    public bool Configured => options.Value.Configured;

    /// <summary>The model for conversations: the agent's own, else the configured default.</summary>
    public string ConversationModel(string? agentModel) => string.IsNullOrWhiteSpace(agentModel) ? options.Value.Model : agentModel;

    /// <summary>The model for insight analysis.</summary>
    public string AnalysisModel => options.Value.AnalysisModel is { Length: > 0 } m ? m : options.Value.Model;

    /// <summary>The chat client for <paramref name="model"/>.</summary>
    /// <exception cref="InvalidOperationException">No model endpoint is configured.</exception>
    public IChatClient For(string model) =>
        _clients.GetOrAdd(model, m => (_openAi.Value ?? throw new InvalidOperationException("Outdial:Llm:Endpoint is not configured"))
            .GetChatClient(m).AsIChatClient());

    private static OpenAIClient? Create(LlmOptions o) => o.Configured
        ? new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(o.ApiKey) ? "unused" : o.ApiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(o.Endpoint!.TrimEnd('/')),
            // Turn and analysis timeouts are enforced by their callers' cancellation; this only bounds a hung connection.
            NetworkTimeout = o.AnalysisTimeout > o.TurnTimeout ? o.AnalysisTimeout : o.TurnTimeout,
        })
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
