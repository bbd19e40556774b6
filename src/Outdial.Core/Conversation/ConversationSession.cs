using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Outdial.Core.Calls;
using Outdial.Core.Common;

namespace Outdial.Core.Conversation;

/// <summary>
/// One relay session: a single-threaded loop over the relay's frames and the session's own signals (time limit, end sent).
/// Each reply runs as a cancellable turn; a new prompt, a key press or an interruption cancels the running turn first, so the
/// loop alone touches the session's state between turns. Transcript writes are queued in order and awaited before the
/// summary is stored.
/// </summary>
internal sealed partial class ConversationSession : IDisposable
{
    /// <summary>Spoken words per second assumed when waiting for a real relay to finish speaking before it ends (150 wpm).</summary>
    private const double WordsPerSecond = 2.5;

    private static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DtmfSettle = TimeSpan.FromSeconds(1);

    private readonly ConversationEngine _engine;
    private readonly Call _call;
    private readonly Attempt _attempt;
    private readonly ConversationPlan _plan;
    private readonly IChatClient _client;
    private readonly ChatOptions _chatOptions;
    private readonly IRelayChannel _channel;
    private readonly TimeProvider _clock;
    private readonly long _startTicks;
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly List<ChatMessage> _messages = [];
    private readonly List<TranscriptTurn> _turns = [];
    private readonly Dictionary<int, ChatMessage> _spokenBy = [];
    private readonly List<ConversationFailure> _failures = [];
    private readonly List<CallbackRequest> _callbacks = [];
    private readonly List<Disclosure> _disclosed = [];
    private readonly Lock _gate = new();
    private readonly int _baseIndex;
    private ConversationSummary _summary;
    private Task _writes = Task.CompletedTask;
    private Task _turn = Task.CompletedTask;
    private CancellationTokenSource? _turnCts;
    private CancellationToken _lifetime;
    private DateTimeOffset _speechUntil;
    private int _calleeTurns;
    private int _modelFailures;
    private volatile bool _ending;
    private bool _finalized;
    private bool _optedOut;
    private string? _transferredTo;
    private ConversationEndReason? _endReason;
    private long _promptTokens;
    private long _completionTokens;

    private sealed record FrameEvent(RelayInbound? Frame);

    private sealed record TimeUp;

    private sealed record EndSent;

    public ConversationSession(ConversationEngine engine, Call call, Attempt attempt, ConversationPlan plan, IChatClient client, ChatOptions chatOptions,
        string method, string model, int baseIndex, IRelayChannel channel, DateTimeOffset startedAt)
    {
        _engine = engine;
        _call = call;
        _attempt = attempt;
        _plan = plan;
        _client = client;
        _chatOptions = chatOptions;
        _channel = channel;
        _clock = engine.Clock;
        _startTicks = _clock.GetTimestamp();
        _baseIndex = baseIndex;
        _speechUntil = startedAt;
        _summary = new ConversationSummary { Method = method, Model = model, StartedAt = startedAt };
    }

    public async Task<ConversationSummary> RunAsync(CancellationToken ct)
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _lifetime = lifetime.Token;
        await _engine.SaveSummaryAsync(_attempt.Id, _summary, ct);
        _messages.Add(new ChatMessage(ChatRole.System, _plan.SystemPrompt));
        if (_plan.WelcomeGreeting.Length > 0)
        {
            // The relay speaks the greeting itself (ConversationRelay welcomeGreeting); it is the first agent turn.
            var greeting = new ChatMessage(ChatRole.Assistant, _plan.WelcomeGreeting);
            _messages.Add(greeting);
            var turn = NewTurn(TranscriptSpeaker.Agent, _plan.WelcomeGreeting, 0) with { Disclosures = _plan.GreetingDisclosures.Count > 0 ? _plan.GreetingDisclosures : null };
            _spokenBy[turn.Index] = greeting;
            Disclose(_plan.GreetingDisclosures);
            Persist(turn);
            NoteSpeech(_plan.WelcomeGreeting);
        }
        var pump = PumpAsync(lifetime.Token);
        using var timer = _clock.CreateTimer(_ => _events.Writer.TryWrite(new TimeUp()), null, _plan.CloseAfter, Timeout.InfiniteTimeSpan);
        ITimer? grace = null;
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(lifetime.Token))
            {
                if (e is FrameEvent { Frame: null })
                {
                    _endReason ??= ConversationEndReason.CalleeHungUp;
                    break;
                }
                switch (e)
                {
                    case FrameEvent { Frame: RelayPrompt { Last: true } prompt }:
                        await OnPromptAsync(prompt.VoicePrompt);
                        break;
                    case FrameEvent { Frame: RelayInterrupt interrupt }:
                        await OnInterruptAsync(interrupt);
                        break;
                    case FrameEvent { Frame: RelayDtmf dtmf }:
                        await OnDtmfAsync(dtmf.Digit);
                        break;
                    case FrameEvent { Frame: RelayError error }:
                        Fail("relay_error", error.Description.Length > 200 ? error.Description[..200] : error.Description);
                        break;
                    case TimeUp when !_ending:
                        await CancelTurnAsync();
                        StartTurn(t => CloseAsync(_plan.Lines.MaxDurationClose, ConversationEndReason.MaxDuration, t));
                        break;
                    case EndSent:
                        // The relay closes the session after an end; one that does not is closed after a grace period.
                        grace = _clock.CreateTimer(_ => _events.Writer.TryWrite(new FrameEvent(null)), null, EndGrace, Timeout.InfiniteTimeSpan);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _endReason ??= ConversationEndReason.CalleeHungUp;
        }
        finally
        {
            grace?.Dispose();
            await CancelTurnAsync();
            await lifetime.CancelAsync();
            await pump;
            await FinalizeAsync(CancellationToken.None);
            await _channel.CloseAsync(CancellationToken.None);
            await FlushAsync();
        }
        return _summary;
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var frame = await _channel.ReceiveAsync(ct);
                _events.Writer.TryWrite(new FrameEvent(frame));
                if (frame is null)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session is over.
        }
    }

    private async Task OnPromptAsync(string text)
    {
        if (_ending)
        {
            Persist(NewTurn(TranscriptSpeaker.Callee, text, Elapsed()));
            return;
        }
        await CancelTurnAsync();
        Persist(NewTurn(TranscriptSpeaker.Callee, text, Elapsed()));
        _calleeTurns++;
        if (_engine.OptOut.Matches(text, _plan.Language))
        {
            StartTurn(t => OptOutAsync("phrase", t));
        }
        else if (_calleeTurns > _plan.MaxTurns)
        {
            StartTurn(t => CloseAsync(_plan.Lines.MaxTurnsClose, ConversationEndReason.MaxTurns, t));
        }
        else
        {
            _messages.Add(new ChatMessage(ChatRole.User, text));
            StartTurn(ReplyAsync);
        }
    }

    private async Task OnDtmfAsync(string digit)
    {
        if (_ending)
        {
            Persist(NewTurn(TranscriptSpeaker.Callee, "", Elapsed()) with { Dtmf = digit });
            return;
        }
        await CancelTurnAsync();
        // Keys pressed in a row are one turn; the reply waits until the callee stops pressing.
        if (LastTurn() is { Speaker: TranscriptSpeaker.Callee, Dtmf: { } pressed, Text.Length: 0 } last)
        {
            Persist(last with { Dtmf = pressed + digit, EndMs = Elapsed() });
            _messages[^1] = new ChatMessage(ChatRole.User, $"(The callee pressed {pressed + digit} on the keypad.)");
        }
        else
        {
            Persist(NewTurn(TranscriptSpeaker.Callee, "", Elapsed()) with { Dtmf = digit });
            _messages.Add(new ChatMessage(ChatRole.User, $"(The callee pressed {digit} on the keypad.)"));
        }
        StartTurn(async t =>
        {
            await Task.Delay(DtmfSettle, _clock, t);
            await ReplyAsync(t);
        });
    }

    /// <summary>The callee spoke over the agent: the agent's latest turn keeps only what was heard, in the transcript and the model's history.</summary>
    private async Task OnInterruptAsync(RelayInterrupt interrupt)
    {
        if (!_ending)
        {
            await CancelTurnAsync();
        }
        TranscriptTurn? turn;
        lock (_gate)
        {
            turn = _turns.LastOrDefault(t => t.Speaker == TranscriptSpeaker.Agent && t.Dtmf is null);
        }
        if (turn is null)
        {
            return;
        }
        var heard = interrupt.UtteranceUntilInterrupt.Trim();
        if (heard.Length > turn.Text.Length)
        {
            heard = turn.Text;
        }
        Persist(turn with
        {
            Text = heard,
            Interrupted = true,
            EndMs = interrupt.DurationUntilInterruptMs is { } ms ? turn.StartMs + ms : turn.EndMs,
        });
        ChatMessage? message;
        lock (_gate)
        {
            _spokenBy.TryGetValue(turn.Index, out message);
        }
        if (message is not null)
        {
            var kept = message.Contents.Where(c => c is not TextContent).ToList();
            kept.Insert(0, new TextContent(heard));
            message.Contents = kept;
        }
        _speechUntil = _clock.GetUtcNow();
    }

    private void StartTurn(Func<CancellationToken, Task> work)
    {
        _turnCts = CancellationTokenSource.CreateLinkedTokenSource(_lifetime);
        var token = _turnCts.Token;
        _turn = Task.Run(async () =>
        {
            try
            {
                await work(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Replaced by what the callee did next, or the session ended.
            }
            catch (Exception ex)
            {
                ConversationEngine.LogTurnFailed(_engine.Log, ex, _attempt.Id);
                Fail("turn_error", ex.GetType().Name);
            }
        }, CancellationToken.None);
    }

    private async Task CancelTurnAsync()
    {
        if (_turnCts is null)
        {
            return;
        }
        await _turnCts.CancelAsync();
        await _turn;
        _turnCts.Dispose();
        _turnCts = null;
    }

    /// <summary>Sends a frame; sends are serialised (a WebSocket takes one at a time) and never cancelled half-way.</summary>
    private async Task SendAsync(RelayOutbound frame)
    {
        await _sendGate.WaitAsync(CancellationToken.None);
        try
        {
            await _channel.SendAsync(frame, CancellationToken.None);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>
    /// Records an agent turn said outside the session (a voicemail message played after a late machine verdict), numbered after
    /// the session's own turns and written in their queue.
    /// </summary>
    internal bool RecordAgentTurn(string text, IReadOnlyList<Disclosure>? disclosures)
    {
        lock (_gate)
        {
            Persist(NewTurn(TranscriptSpeaker.Agent, text, Elapsed()) with { Disclosures = disclosures });
            return true;
        }
    }

    /// <summary>Waits for every transcript write queued so far (also those queued after the summary).</summary>
    internal async Task FlushAsync()
    {
        Task writes;
        lock (_gate)
        {
            writes = _writes;
        }
        await writes;
    }

    /// <summary>Appends a turn to the local transcript (not yet written: pass it to <see cref="Persist"/>, possibly with more fields).</summary>
    private TranscriptTurn NewTurn(TranscriptSpeaker speaker, string text, long startMs)
    {
        lock (_gate)
        {
            var turn = new TranscriptTurn
            {
                Index = _baseIndex + _turns.Count,
                Attempt = _attempt.Number,
                Speaker = speaker,
                Text = text,
                StartMs = startMs,
                EndMs = startMs,
            };
            _turns.Add(turn);
            return turn;
        }
    }

    /// <summary>
    /// Makes <paramref name="turn"/> the local copy of its index and queues its write behind the earlier ones (order kept; a
    /// failed write is logged and later writes go on).
    /// </summary>
    private void Persist(TranscriptTurn turn)
    {
        lock (_gate)
        {
            _turns[turn.Index - _baseIndex] = turn;
            var previous = _writes;
            _writes = Task.Run(async () =>
            {
                await previous;
                try
                {
                    await _engine.Transcripts.SaveTurnAsync(_call.Id, turn, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    ConversationEngine.LogTranscriptWriteFailed(_engine.Log, ex, _call.Id);
                }
            });
        }
    }

    private TranscriptTurn? LastTurn()
    {
        lock (_gate)
        {
            return _turns.Count > 0 ? _turns[^1] : null;
        }
    }

    private long Elapsed() => (long)_clock.GetElapsedTime(_startTicks).TotalMilliseconds;

    private void Disclose(IEnumerable<Disclosure> disclosures)
    {
        lock (_gate)
        {
            foreach (var d in disclosures)
            {
                if (!_disclosed.Contains(d))
                {
                    _disclosed.Add(d);
                }
            }
        }
    }

    /// <summary>Moves the estimated end of the agent's speech on by the time <paramref name="text"/> takes to say.</summary>
    private void NoteSpeech(string text)
    {
        var now = _clock.GetUtcNow();
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        _speechUntil = (_speechUntil > now ? _speechUntil : now) + TimeSpan.FromSeconds(words / WordsPerSecond);
    }

    private void Fail(string kind, string detail)
    {
        lock (_gate)
        {
            _failures.Add(new ConversationFailure(_clock.GetUtcNow(), kind, detail));
        }
    }

    /// <summary>Writes the final summary once: after every queued transcript write, so a reader of the summary finds every turn.</summary>
    private async Task FinalizeAsync(CancellationToken ct)
    {
        Task writes;
        lock (_gate)
        {
            if (_finalized)
            {
                return;
            }
            _finalized = true;
        }
        lock (_gate)
        {
            writes = _writes;
        }
        await writes;
        lock (_gate)
        {
            _summary = _summary with
            {
                EndedAt = _clock.GetUtcNow(),
                EndReason = _endReason ?? ConversationEndReason.CalleeHungUp,
                Turns = _turns.Count,
                PromptTokens = _promptTokens,
                CompletionTokens = _completionTokens,
                Failures = [.. _failures],
                TransferredTo = _transferredTo,
                OptedOut = _optedOut,
                Callbacks = [.. _callbacks],
                Disclosures = [.. _disclosed],
            };
        }
        await _engine.SaveSummaryAsync(_attempt.Id, _summary, ct);
    }

    public void Dispose()
    {
        _sendGate.Dispose();
        _turnCts?.Dispose();
    }

    /// <summary>Ends the session from the agent's side: waits for a real relay to finish speaking, stores the summary, sends <c>end</c>.</summary>
    private async Task EndAsync(ConversationEndReason reason, Handoff? handoff, CancellationToken ct)
    {
        _ending = true;
        _endReason = reason;
        if (!_channel.FinishesSpeechBeforeEnd)
        {
            var wait = _speechUntil - _clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < TimeSpan.FromSeconds(20) ? wait : TimeSpan.FromSeconds(20), _clock, ct);
            }
        }
        await FinalizeAsync(ct);
        await SendAsync(new RelayEnd((handoff ?? new Handoff(WireNames.Of(reason))).Serialize()));
        _events.Writer.TryWrite(new EndSent());
    }
}
