using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Storage;
using Outdial.Telephony.Telnyx;

namespace Outdial.Server.Providers.Telnyx;

/// <summary>
/// The Call Control commands Outdial sends in answer to one attempt's webhooks: what <see cref="CallAnswering.PlanAsync"/>
/// decides (the one call-control seam, as Twilio's TwiML endpoint asks it) rendered as Telnyx commands —
/// <see cref="AnswerPlan.Converse"/> → <c>conversation_relay_start</c>; <see cref="AnswerPlan.Say"/> → <c>speak</c>, then
/// <c>hangup</c> on its <c>call.speak.ended</c>; <see cref="AnswerPlan.HangUp"/> → <c>hangup</c>. Commands carry a
/// <c>command_id</c> derived from the attempt id, so a webhook Telnyx sends twice does not act twice.
/// When the agent asks for answering-machine detection, nothing starts on <c>call.answered</c>: the verdict
/// (<c>call.machine.detection.ended</c>) decides — a person or <c>not_sure</c> → the conversation; a fax → hang up; a machine
/// → the voicemail message at once (detection <c>detect</c>) or on <c>call.machine.greeting.ended</c> (<c>greeting_end</c>,
/// the agent's DetectMessageEnd). Without a configured <see cref="TelnyxProvider"/> nothing is sent.
/// </summary>
internal sealed partial class TelnyxCallActions(IServiceProvider services, string attemptId, string callControlId, ILogger log)
{
    private TelnyxProvider? Telnyx => services.GetService<TelnyxProvider>();

    /// <summary><c>call.answered</c>: without AMD, the plan for a person; with AMD, wait for the verdict.</summary>
    public async Task OnAnsweredAsync(CancellationToken ct)
    {
        if (await AmdModeAsync(ct) == AnsweringMachineDetection.Off)
        {
            await ActAsync(null, ct);
        }
    }

    /// <summary>An AMD verdict: a person (or unknown) converses; a fax hangs up; a machine gets its message now or after its greeting.</summary>
    public async Task OnVerdictAsync(AnsweredBy verdict, bool fax, CancellationToken ct)
    {
        if (fax)
        {
            await HangUpAsync(ct);
            return;
        }
        if (verdict != AnsweredBy.Machine || await AmdModeAsync(ct) != AnsweringMachineDetection.DetectMessageEnd)
        {
            await ActAsync(verdict, ct);
        }
    }

    /// <summary><c>call.machine.greeting.ended</c>: the voicemail message, when a machine answered (DetectMessageEnd).</summary>
    public async Task OnGreetingEndedAsync(CancellationToken ct)
    {
        if (await services.GetRequiredService<ICallStore>().GetAttemptAsync(attemptId, ct) is { AnsweredBy: AnsweredBy.Machine, Status: not AttemptStatus.Completed })
        {
            await ActAsync(AnsweredBy.Machine, ct);
        }
    }

    /// <summary>
    /// <c>call.conversation.ended</c>: transfer to the number the conversation recorded (<see cref="ConversationSummary.TransferredTo"/>,
    /// shown the attempt's caller ID), else hang up.
    /// </summary>
    public async Task OnConversationEndedAsync(CancellationToken ct)
    {
        if (Telnyx is not { } telnyx)
        {
            return;
        }
        var attempt = await services.GetRequiredService<ICallStore>().GetAttemptAsync(attemptId, ct);
        if (attempt?.Conversation?.TransferredTo is { Length: > 0 } number)
        {
            await telnyx.TransferAsync(callControlId, number, attempt.From, attemptId + ":transfer", ct);
            return;
        }
        await telnyx.HangUpAsync(callControlId, ct);
    }

    /// <summary>Hangs the call up (idempotent).</summary>
    public Task HangUpAsync(CancellationToken ct) => Telnyx?.HangUpAsync(callControlId, ct) ?? Task.CompletedTask;

    private async Task ActAsync(AnsweredBy? answeredBy, CancellationToken ct)
    {
        if (Telnyx is not { } telnyx)
        {
            LogNoProvider(log, attemptId);
            return;
        }
        var plan = await services.GetRequiredService<CallAnswering>().PlanAsync(attemptId, answeredBy, ct);
        switch (plan)
        {
            case AnswerPlan.Converse converse:
                var options = services.GetRequiredService<IOptions<OutdialOptions>>().Value;
                var apiKey = services.GetRequiredService<IOptions<TelnyxOptions>>().Value.ApiKey;
                await telnyx.StartConversationAsync(callControlId, TelnyxUrls.Relay(options.PublicBaseUrl!, attemptId, apiKey),
                    converse.Plan, attemptId + ":relay", ct);
                break;
            case AnswerPlan.Say say:
                await telnyx.SpeakAsync(callControlId, say.Text, say.Voice, say.Language, attemptId + (say.Voicemail ? ":voicemail" : ":message"), ct);
                break;
            default:
                await telnyx.HangUpAsync(callControlId, ct);
                break;
        }
    }

    private async Task<AnsweringMachineDetection> AmdModeAsync(CancellationToken ct)
    {
        var calls = services.GetRequiredService<ICallStore>();
        if (await calls.GetAttemptAsync(attemptId, ct) is not { } attempt || await calls.GetCallByIdAsync(attempt.CallId, ct) is not { } call)
        {
            return AnsweringMachineDetection.Off;
        }
        var agent = await services.GetRequiredService<IAgentStore>().GetAgentAsync(call.AccountId, call.AgentId, ct, includeDeleted: true);
        return agent?.AnsweringMachineDetection ?? AnsweringMachineDetection.Off;
    }

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning,
        Message = "Telnyx attempt {AttemptId} answered but Outdial:Telnyx:ApiKey is not set: no command is sent")]
    private static partial void LogNoProvider(ILogger logger, string attemptId);
}
