using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Intake;
using Outdial.Core.Storage;

namespace Outdial.Core.Conversation;

/// <summary>
/// The one conversation engine (ARCHITECTURE §3.4), for every provider and the sandbox: given an answered attempt and a relay
/// session (<see cref="IRelayChannel"/>), it holds the agent's side of the call — the system prompt rendered with the call's
/// variables, the greeting with its disclosures, replies streamed from the model token by token, the tools (end, opt out,
/// DTMF, transfer, callback), opt-out phrases, limits (maximum duration and turns, the model's per-turn timeout) — and stores
/// the transcript turn by turn and a <see cref="ConversationSummary"/> on the attempt. With no model configured, the
/// <see cref="ScriptedAgent"/> speaks. Call content never reaches the logs.
/// </summary>
public sealed partial class ConversationEngine(
    CallAnswering answering,
    ICallStore calls,
    ITranscriptStore transcripts,
    IComplianceStore compliance,
    CallIntake intake,
    LanguageModels models,
    OptOutPhrases optOutPhrases,
    LiveConversations sessions,
    IOptions<LlmOptions> llm,
    IOptions<ConversationOptions> options,
    TimeProvider clock,
    ILogger<ConversationEngine> log)
{
    /// <summary>Relay sessions running now.</summary>
    public int LiveSessions => sessions.Count;

    internal ICallStore Calls => calls;
    internal ITranscriptStore Transcripts => transcripts;
    internal IComplianceStore Compliance => compliance;
    internal CallIntake Intake => intake;
    internal OptOutPhrases OptOut => optOutPhrases;
    internal TimeSpan TurnTimeout => llm.Value.TurnTimeout;
    internal TimeProvider Clock => clock;
    internal ILogger Log => log;

    /// <summary>
    /// Runs the relay session of attempt <paramref name="attemptId"/> on <paramref name="channel"/> until it ends, and returns
    /// its summary (also stored on the attempt). A session is refused — an <see cref="RelayEnd"/> at once, null returned — when
    /// the attempt is unknown, completed, not its call's latest, its call has ended, its conversation already ended, or another
    /// session of the same attempt is running on this node. <paramref name="ct"/> aborts the session (the transport failed or
    /// the host stops); the summary is still stored.
    /// </summary>
    public async Task<ConversationSummary?> RunAsync(string attemptId, IRelayChannel channel, CancellationToken ct)
    {
        if (!sessions.TryReserve(attemptId))
        {
            LogRefused(log, attemptId, "another session of this attempt is running");
            await RefuseAsync(channel, ct);
            return null;
        }
        try
        {
            var target = await answering.LoadAsync(attemptId, ct);
            if (target is not var (attempt, call, agent, businessName) || attempt.Conversation?.EndedAt is not null)
            {
                LogRefused(log, attemptId, "the attempt cannot be talked on");
                await RefuseAsync(channel, ct);
                return null;
            }
            var now = clock.GetUtcNow();
            var plan = ConversationPlan.For(call, agent, businessName, options.Value, now);
            var (method, model, client) = models.Configured
                ? ("llm", models.ConversationModel(agent.Model), models.For(models.ConversationModel(agent.Model)))
                : ("scripted", ScriptedAgent.ModelName, (IChatClient)new ScriptedAgent(plan.Questions, plan.Lines));
            var chatOptions = new ChatOptions
            {
                ModelId = model,
                Temperature = agent.Temperature is { } t ? (float)t : null,
                Tools = ConversationTools.For(plan.TransferNumber is not null),
            };
            var baseIndex = await transcripts.CountTurnsAsync(call.Id, ct);
            LogStarted(log, attemptId, call.Id, method);
            using var session = new ConversationSession(this, call, attempt, plan, client, chatOptions, method, model, baseIndex, channel, now);
            sessions.Attach(attemptId, session);
            var summary = await session.RunAsync(ct);
            LogEnded(log, attemptId, summary.EndReason ?? ConversationEndReason.CalleeHungUp, summary.Turns);
            return summary;
        }
        finally
        {
            // Removed only once every turn is written (RunAsync flushes): a turn recorded later counts the stored ones.
            sessions.Remove(attemptId);
        }
    }

    private static async Task RefuseAsync(IRelayChannel channel, CancellationToken ct)
    {
        await channel.SendAsync(new RelayEnd(new Handoff(Common.WireNames.Of(ConversationEndReason.NotRunnable)).Serialize()), ct);
        await channel.CloseAsync(ct);
    }

    /// <summary>Stores <paramref name="summary"/> on the attempt (a version-checked write, retried when a provider report won the race).</summary>
    internal async Task SaveSummaryAsync(string attemptId, ConversationSummary summary, CancellationToken ct)
    {
        for (var race = 0; race < 8; race++)
        {
            if (await calls.GetAttemptAsync(attemptId, ct) is not { } attempt)
            {
                return;
            }
            if (await calls.TryUpdateAttemptAsync(attempt with { Conversation = summary, Version = attempt.Version + 1, UpdatedAt = clock.GetUtcNow() }, ct))
            {
                return;
            }
        }
        LogSummaryLost(log, attemptId);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Conversation of attempt {AttemptId} (call {CallId}) started ({Method})")]
    private static partial void LogStarted(ILogger logger, string attemptId, string callId, string method);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Conversation of attempt {AttemptId} ended: {Reason}, {Turns} turns")]
    private static partial void LogEnded(ILogger logger, string attemptId, ConversationEndReason reason, int turns);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Relay session for attempt {AttemptId} refused: {Why}")]
    private static partial void LogRefused(ILogger logger, string attemptId, string why);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "The conversation summary of attempt {AttemptId} lost every write race")]
    private static partial void LogSummaryLost(ILogger logger, string attemptId);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Model turn of attempt {AttemptId} failed: {Kind} ({Detail})")]
    internal static partial void LogModelFailed(ILogger logger, string attemptId, string kind, string detail);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Error, Message = "Writing a transcript turn of call {CallId} failed")]
    internal static partial void LogTranscriptWriteFailed(ILogger logger, Exception ex, string callId);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Error, Message = "A turn of attempt {AttemptId} failed")]
    internal static partial void LogTurnFailed(ILogger logger, Exception ex, string attemptId);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "Callee of call {CallId} opted out during the call ({How}); DNC entry added")]
    internal static partial void LogOptedOut(ILogger logger, string callId, string how);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Information, Message = "Callback requested in call {CallId}: {Action} ({Reason})")]
    internal static partial void LogCallback(ILogger logger, string callId, string action, string reason);
}
