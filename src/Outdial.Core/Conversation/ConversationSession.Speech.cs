using System.ClientModel;
using System.Text;
using Microsoft.Extensions.AI;

namespace Outdial.Core.Conversation;

internal sealed partial class ConversationSession
{
    /// <summary>What the model answered in one request: the text spoken, the tools it called, or why it failed.</summary>
    private sealed record ModelReply(string Text, IReadOnlyList<FunctionCallContent> Calls, string? FailureKind, ChatMessage? Message = null);

    /// <summary>
    /// Asks the model for the next reply and streams it to the relay as it arrives — one <c>text</c> frame per token, then an
    /// empty one with <c>last</c> — recording it as an agent turn. The model must start answering within the turn timeout
    /// (<see cref="LlmOptions.TurnTimeout"/>); a timeout or error returns a failure (what was already said stays said).
    /// </summary>
    private async Task<ModelReply> StreamReplyAsync(CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_engine.TurnTimeout, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var speech = new Utterance(this);
        var calls = new List<FunctionCallContent>();
        var started = false;
        try
        {
            await foreach (var update in _client.GetStreamingResponseAsync(_messages, _chatOptions, linked.Token))
            {
                if (!started)
                {
                    started = true;
                    timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                }
                foreach (var content in update.Contents)
                {
                    switch (content)
                    {
                        case TextContent { Text.Length: > 0 } text:
                            await speech.SendAsync(text.Text);
                            break;
                        case FunctionCallContent call:
                            calls.Add(call);
                            break;
                        case UsageContent usage:
                            Interlocked.Add(ref _promptTokens, usage.Details.InputTokenCount ?? 0);
                            Interlocked.Add(ref _completionTokens, usage.Details.OutputTokenCount ?? 0);
                            break;
                    }
                }
            }
            await speech.FinishAsync();
            return new ModelReply(speech.Text, calls, null, speech.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            await speech.FinishAsync();
            return Failed(speech, "model_timeout", $"no answer within {_engine.TurnTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await speech.FinishAsync();
            return Failed(speech, "model_error", ex is ClientResultException { Status: > 0 } http ? $"{ex.GetType().Name} HTTP {http.Status}" : ex.GetType().Name);
        }
        finally
        {
            // Cancelled by the callee (interruption, a new prompt) or the session's end: close what was said so far.
            await speech.FinishAsync();
        }
    }

    private ModelReply Failed(Utterance speech, string kind, string detail)
    {
        Fail(kind, detail);
        ConversationEngine.LogModelFailed(_engine.Log, _attempt.Id, kind, detail);
        return new ModelReply(speech.Text, [], kind);
    }

    /// <summary>Says a fixed line (no model): one <c>text</c> frame with <c>last</c>, one agent turn, added to the model's history.</summary>
    private async Task SayAsync(string text, IReadOnlyList<Disclosure>? disclosures = null)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }
        var speech = new Utterance(this) { Disclosures = disclosures };
        await speech.SendAsync(text);
        await speech.FinishAsync();
    }

    /// <summary>
    /// One thing the agent says: created lazily at its first token (an agent turn with its start time and, in the model's history,
    /// an assistant message), each token sent at once, closed with an empty <c>last</c> token. Finishing twice is harmless.
    /// </summary>
    private sealed class Utterance(ConversationSession session)
    {
        private readonly StringBuilder _text = new();
        private TranscriptTurn? _turn;
        private ChatMessage? _message;
        private bool _finished;

        public IReadOnlyList<Disclosure>? Disclosures { get; init; }

        public string Text => _text.ToString();

        public async Task SendAsync(string token)
        {
            if (_turn is null)
            {
                _turn = session.NewTurn(TranscriptSpeaker.Agent, "", session.Elapsed()) with { Disclosures = Disclosures };
                _message = new ChatMessage(ChatRole.Assistant, "");
                session._messages.Add(_message);
                lock (session._gate)
                {
                    session._spokenBy[_turn.Index] = _message;
                }
                if (Disclosures is { } d)
                {
                    session.Disclose(d);
                }
            }
            _text.Append(token);
            await session.SendAsync(new RelayText(token, Last: false, Interruptible: session._plan.Interruptible));
        }

        public async Task FinishAsync()
        {
            if (_finished || _turn is null)
            {
                return;
            }
            _finished = true;
            await session.SendAsync(new RelayText("", Last: true, Interruptible: session._plan.Interruptible));
            var text = _text.ToString();
            session.NoteSpeech(text);
            session.Persist(_turn with { Text = text, EndMs = session.Elapsed() });
            _message!.Contents = [new TextContent(text)];
        }

        /// <summary>The assistant message this utterance is in the model's history (to add tool calls to), or null when nothing was said.</summary>
        public ChatMessage? Message => _message;
    }
}
