using System.Xml.Linq;
using Outdial.Telephony.Twilio;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary><see cref="Twiml"/> byte-for-byte against the official npm library's <c>twiml.VoiceResponse</c> (<c>twilio</c> 6.2.0).</summary>
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
    public async Task MessageDrop_EqualsNpmVoiceResponse_ByteForByte()
    {
        var expected = await TwilioNode.TwimlAsync(Drops.Select(d => (IReadOnlyList<TwimlInstruction>)
        [
            new TwimlInstruction("say", d.Text, [new("voice", d.Voice), new("language", d.Language)]),
            new TwimlInstruction("hangup"),
        ]));
        for (var i = 0; i < Drops.Length; i++)
        {
            var ours = Twiml.MessageDrop(Drops[i].Text, Drops[i].Voice, Drops[i].Language);
            Assert.Equal(expected[i], ours);
            // And it is well-formed XML whose Say text round-trips (CR included, as the character reference).
            var say = XDocument.Parse(ours, LoadOptions.PreserveWhitespace).Root!.Element("Say")!;
            Assert.Equal(Drops[i].Text, say.Value);
            Assert.Equal(Drops[i].Voice, (string?)say.Attribute("voice"));
            Assert.Equal(Drops[i].Language, (string?)say.Attribute("language"));
        }
    }

    [Fact]
    public async Task HangUp_AndEmptyMessage_EqualNpmHangupOnly()
    {
        var expected = await TwilioNode.TwimlAsync([[new TwimlInstruction("hangup")]]);
        Assert.Equal(expected[0], Twiml.HangUp());
        Assert.Equal(expected[0], Twiml.MessageDrop("", "alice", "en-US"));
        Assert.Equal(expected[0], Twiml.MessageDrop("  \n ", "alice", "en-US"));
        Assert.Equal("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>", Twiml.HangUp());
    }

    [Fact]
    public async Task MessageDrop_WithoutVoiceOrLanguage_LeavesTheAttributeOut()
    {
        var expected = await TwilioNode.TwimlAsync(
        [
            [new TwimlInstruction("say", "Hi", [new("language", "en-US")]), new TwimlInstruction("hangup")],
            [new TwimlInstruction("say", "Hi", []), new TwimlInstruction("hangup")],
        ]);
        Assert.Equal(expected[0], Twiml.MessageDrop("Hi", "", "en-US"));
        Assert.Equal(expected[1], Twiml.MessageDrop("Hi", "", ""));
    }

    [Fact]
    public void MessageDrop_CharactersXmlForbids_AreDropped()
    {
        // The npm library throws on these; a spoken message cannot carry them anyway.
        var xml = Twiml.MessageDrop("a\u0001b\u0008c\uFFFEd\uD800e\uDC00f", "alice", "en-US");
        Assert.Equal("abcdef", XDocument.Parse(xml).Root!.Element("Say")!.Value);
    }
}
