using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;

namespace Outdial.Telephony.Sandbox;

/// <summary>
/// The sandbox's side of an answered call, in simulated time: it asks the one call-control seam what the answer means
/// (<see cref="CallAnswering"/>) and then plays a relay — what Twilio's ConversationRelay does on a real call — driving the same
/// <see cref="ConversationEngine"/> through the same relay frames, in-process: it speaks the welcome greeting and every
/// <c>text</c> utterance (at <see cref="SecondsPerWord"/>), and answers for the simulated callee
/// (<see cref="SimulatedCalleeBrain"/>) with <c>prompt</c> and <c>dtmf</c> frames — and an <c>interrupt</c> when a scripted reply
/// speaks over the agent. When the engine sends <c>end</c> (or the callee hangs up), the sandbox hangs the call up. A spoken
/// message (voicemail, message drop) is played, then hung up. Simulated seconds pass at <see cref="SandboxOptions.SpeedFactor"/>.
/// </summary>
public sealed partial class SandboxRelay(
    CallAnswering answering,
    ConversationEngine engine,
    ICallStore calls,
    LanguageModels models,
    IOptions<SandboxOptions> options,
    TimeProvider clock,
    ILogger<SandboxRelay> log)
{
    /// <summary>Simulated seconds per spoken word (about 150 words a minute).</summary>
    public const double SecondsPerWord = 0.4;

    /// <summary>Simulated seconds the callee takes before answering.</summary>
    public const double ThinkSeconds = 0.6;

    /// <summary>
    /// Simulated seconds a callee who heard the agent's goodbye (and has no scripted reply left) waits for the line to drop
    /// before hanging up itself; if the agent says more meanwhile, it is heard as usual.
    /// </summary>
    public const double FarewellWaitSeconds = 60;

    /// <summary>
    /// Handles an answered sandbox attempt until its conversation or message is over, then calls <paramref name="hangUp"/>
    /// (the provider's hang-up, which reports the completion). Never throws: a failure is logged and the call hung up.
    /// </summary>
    public async Task OnAnsweredAsync(SandboxDial dial, AnsweredBy answeredBy, Func<Task> hangUp, CancellationToken ct)
    {
        try
        {
            switch (await answering.PlanAsync(dial.AttemptId, answeredBy, ct))
            {
                case AnswerPlan.Say say:
                    await DelayAsync(Words(say.Text) * SecondsPerWord, ct);
                    break;
                case AnswerPlan.Converse converse:
                    await ConverseAsync(dial, converse, ct);
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return; // The host stops; on the next start the ledger ends the call (SandboxProvider.StartAsync).
        }
        catch (Exception ex)
        {
            LogFailed(log, ex, dial.AttemptId);
        }
        await hangUp();
    }

    private async Task ConverseAsync(SandboxDial dial, AnswerPlan.Converse converse, CancellationToken ct)
    {
        var call = await calls.GetAttemptAsync(dial.AttemptId, ct) is { } attempt ? await calls.GetCallByIdAsync(attempt.CallId, ct) : null;
        if (call is null)
        {
            return;
        }
        var relay = new InProcessRelay();
        var session = engine.RunAsync(dial.AttemptId, relay.Engine, ct);
        var side = relay.Relay;
        side.Send(new RelaySetup("SS" + dial.CallSid[2..], dial.CallSid, dial.From, dial.To, new Dictionary<string, string>()));
        var brain = new SimulatedCalleeBrain(call.Sandbox, call.Contact, models);
        try
        {
            var greeting = converse.Plan.WelcomeGreeting;
            await DelayAsync(Words(greeting) * SecondsPerWord, ct);
            var pending = await brain.NextAsync(greeting, firstReply: true, ct);
            while (pending is not null)
            {
                await DelayAsync(ThinkSeconds + Words(pending.Text ?? "") * SecondsPerWord, ct);
                if (!string.IsNullOrWhiteSpace(pending.Text))
                {
                    side.Send(new RelayPrompt(pending.Text.Trim(), converse.Plan.Language, Last: true));
                }
                foreach (var digit in pending.Dtmf ?? "")
                {
                    side.Send(new RelayDtmf(digit.ToString()));
                }
                var heard = await HearAsync(side, ct);
                if (heard.Ended || heard.Text is null)
                {
                    // The engine ended the session (after its last words are played) or closed the relay.
                    await DelayAsync(Words(heard.Text ?? "") * SecondsPerWord, ct);
                    return;
                }
                // A person who hears goodbye does not answer it: they wait for the agent's closing words and the hang-up.
                while (!brain.HasScriptedReply && SimulatedCalleeBrain.IsFarewell(heard.Text))
                {
                    await DelayAsync(Words(heard.Text) * SecondsPerWord, ct);
                    if (!await AgentSpeaksWithinAsync(side, FarewellWaitSeconds, ct))
                    {
                        return; // Nothing more came: the callee hangs up (finally closes the relay).
                    }
                    heard = await HearAsync(side, ct);
                    if (heard.Ended || heard.Text is null)
                    {
                        await DelayAsync(Words(heard.Text ?? "") * SecondsPerWord, ct);
                        return;
                    }
                }
                var next = await brain.NextAsync(heard.Text, firstReply: false, ct);
                if (next is { Interrupt: true })
                {
                    // The callee speaks over the agent: it heard the first half of the utterance.
                    var words = heard.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var half = string.Join(' ', words.Take(words.Length / 2));
                    var seconds = Words(half) * SecondsPerWord;
                    await DelayAsync(seconds, ct);
                    side.Send(new RelayInterrupt(half, (long)(seconds * 1000)));
                    pending = next with { Interrupt = false };
                    continue;
                }
                await DelayAsync(Words(heard.Text) * SecondsPerWord, ct);
                // More said at once (a closing line after the model's goodbye), or the end: heard before the callee answers.
                while (side.Peek() is RelayText or RelayEnd)
                {
                    var more = await HearAsync(side, ct);
                    await DelayAsync(Words(more.Text ?? "") * SecondsPerWord, ct);
                    if (more.Ended)
                    {
                        return;
                    }
                }
                pending = next;
            }
            // The callee hangs up.
            side.Close();
        }
        finally
        {
            side.Close();
            await session;
        }
    }

    /// <summary>What the agent said next: text tokens up to <c>last</c> (keys sent are not spoken), or the end of the session.</summary>
    private static async Task<(string? Text, bool Ended)> HearAsync(InProcessRelay.RelayEnd side, CancellationToken ct)
    {
        var text = new System.Text.StringBuilder();
        while (await side.ReceiveAsync(ct) is { } frame)
        {
            switch (frame)
            {
                case RelayText t:
                    text.Append(t.Token);
                    if (t.Last && text.Length > 0)
                    {
                        return (text.ToString(), false);
                    }
                    break;
                case RelayEnd:
                    return (text.ToString(), true);
            }
        }
        return (text.Length > 0 ? text.ToString() : null, true);
    }

    /// <summary>True when the engine sends a frame (or closes) within <paramref name="simulatedSeconds"/>; false when the wait ran out.</summary>
    private async Task<bool> AgentSpeaksWithinAsync(InProcessRelay.RelayEnd side, double simulatedSeconds, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var frame = side.WaitToReceiveAsync(wait.Token).AsTask();
        var first = await Task.WhenAny(frame, DelayAsync(simulatedSeconds, wait.Token));
        await wait.CancelAsync();
        ct.ThrowIfCancellationRequested();
        return first == frame;
    }

    private Task DelayAsync(double simulatedSeconds, CancellationToken ct) =>
        simulatedSeconds <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromSeconds(simulatedSeconds / options.Value.SpeedFactor), clock, ct);

    private static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "The sandbox's simulated call of attempt {AttemptId} failed; hanging up")]
    private static partial void LogFailed(ILogger logger, Exception ex, string attemptId);
}
