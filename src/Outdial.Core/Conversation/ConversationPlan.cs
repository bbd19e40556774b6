using System.Globalization;
using System.Text;
using NodaTime;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Compliance;
using Outdial.Core.Insights;

namespace Outdial.Core.Conversation;

/// <summary>
/// Everything one attempt's conversation says or needs, decided before it starts from the call, its agent and the server's
/// settings: the welcome greeting (disclosures, then the rendered first message), the system prompt, the closing disclosure,
/// the fixed lines, the questions and limits. Built by <see cref="For"/>, a pure function, so the Twilio TwiML (which carries
/// the greeting) and the engine (which records it) always agree.
/// </summary>
public sealed record ConversationPlan
{
    /// <summary>Spoken first (ConversationRelay <c>welcomeGreeting</c>): identity and AI disclosure, recording disclosure, first message.</summary>
    public required string WelcomeGreeting { get; init; }
    public required IReadOnlyList<Disclosure> GreetingDisclosures { get; init; }
    public required string SystemPrompt { get; init; }
    /// <summary>Said before the call ends (callback number); empty when disclosures are off.</summary>
    public required string ClosingDisclosure { get; init; }
    public required ConversationLines Lines { get; init; }
    public required IReadOnlyList<InsightQuestion> Questions { get; init; }
    /// <summary>BCP-47.</summary>
    public required string Language { get; init; }
    public required string Voice { get; init; }
    public required bool Interruptible { get; init; }
    public required int MaxTurns { get; init; }
    /// <summary>When the agent starts closing, measured from the start of the conversation.</summary>
    public required TimeSpan CloseAfter { get; init; }
    public string? TransferNumber { get; init; }
    /// <summary>The callee's zone for interpreting callback times without an offset.</summary>
    public required string TimeZone { get; init; }

    /// <summary>
    /// The plan for <paramref name="call"/> with <paramref name="agent"/>. <paramref name="businessName"/> is the agent's
    /// <see cref="Agent.BusinessName"/> or, when empty, the account's name. <paramref name="now"/> (UTC) goes into the system
    /// prompt as the callee's local date and time, so the model can resolve "tomorrow at three".
    /// </summary>
    public static ConversationPlan For(Call call, Agent agent, string businessName, ConversationOptions options, DateTimeOffset now)
    {
        var values = PromptTemplate.Values(call.Contact, agent.Variables, call.Variables);
        values["businessName"] = businessName;
        values["callbackNumber"] = DisclosureDefaults.Spoken(agent.CallbackNumber ?? call.From);
        var greeting = new List<string>();
        var said = new List<Disclosure>();
        var closing = "";
        if (agent.Disclosures.Enabled)
        {
            var texts = DisclosureDefaults.For(agent.Language, agent.Disclosures);
            greeting.Add(PromptTemplate.Render(texts.Identity ?? "", values));
            said.Add(Disclosure.Identity);
            said.Add(Disclosure.ArtificialVoice);
            if (call.Record)
            {
                greeting.Add(PromptTemplate.Render(texts.Recording ?? "", values));
                said.Add(Disclosure.Recording);
            }
            closing = PromptTemplate.Render(texts.CallbackNumber ?? "", values);
        }
        var firstMessage = call.RenderedFirstMessage.Length > 0 ? call.RenderedFirstMessage : PromptTemplate.Render(agent.FirstMessage, values);
        greeting.Add(firstMessage);
        var welcome = string.Join(" ", greeting.Where(g => !string.IsNullOrWhiteSpace(g)).Select(g => g.Trim()));
        var zone = TimeZoneOf(call, agent);
        var closeAfter = TimeSpan.FromSeconds(call.MaxDurationSec) - options.ClosingMargin;
        return new ConversationPlan
        {
            WelcomeGreeting = welcome,
            GreetingDisclosures = said,
            ClosingDisclosure = closing.Trim(),
            Lines = ConversationLines.For(agent.Language, options.Lines),
            Questions = call.InsightQuestions,
            Language = agent.Language,
            Voice = agent.Voice,
            Interruptible = agent.Interruptible,
            MaxTurns = agent.MaxTurns ?? options.MaxTurns,
            CloseAfter = closeAfter > TimeSpan.FromSeconds(5) ? closeAfter : TimeSpan.FromSeconds(call.MaxDurationSec) * 0.8,
            TransferNumber = agent.TransferNumber,
            TimeZone = zone,
            SystemPrompt = SystemPromptFor(call, agent, welcome, zone, now),
        };
    }

    /// <summary>
    /// What the agent says when a machine answers: the identity disclosure, the agent's rendered voicemail message and the
    /// callback-number disclosure (64.1200(b) applies to artificial-voice messages left on a machine too); empty when the agent
    /// has no voicemail message (hang up instead).
    /// </summary>
    public static string Voicemail(Call call, Agent agent, string businessName)
    {
        var values = PromptTemplate.Values(call.Contact, agent.Variables, call.Variables);
        values["businessName"] = businessName;
        values["callbackNumber"] = DisclosureDefaults.Spoken(agent.CallbackNumber ?? call.From);
        var message = PromptTemplate.Render(agent.VoicemailMessage, values).Trim();
        if (message.Length == 0)
        {
            return "";
        }
        if (!agent.Disclosures.Enabled)
        {
            return message;
        }
        var texts = DisclosureDefaults.For(agent.Language, agent.Disclosures);
        return string.Join(" ", new[] { PromptTemplate.Render(texts.Identity ?? "", values), message, PromptTemplate.Render(texts.CallbackNumber ?? "", values) }
            .Select(t => t.Trim()).Where(t => t.Length > 0));
    }

    /// <summary>The callee's zone: the call's explicit zone, else the first zone its number gives, else UTC.</summary>
    private static string TimeZoneOf(Call call, Agent agent)
    {
        if (call.TimeZone is { } explicitZone)
        {
            return explicitZone;
        }
        var zones = CalleeZones.Resolve(call.To).Zones;
        return zones.Count > 0 ? zones[0] : agent.CallingWindow?.TimeZone is { Length: > 0 } w && w != Campaigns.Campaign.CalleeZone ? w : "UTC";
    }

    private static string SystemPromptFor(Call call, Agent agent, string welcome, string zone, DateTimeOffset now)
    {
        var prompt = new StringBuilder();
        prompt.Append(call.RenderedPrompt.Length > 0 ? call.RenderedPrompt : "You are a helpful, polite phone agent.").Append("\n\n");
        prompt.Append("You are speaking on a live phone call; everything you write is spoken aloud by a text-to-speech voice. ")
            .Append("Keep each reply short (one to three sentences), natural and conversational: plain sentences only, no lists, markup, emoji or stage directions. ")
            .Append("Speak ").Append(agent.Language).Append(". ")
            .Append("The call has already begun: you greeted the callee with \"").Append(welcome).Append("\"\n");
        if (call.InsightQuestions.Count > 0)
        {
            prompt.Append("\nDuring the call, find out the following, naturally and one question at a time:\n");
            for (var i = 0; i < call.InsightQuestions.Count; i++)
            {
                prompt.Append(i + 1).Append(". ").Append(call.InsightQuestions[i].Question).Append('\n');
            }
        }
        prompt.Append("\nTools: call end_call when the conversation is complete, in the same reply as your goodbye. ")
            .Append("If the callee asks not to be called again, call opt_out at once. ")
            .Append("If you reach an automated phone menu, use send_dtmf to press keys. ")
            .Append("If the callee asks to be called back at another time, call schedule_callback with that time. ");
        if (agent.TransferNumber is not null)
        {
            prompt.Append("If the callee asks to speak to a person, call transfer_call. ");
        }
        var local = Instant.FromDateTimeOffset(now).InZone(DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) ?? DateTimeZone.Utc);
        prompt.Append("\n\nThe callee's local date and time now: ")
            .Append(local.ToString("dddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).Append(" (").Append(zone).Append(").");
        return prompt.ToString();
    }
}
