using System.Text;
using System.Xml;
using Outdial.Core.Conversation;
using Twilio.TwiML;
using RelayVerb = Twilio.TwiML.Voice.ConversationRelay;
using ConnectVerb = Twilio.TwiML.Voice.Connect;
using SayVerb = Twilio.TwiML.Voice.Say;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// The TwiML documents Outdial answers Twilio with, built with the official helper library's
/// <see cref="VoiceResponse"/> (Twilio 8.2.0; verbs: https://www.twilio.com/docs/voice/twiml — <c>&lt;Say&gt;</c>,
/// <c>&lt;Hangup&gt;</c>, <c>&lt;Connect&gt;</c> with <c>&lt;ConversationRelay&gt;</c>, <c>&lt;Dial&gt;</c>).
/// <see cref="Render"/> writes the library's <c>ToXDocument()</c> without indentation and with line
/// breaks kept as character references (the library's own <c>ToString</c> drops a carriage return from text), so the
/// text Twilio speaks is exactly the text given. Characters XML 1.0 forbids (C0 controls other than tab, LF and CR,
/// U+FFFE, U+FFFF, unpaired surrogates), on which the XML writer throws, are dropped from every value first.
/// </summary>
public static class Twiml
{
    /// <summary>Content type of a TwiML answer.</summary>
    public const string ContentType = "text/xml; charset=utf-8";

    /// <summary>The voices of Twilio's basic text-to-speech, which only <c>&lt;Say&gt;</c> speaks (https://www.twilio.com/docs/voice/twiml/say/text-speech).</summary>
    private static readonly HashSet<string> BasicSayVoices = new(["alice", "man", "woman"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Says <paramref name="text"/> once in <paramref name="voice"/> (e.g. <c>alice</c>, <c>Polly.Joanna</c>) and
    /// <paramref name="language"/> (BCP-47, e.g. <c>en-US</c>), then hangs up:
    /// <c>&lt;Response&gt;&lt;Say voice language&gt;text&lt;/Say&gt;&lt;Hangup/&gt;&lt;/Response&gt;</c>. An empty or
    /// whitespace-only text gives just <see cref="HangUp"/>; an empty voice or language leaves that attribute out (Twilio
    /// then uses its default).
    /// </summary>
    public static string Say(string text, string voice, string language)
    {
        if (string.IsNullOrWhiteSpace(Legal(text)))
        {
            return HangUp();
        }
        // The library turns a string into its enum implicitly, a null string too (an attribute with no value, which throws):
        // an absent voice or language is passed as a null enum.
        var response = new VoiceResponse().Say(Legal(text),
            voice: OrNull(voice) is { } v ? (SayVerb.VoiceEnum)v : null,
            language: OrNull(language) is { } l ? (SayVerb.LanguageEnum)l : null);
        return Render(response.Hangup());
    }

    /// <summary><c>&lt;Response&gt;&lt;Hangup/&gt;&lt;/Response&gt;</c>: ends the call at once.</summary>
    public static string HangUp() => Render(new VoiceResponse().Hangup());

    /// <summary>
    /// Hands the call to a ConversationRelay session (https://www.twilio.com/docs/voice/twiml/connect/conversationrelay):
    /// <c>&lt;Connect action="<paramref name="actionUrl"/>"&gt;&lt;ConversationRelay url="<paramref name="relayUrl"/>"
    /// welcomeGreeting language voice dtmfDetection="true" interruptible="any|none"/&gt;&lt;/Connect&gt;</c>. Twilio opens a
    /// WebSocket to <paramref name="relayUrl"/> (<c>wss://</c> or <c>ws://</c>), speaks the plan's greeting itself, and requests
    /// <paramref name="actionUrl"/> when the session ends (with <c>HandoffData</c> from the <c>end</c> frame). Empty plan
    /// values (greeting, language, voice) leave their attribute out, and so does a voice of Twilio's basic <c>&lt;Say&gt;</c>
    /// text-to-speech (<c>alice</c>, <c>man</c>, <c>woman</c>, the agents' default), which no ConversationRelay text-to-speech
    /// provider knows (https://www.twilio.com/docs/voice/conversationrelay/voice-configuration): Twilio then speaks in its
    /// default voice for the language. <see cref="ConversationPlan.Interruptible"/> false → <c>none</c> (the callee's speech
    /// never cuts the agent off), true → <c>any</c>.
    /// </summary>
    public static string ConversationRelay(string relayUrl, string actionUrl, ConversationPlan plan)
    {
        var relay = new RelayVerb(
            url: relayUrl,
            language: OrNull(plan.Language),
            voice: OrNull(plan.Voice) is { } voice && !BasicSayVoices.Contains(voice) ? voice : null,
            dtmfDetection: true,
            welcomeGreeting: OrNull(plan.WelcomeGreeting),
            interruptible: plan.Interruptible ? "any" : "none");
        var connect = new ConnectVerb(action: new Uri(actionUrl)).Append(relay);
        return Render(new VoiceResponse().Append(connect));
    }

    /// <summary>
    /// Connects the call to <paramref name="number"/> (E.164) with <paramref name="callerId"/> (E.164) shown to it:
    /// <c>&lt;Response&gt;&lt;Dial callerId&gt;number&lt;/Dial&gt;&lt;/Response&gt;</c> (https://www.twilio.com/docs/voice/twiml/dial).
    /// The call ends when the transferred leg does.
    /// </summary>
    public static string Dial(string number, string callerId) =>
        Render(new VoiceResponse().Dial(Legal(number), callerId: OrNull(callerId)));

    /// <summary>
    /// The document's text: <c>&lt;?xml version="1.0" encoding="utf-8"?&gt;</c>, no whitespace between elements, CR (and in
    /// attributes also LF and tab) as character references.
    /// </summary>
    public static string Render(TwiML response)
    {
        var text = new Utf8StringWriter();
        using (var writer = XmlWriter.Create(text, new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = false,
            NewLineHandling = NewLineHandling.Entitize,
        }))
        {
            response.ToXDocument().Save(writer);
        }
        return text.ToString();
    }

    private static string? OrNull(string? value) => string.IsNullOrEmpty(Legal(value)) ? null : Legal(value);

    /// <summary><paramref name="s"/> without the characters XML 1.0 forbids (§2.2 Char); surrogate pairs are kept whole.</summary>
    private static string Legal(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return "";
        }
        var kept = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (XmlConvert.IsXmlChar(s[i]))
            {
                kept.Append(s[i]);
            }
            else if (i + 1 < s.Length && XmlConvert.IsXmlSurrogatePair(s[i + 1], s[i]))
            {
                kept.Append(s, i++, 2);
            }
        }
        return kept.Length == s.Length ? s : kept.ToString();
    }
}
