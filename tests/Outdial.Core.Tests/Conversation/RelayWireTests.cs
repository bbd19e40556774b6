using System.Text;
using System.Text.Json;
using Outdial.Core.Conversation;

namespace Outdial.Core.Tests.Conversation;

/// <summary>The relay frames' JSON, as Twilio's ConversationRelay and Telnyx's Conversation Relay document it.</summary>
public class RelayWireTests
{
    [Fact]
    public void ParseInbound_DocumentedFrames_ReadEveryField()
    {
        var setup = Assert.IsType<RelaySetup>(Parse("""{"type":"setup","sessionId":"VX1","callSid":"CA1","from":"+15550000100","to":"+12125550123","direction":"outbound-api","customParameters":{"a":"b"}}"""));
        Assert.Equal(("VX1", "CA1", "+15550000100", "+12125550123"), (setup.SessionId, setup.CallSid, setup.From, setup.To));
        Assert.Equal("b", setup.CustomParameters["a"]);

        var prompt = Assert.IsType<RelayPrompt>(Parse("""{"type":"prompt","voicePrompt":"hello there","lang":"en-US","last":false}"""));
        Assert.Equal(("hello there", "en-US", false), (prompt.VoicePrompt, prompt.Lang, prompt.Last));

        var interrupt = Assert.IsType<RelayInterrupt>(Parse("""{"type":"interrupt","utteranceUntilInterrupt":"Welcome to","durationUntilInterruptMs":1820}"""));
        Assert.Equal(("Welcome to", (long?)1820), (interrupt.UtteranceUntilInterrupt, interrupt.DurationUntilInterruptMs));
        // Some relays send the duration as a string.
        Assert.Equal(1820, Assert.IsType<RelayInterrupt>(Parse("""{"type":"interrupt","utteranceUntilInterrupt":"x","durationUntilInterruptMs":"1820"}""")).DurationUntilInterruptMs);

        Assert.Equal("5", Assert.IsType<RelayDtmf>(Parse("""{"type":"dtmf","digit":"5"}""")).Digit);
        Assert.Equal("bad", Assert.IsType<RelayError>(Parse("""{"type":"error","description":"bad"}""")).Description);
    }

    [Fact]
    public void ParseInbound_UnknownTypeIsNull_MalformedThrows()
    {
        Assert.Null(Parse("""{"type":"future-frame","x":1}"""));
        Assert.Throws<JsonException>(() => Parse("""{"voicePrompt":"no type"}"""));
        Assert.Throws<JsonException>(() => Parse("""{"type":"prompt"}"""));
        Assert.ThrowsAny<JsonException>(() => Parse("not json"));
    }

    [Fact]
    public void Serialize_OutboundFrames_UseTheDocumentedFieldNamesAndLeaveOutAbsentOnes()
    {
        Assert.Equal("""{"type":"text","token":"Hi","last":false,"interruptible":true}""", Text(new RelayText("Hi", false, Interruptible: true)));
        Assert.Equal("""{"type":"text","token":"","last":true}""", Text(new RelayText("", true)));
        Assert.Equal("""{"type":"sendDigits","digits":"1w2#"}""", Text(new RelaySendDigits("1w2#")));
        Assert.Equal("""{"type":"language","ttsLanguage":"es-ES","transcriptionLanguage":"es-ES"}""", Text(new RelayLanguage("es-ES", "es-ES")));
        Assert.Equal("""{"type":"play","source":"https://x/a.mp3","loop":2}""", Text(new RelayPlay("https://x/a.mp3", 2)));
        Assert.Equal("""{"type":"end","handoffData":"{}"}""", Text(new RelayEnd("{}")));
        Assert.Equal("""{"type":"end"}""", Text(new RelayEnd(null)));
    }

    [Fact]
    public void BothDirections_RoundTrip()
    {
        RelayOutbound[] outbound = [new RelayText("tok", true, false, true), new RelayPlay("u"), new RelaySendDigits("9"), new RelayLanguage("a", null), new RelayEnd("h")];
        foreach (var frame in outbound)
        {
            Assert.Equal(frame, RelayWire.ParseOutbound(RelayWire.Serialize(frame)));
        }
        RelayInbound[] inbound = [new RelayPrompt("p", "en", true), new RelayInterrupt("u", 5), new RelayDtmf("#"), new RelayError("e")];
        foreach (var frame in inbound)
        {
            Assert.Equal(frame, RelayWire.ParseInbound(RelayWire.Serialize(frame)));
        }
    }

    [Fact]
    public void Handoff_RoundTripsAndIgnoresForeignData()
    {
        var handoff = new Handoff("transferred", "+12125550100");
        Assert.Equal(handoff, Handoff.Parse(handoff.Serialize()));
        Assert.Null(Handoff.Parse(null));
        Assert.Null(Handoff.Parse("not json"));
        Assert.Null(Handoff.Parse("""{"reasonCode":"someone else's"}"""));
    }

    private static RelayInbound? Parse(string json) => RelayWire.ParseInbound(Encoding.UTF8.GetBytes(json));

    private static string Text(RelayOutbound frame) => Encoding.UTF8.GetString(RelayWire.Serialize(frame));
}
