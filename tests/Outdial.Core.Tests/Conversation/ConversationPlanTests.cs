using System.Text.Json.Nodes;
using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Insights;

namespace Outdial.Core.Tests.Conversation;

public class ConversationPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    private static Agent Agent(Func<Agent, Agent>? edit = null)
    {
        var agent = new Agent
        {
            Id = "agt_1", AccountId = "acc_1", Key = "sales", Name = "Sales", CreatedAt = Now, UpdatedAt = Now,
            Prompt = "You sell {product} to {firstName}.", FirstMessage = "Hi {firstName}, do you have a minute?", BusinessName = "Acme",
        };
        return edit is null ? agent : edit(agent);
    }

    private static Call Call(Func<Call, Call>? edit = null)
    {
        var call = new Call
        {
            Id = "call_1", AccountId = "acc_1", Status = CallStatus.InProgress, To = "+12125550123", From = "+15550000100", Provider = "sandbox",
            AgentId = "agt_1", AgentSource = AgentSource.Request, Retry = RetryPolicy.Single, MaxDurationSec = 600,
            Decision = new IntakeDecision("queued", Now, null), DueAt = Now, CreatedAt = Now, UpdatedAt = Now,
            Contact = new JsonObject { ["firstName"] = "Ada" }, Variables = new Dictionary<string, string> { ["product"] = "solar panels" },
            RenderedPrompt = "You sell solar panels to Ada.", RenderedFirstMessage = "Hi Ada, do you have a minute?",
            InsightQuestions = [InsightQuestion.Of("Is the roof south-facing?")],
        };
        return edit is null ? call : edit(call);
    }

    [Fact]
    public void Greeting_StatesIdentityAndAiVoiceThenTheFirstMessage_ClosingGivesTheCallbackNumber()
    {
        var plan = ConversationPlan.For(Call(), Agent(), "Acme", new ConversationOptions(), Now);
        Assert.Equal("This is an automated call from Acme, and I'm an AI voice assistant. Hi Ada, do you have a minute?", plan.WelcomeGreeting);
        Assert.Equal([Disclosure.Identity, Disclosure.ArtificialVoice], plan.GreetingDisclosures);
        Assert.Equal("You can reach Acme at 555-000-0100.", plan.ClosingDisclosure);
        Assert.Contains("You sell solar panels to Ada.", plan.SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("1. Is the roof south-facing?", plan.SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("Saturday 2026-12-05 22:00 (America/New_York)", plan.SystemPrompt, StringComparison.Ordinal);
        Assert.Equal("America/New_York", plan.TimeZone);
        Assert.Equal(TimeSpan.FromSeconds(585), plan.CloseAfter);
    }

    [Fact]
    public void RecordedCall_AlsoDisclosesTheRecording_AgentWordingPerLanguageWins()
    {
        var agent = Agent(a => a with
        {
            Language = "es-MX",
            CallbackNumber = "+12125550199",
            Disclosures = new AgentDisclosures(true, new Dictionary<string, DisclosureTexts> { ["es"] = new(Identity: "Llamada de {businessName} con IA.") }),
        });
        var plan = ConversationPlan.For(Call(c => c with { Record = true }), agent, "Acme", new ConversationOptions(), Now);
        Assert.StartsWith("Llamada de Acme con IA. Esta llamada está siendo grabada.", plan.WelcomeGreeting, StringComparison.Ordinal);
        Assert.Equal([Disclosure.Identity, Disclosure.ArtificialVoice, Disclosure.Recording], plan.GreetingDisclosures);
        Assert.Equal("Puede comunicarse con Acme al 212-555-0199.", plan.ClosingDisclosure);
        Assert.Equal("Gracias por su tiempo. Adiós.", plan.Lines.Goodbye);
    }

    [Fact]
    public void DisclosuresOff_GreetingIsTheFirstMessageAlone()
    {
        var plan = ConversationPlan.For(Call(), Agent(a => a with { Disclosures = new AgentDisclosures(false) }), "Acme", new ConversationOptions(), Now);
        Assert.Equal("Hi Ada, do you have a minute?", plan.WelcomeGreeting);
        Assert.Empty(plan.GreetingDisclosures);
        Assert.Equal("", plan.ClosingDisclosure);
    }

    [Fact]
    public void Voicemail_IsDisclosedMessage_OrEmptyWithoutAMessage()
    {
        Assert.Equal("", ConversationPlan.Voicemail(Call(), Agent(), "Acme"));
        var agent = Agent(a => a with { VoicemailMessage = "Please call us back, {firstName}." });
        Assert.Equal("This is an automated call from Acme, and I'm an AI voice assistant. Please call us back, Ada. You can reach Acme at 555-000-0100.",
            ConversationPlan.Voicemail(Call(), agent, "Acme"));
    }
}
