using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Outdial.Core.Insights;

namespace Outdial.Core.Conversation;

/// <summary>
/// The scripted agent: a deterministic stand-in for a language model, used when no model is configured
/// (<c>Outdial:Llm:Endpoint</c>) so that a laptop with no account shows a whole conversation. Local-only: it does not
/// understand anything. After the greeting it asks each insight question in order (a choice question lists its options),
/// takes the callee's next reply as the answer, and once all are asked closes politely and calls <c>end_call</c>. It speaks
/// through the same <see cref="IChatClient"/> interface as a model, streaming word by word, so the engine has one path.
/// </summary>
public sealed class ScriptedAgent(IReadOnlyList<InsightQuestion> questions, ConversationLines lines) : IChatClient
{
    /// <summary>The model name reported for scripted conversations.</summary>
    public const string ModelName = "scripted-agent";

    /// <summary>How the scripted agent asks <paramref name="question"/>: its text, and for a choice question its options.</summary>
    public static string Ask(InsightQuestion question) => question is { Type: InsightType.Choice, Choices: { Count: > 0 } choices }
        ? $"{question.Question} The options are: {string.Join(", ", choices.SkipLast(1))} or {choices[^1]}."
        : question.Question;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            updates.Add(update);
        }
        return updates.ToChatResponse();
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The n-th thing the callee said answers the greeting (n = 1) or question n - 1.
        var heard = messages.Count(m => m.Role == ChatRole.User);
        var asked = heard - 1;
        string text;
        var end = false;
        if (asked < questions.Count)
        {
            text = (asked > 0 ? lines.Acknowledge + " " : "") + Ask(questions[asked]);
        }
        else
        {
            text = lines.ScriptedClose ?? "";
            end = true;
        }
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < words.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, i < words.Length - 1 ? words[i] + " " : words[i]) { ModelId = ModelName };
            await Task.Yield();
        }
        if (end)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant,
                [new FunctionCallContent("scripted-end", ConversationTools.EndCall, new Dictionary<string, object?> { ["reason"] = "completed" })])
            {
                ModelId = ModelName,
                FinishReason = ChatFinishReason.ToolCalls,
            };
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
