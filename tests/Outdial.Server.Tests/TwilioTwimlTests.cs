using System.Xml.Linq;
using Outdial.Core.Conversation;
using Outdial.Telephony.Twilio;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// <see cref="Twiml"/> (the official .NET library's <c>VoiceResponse</c>, Twilio 8.2.0) against the official npm library's
/// <c>twiml.VoiceResponse</c> (<c>twilio</c> 6.2.0): the same XML document — elements, attributes and text — though not the
/// same bytes (the .NET library writes <c>encoding="utf-8"</c>, <c>&lt;Hangup&gt;&lt;/Hangup&gt;</c>, its own attribute
/// order and escapes <c>&gt;</c> in attributes).
/// </summary>
public sealed class TwilioTwimlTests
{
    private static readonly (string Text, string Voice, string Language)[] Drops =
    [
        ("Hello Ada, this is a quick call from our team.", "alice", "en-US"),
        ("Tom & Jerry <b>bold</b> \"quoted\" 'single' ]]> a > b", "Polly.Joanna", "en-US"),
        ("Grüße aus Köln, Señor Muñoz — ça va? 你好，世界 🙂📞", "Polly.Hans", "de-DE"),
        ("Line one\nLine two\r\n\ttabbed  double  space ", "Google.en-US-Standard-C", "en-US"),
        ("Bonjour", "Polly.Léa\"&<>'\t\n\r", "fr-FR"),
        ("Ünïcödé only in the language", "man", "x-ÄÖ&\""),
        ("&amp; already escaped &#x41; stays literal", "woman", "en-GB"),
    ];

    [Fact]
    public async Task Say_IsTheSameDocumentAsNpmVoiceResponse()
    {
        var expected = await TwilioNode.TwimlAsync(Drops.Select(d => (IReadOnlyList<TwimlInstruction>)
        [
            new TwimlInstruction("say", d.Text, [new("voice", d.Voice), new("language", d.Language)]),
            new TwimlInstruction("hangup"),
        ]));
        for (var i = 0; i < Drops.Length; i++)
        {
            var ours = Twiml.Say(Drops[i].Text, Drops[i].Voice, Drops[i].Language);
            TwimlAssert.SameDocument(expected[i], ours);
            // The Say text round-trips exactly, CR included.
            var say = XDocument.Parse(ours, LoadOptions.PreserveWhitespace).Root!.Element("Say")!;
            Assert.Equal(Drops[i].Text, say.Value);
            Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><Say ", ours, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HangUp_AndEmptyMessage_AreNpmsHangupOnly()
    {
        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("hangup")]]);
        TwimlAssert.SameDocument(expected[0], Twiml.HangUp());
        TwimlAssert.SameDocument(expected[0], Twiml.Say("", "alice", "en-US"));
        TwimlAssert.SameDocument(expected[0], Twiml.Say("  \n ", "alice", "en-US"));
        Assert.Equal("<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><Hangup></Hangup></Response>", Twiml.HangUp());
    }

    [Fact]
    public async Task Say_WithoutVoiceOrLanguage_LeavesTheAttributeOut()
    {
        var expected = await TwilioNode.TwimlAsync(
        [
            [new TwimlInstruction("say", "Hi", [new("language", "en-US")]), new TwimlInstruction("hangup")],
            [new TwimlInstruction("say", "Hi", []), new TwimlInstruction("hangup")],
        ]);
        TwimlAssert.SameDocument(expected[0], Twiml.Say("Hi", "", "en-US"));
        TwimlAssert.SameDocument(expected[1], Twiml.Say("Hi", "", ""));
    }

    [Fact]
    public void Say_CharactersXmlForbids_AreDropped()
    {
        // The XML writers of both libraries throw on these; a spoken message cannot carry them anyway.
        var xml = Twiml.Say("a\u0001b\u0008c\uFFFEd\uD800e\uDC00f😀", "alice\u0002", "en-US");
        var say = XDocument.Parse(xml).Root!.Element("Say")!;
        Assert.Equal("abcdef😀", say.Value);
        Assert.Equal("alice", (string?)say.Attribute("voice"));
    }

    [Theory]
    [InlineData(true, "any")]
    [InlineData(false, "none")]
    public async Task ConversationRelay_IsTheSameDocumentAsNpmConnectConversationRelay(bool interruptible, string expectedInterruptible)
    {
        var plan = Plan("This is an automated call from Acme & Co, and I'm an AI voice assistant. Hello \"Ada\" <3\r\nGrüße 📞", interruptible);
        const string relay = "wss://outdial.example.test/base/providers/twilio/relay/att_1";
        const string action = "https://outdial.example.test/base/providers/twilio/calls/att_1/relay-ended";

        var ours = Twiml.ConversationRelay(relay, action, plan);

        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("connectConversationRelay",
            Attributes: [new("url", relay), new("welcomeGreeting", plan.WelcomeGreeting), new("language", "en-GB"), new("voice", "en-GB-Journey-D"),
                new("dtmfDetection", "true"), new("interruptible", expectedInterruptible)],
            Connect: [new("action", action)])]]);
        TwimlAssert.SameDocument(expected[0], ours);
        var element = XDocument.Parse(ours).Root!.Element("Connect")!.Element("ConversationRelay")!;
        Assert.Equal(plan.WelcomeGreeting, (string?)element.Attribute("welcomeGreeting"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("Man")]
    public async Task ConversationRelay_WithoutGreetingOrARelayVoice_LeavesThoseAttributesOut(string voice)
    {
        // alice, man and woman are <Say>'s basic voices (the agents' default is alice): ConversationRelay's providers have none of them.
        var ours = Twiml.ConversationRelay("ws://127.0.0.1:5080/providers/twilio/relay/a", "http://127.0.0.1:5080/providers/twilio/calls/a/relay-ended",
            Plan("", true) with { Voice = voice });
        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("connectConversationRelay",
            Attributes: [new("url", "ws://127.0.0.1:5080/providers/twilio/relay/a"), new("language", "en-GB"), new("dtmfDetection", "true"), new("interruptible", "any")],
            Connect: [new("action", "http://127.0.0.1:5080/providers/twilio/calls/a/relay-ended")])]]);
        TwimlAssert.SameDocument(expected[0], ours);
    }

    [Fact]
    public async Task Dial_IsTheSameDocumentAsNpmDial()
    {
        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("dial", "+15551230001", [new("callerId", "+15005550006")])]]);
        var ours = Twiml.Dial("+15551230001", "+15005550006");
        TwimlAssert.SameDocument(expected[0], ours);
        Assert.Equal("<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><Dial callerId=\"+15005550006\">+15551230001</Dial></Response>", ours);
    }

    private static ConversationPlan Plan(string greeting, bool interruptible) => new()
    {
        WelcomeGreeting = greeting,
        GreetingDisclosures = [],
        SystemPrompt = "",
        ClosingDisclosure = "",
        Lines = ConversationLines.For("en-GB", new Dictionary<string, ConversationLines>()),
        Questions = [],
        Language = "en-GB",
        Voice = "en-GB-Journey-D",
        Interruptible = interruptible,
        MaxTurns = 30,
        CloseAfter = TimeSpan.FromMinutes(5),
        TimeZone = "Europe/London",
    };
}

/// <summary>Compares TwiML as XML documents: same elements in the same order, same attributes (any order), same text.</summary>
public static class TwimlAssert
{
    /// <summary>Fails unless <paramref name="actual"/> parses to the same document as <paramref name="expected"/> (version 1.0, UTF-8).</summary>
    public static void SameDocument(string expected, string actual)
    {
        var e = XDocument.Parse(expected, LoadOptions.PreserveWhitespace);
        var a = XDocument.Parse(actual, LoadOptions.PreserveWhitespace);
        Assert.Equal("1.0", a.Declaration?.Version);
        Assert.Equal("utf-8", a.Declaration?.Encoding, ignoreCase: true);
        Assert.True(Same(e.Root!, a.Root!), $"expected {expected}\nactual   {actual}");
    }

    private static bool Same(XElement e, XElement a)
    {
        if (e.Name != a.Name)
        {
            return false;
        }
        var ea = e.Attributes().OrderBy(x => x.Name.ToString(), StringComparer.Ordinal).Select(x => (x.Name, x.Value)).ToList();
        var aa = a.Attributes().OrderBy(x => x.Name.ToString(), StringComparer.Ordinal).Select(x => (x.Name, x.Value)).ToList();
        if (!ea.SequenceEqual(aa))
        {
            return false;
        }
        // <Hangup/> and <Hangup></Hangup> are the same element: compare child nodes, with empty text left out.
        var en = e.Nodes().Where(n => n is not XText { Value.Length: 0 }).ToList();
        var an = a.Nodes().Where(n => n is not XText { Value.Length: 0 }).ToList();
        return en.Count == an.Count && en.Zip(an).All(p => p switch
        {
            (XElement x, XElement y) => Same(x, y),
            (XText x, XText y) => x.Value == y.Value,
            _ => false,
        });
    }
}
