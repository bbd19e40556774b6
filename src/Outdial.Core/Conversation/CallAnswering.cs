using Microsoft.Extensions.Options;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Storage;

namespace Outdial.Core.Conversation;

/// <summary>What an answered attempt does, whatever the provider; each provider renders it (Twilio as TwiML, Plivo as Plivo XML, the sandbox in-process).</summary>
public abstract record AnswerPlan
{
    private AnswerPlan() { }

    /// <summary>Hang up at once (unknown or ended call, a machine with no voicemail message, a fax).</summary>
    public sealed record HangUp : AnswerPlan;

    /// <summary>Say <see cref="Text"/> once, then hang up: the voicemail message (a machine answered) or a message drop.</summary>
    public sealed record Say(string Text, string Voice, string Language, bool Voicemail) : AnswerPlan;

    /// <summary>Hand the attempt to the conversation engine through a relay session (<see cref="ConversationEngine.RunAsync"/>).</summary>
    public sealed record Converse(string AttemptId, ConversationPlan Plan) : AnswerPlan;
}

/// <summary>
/// The one place where an answered attempt is handed on (the call-control seam, ARCHITECTURE §3.4): a person answered → a
/// conversation (agents in <see cref="AgentMode.Conversation"/>) or a message drop (<see cref="AgentMode.Message"/>); a machine
/// answered (AMD) → the agent's voicemail message or a hang-up. Twilio's TwiML callback, Plivo's answer URL and the sandbox all ask here. A spoken
/// message is written to the transcript as the agent's turn, since it is what the callee heard.
/// </summary>
public sealed class CallAnswering(
    ICallStore calls,
    IAgentStore agents,
    IAccountStore accounts,
    ITranscriptStore transcripts,
    LiveConversations sessions,
    IOptions<ConversationOptions> options,
    TimeProvider clock)
{
    /// <summary>
    /// The plan for attempt <paramref name="attemptId"/>, answered by <paramref name="answeredBy"/> (null or unknown: treated as
    /// a person). Reads the attempt, call, agent (deleted ones too) and account; writes a transcript turn for a spoken message.
    /// </summary>
    public async Task<AnswerPlan> PlanAsync(string attemptId, AnsweredBy? answeredBy, CancellationToken ct)
    {
        if (await LoadAsync(attemptId, ct) is not { } target)
        {
            return new AnswerPlan.HangUp();
        }
        var (attempt, call, agent, businessName) = target;
        if (answeredBy == AnsweredBy.Machine)
        {
            var voicemail = ConversationPlan.Voicemail(call, agent, businessName);
            return voicemail.Length == 0
                ? new AnswerPlan.HangUp()
                : await SayAsync(call, attempt, agent, voicemail, voicemail: true,
                    agent.Disclosures.Enabled ? [Disclosure.Identity, Disclosure.ArtificialVoice, Disclosure.CallbackNumber] : null, ct);
        }
        var plan = ConversationPlan.For(call, agent, businessName, options.Value, clock.GetUtcNow());
        if (agent.Mode == AgentMode.Message)
        {
            var text = string.Join(" ", new[] { plan.WelcomeGreeting, plan.ClosingDisclosure }.Where(t => t.Length > 0));
            return text.Length == 0
                ? new AnswerPlan.HangUp()
                : await SayAsync(call, attempt, agent, text, voicemail: false,
                    agent.Disclosures.Enabled ? [.. plan.GreetingDisclosures, Disclosure.CallbackNumber] : null, ct);
        }
        return new AnswerPlan.Converse(attempt.Id, plan);
    }

    /// <summary>The attempt, its call, agent and business name, when the attempt can still be talked on; else null.</summary>
    internal async Task<(Attempt Attempt, Call Call, Agent Agent, string BusinessName)?> LoadAsync(string attemptId, CancellationToken ct)
    {
        if (await calls.GetAttemptAsync(attemptId, ct) is not { Status: not AttemptStatus.Completed } attempt
            || await calls.GetCallByIdAsync(attempt.CallId, ct) is not { } call
            || call.Status.IsTerminal() || call.AttemptCount != attempt.Number
            || await agents.GetAgentAsync(call.AccountId, call.AgentId, ct, includeDeleted: true) is not { } agent)
        {
            return null;
        }
        var businessName = agent.BusinessName;
        if (string.IsNullOrWhiteSpace(businessName))
        {
            businessName = (await accounts.GetAccountAsync(call.AccountId, ct))?.Name ?? "";
        }
        return (attempt, call, agent, businessName);
    }

    private async Task<AnswerPlan> SayAsync(Call call, Attempt attempt, Agent agent, string text, bool voicemail, IReadOnlyList<Disclosure>? disclosures,
        CancellationToken ct)
    {
        // A session still running for this attempt (a machine verdict after the answer) numbers the turn after its own.
        if (sessions.TryRecordAgentTurn(attempt.Id, text, disclosures))
        {
            return new AnswerPlan.Say(text, agent.Voice, agent.Language, voicemail);
        }
        var turns = await transcripts.ListTurnsAsync(call.Id, ct);
        // Twilio may request the same TwiML again (a retried callback): the message is one turn.
        if (!turns.Any(t => t.Attempt == attempt.Number && t.Speaker == TranscriptSpeaker.Agent && t.Text == text))
        {
            await transcripts.SaveTurnAsync(call.Id, new TranscriptTurn
            {
                Index = turns.Count,
                Attempt = attempt.Number,
                Speaker = TranscriptSpeaker.Agent,
                Text = text,
                StartMs = 0,
                EndMs = 0,
                Disclosures = disclosures,
            }, ct);
        }
        return new AnswerPlan.Say(text, agent.Voice, agent.Language, voicemail);
    }
}
