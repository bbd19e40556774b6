using System.Xml.Linq;

namespace Outdial.Telephony.Plivo;

/// <summary>
/// The Plivo XML documents Outdial answers on <c>answer_url</c> (Plivo "XML response", https://www.plivo.com/docs/voice/xml/response;
/// elements <c>&lt;Speak&gt;</c>, <c>&lt;Record&gt;</c>, <c>&lt;Hangup&gt;</c>), the same markup as the npm library's
/// <c>plivo.Response</c> builder (the tests compare both). Text is XML-escaped; characters XML cannot carry are dropped.
/// </summary>
public static class PlivoXml
{
    /// <summary>Content type of a Plivo XML answer.</summary>
    public const string ContentType = "text/xml; charset=utf-8";

    /// <summary>Plivo's session recordings stop at this length (seconds); the call's own <c>time_limit</c> ends it sooner.</summary>
    public const int MaxRecordingSec = 14400;

    /// <summary>
    /// Says <paramref name="text"/> once, then hangs up:
    /// <c>&lt;Response&gt;[&lt;Record recordSession="true" maxLength="14400" callbackUrl="..." callbackMethod="POST"/&gt;]&lt;Speak voice language&gt;text&lt;/Speak&gt;&lt;Hangup/&gt;&lt;/Response&gt;</c>.
    /// <paramref name="voice"/> is mapped by <see cref="VoiceOf"/>; <paramref name="language"/> (e.g. <c>en-US</c>) is sent as
    /// given, empty leaves it out (Plivo's default <c>en-US</c>). With <paramref name="recordingCallbackUrl"/>, the whole session
    /// is recorded in the background (no beep) and Plivo posts <c>record_url</c> there when the file is ready
    /// (https://www.plivo.com/docs/voice/xml/record). An empty or whitespace-only text gives just <see cref="HangUp"/>.
    /// </summary>
    public static string Speak(string text, string voice, string language, string? recordingCallbackUrl = null)
    {
        var legal = Legal(text);
        if (string.IsNullOrWhiteSpace(legal))
        {
            return HangUp();
        }
        var response = new XElement("Response");
        if (recordingCallbackUrl is not null)
        {
            response.Add(new XElement("Record",
                new XAttribute("recordSession", "true"),
                new XAttribute("maxLength", MaxRecordingSec),
                new XAttribute("callbackUrl", recordingCallbackUrl),
                new XAttribute("callbackMethod", "POST")));
        }
        var speak = new XElement("Speak", legal);
        if (VoiceOf(voice) is { } v)
        {
            speak.SetAttributeValue("voice", v);
        }
        if (!string.IsNullOrWhiteSpace(language))
        {
            speak.SetAttributeValue("language", language);
        }
        response.Add(speak, new XElement("Hangup"));
        return Render(response);
    }

    /// <summary><c>&lt;Response&gt;&lt;Hangup/&gt;&lt;/Response&gt;</c>: ends the call at once.</summary>
    public static string HangUp() => Render(new XElement("Response", new XElement("Hangup")));

    /// <summary>
    /// An agent's voice in Plivo's <c>&lt;Speak voice&gt;</c> terms (<c>MAN</c>, <c>WOMAN</c>, or an Amazon Polly voice namespaced
    /// <c>Polly.</c>: https://www.plivo.com/docs/voice/concepts/ssml): <c>alice</c>
    /// (the agents' default, a Twilio name) and <c>woman</c> → <c>WOMAN</c>; <c>man</c> → <c>MAN</c>; an Amazon Polly voice
    /// (<c>Polly.Joanna</c>) as given; anything else null (the attribute is left out: Plivo speaks in <c>WOMAN</c>).
    /// </summary>
    public static string? VoiceOf(string? voice) => voice?.Trim().ToLowerInvariant() switch
    {
        "alice" or "woman" => "WOMAN",
        "man" => "MAN",
        _ when voice?.Trim().StartsWith("Polly.", StringComparison.OrdinalIgnoreCase) == true => voice.Trim(),
        _ => null,
    };

    private static string Render(XElement response) => response.ToString(SaveOptions.DisableFormatting);

    private static string Legal(string text) => new([.. text.Where(c => XmlConvertIsLegal(c))]);

    private static bool XmlConvertIsLegal(char c) => System.Xml.XmlConvert.IsXmlChar(c) || char.IsSurrogate(c);
}
