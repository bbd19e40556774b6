using System.Text;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// The few TwiML documents Outdial answers Twilio with (source: Twilio "TwiML for Programmable Voice",
/// https://www.twilio.com/docs/voice/twiml — <c>&lt;Response&gt;</c>, <c>&lt;Say voice language&gt;</c>,
/// <c>&lt;Hangup/&gt;</c>). The text is byte-for-byte what the official npm library's <c>twiml.VoiceResponse</c>
/// (<c>twilio</c> 6.2.0 on <c>xmlbuilder</c> 13) prints for the same instructions: the declaration
/// <c>&lt;?xml version="1.0" encoding="UTF-8"?&gt;</c>, no whitespace between elements, attributes in the order given,
/// empty elements self-closed; text escapes <c>&amp;</c> <c>&lt;</c> <c>&gt;</c> and CR (<c>&amp;#xD;</c>); attribute
/// values escape <c>&amp;</c> <c>&lt;</c> <c>"</c>, tab, LF and CR (<c>&amp;#x9;</c>, <c>&amp;#xA;</c>, <c>&amp;#xD;</c>);
/// everything else, non-ASCII included, is written as is (UTF-8). Characters XML 1.0 forbids (C0 controls other than
/// tab, LF, CR; U+FFFE, U+FFFF; unpaired surrogates), on which the npm library throws, are dropped.
/// </summary>
public static class Twiml
{
    /// <summary>Content type of a TwiML answer.</summary>
    public const string ContentType = "text/xml; charset=utf-8";

    private const string Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    /// <summary>
    /// Says <paramref name="text"/> once in <paramref name="voice"/> (e.g. <c>alice</c>, <c>Polly.Joanna</c>) and
    /// <paramref name="language"/> (BCP-47, e.g. <c>en-US</c>), then hangs up:
    /// <c>&lt;Response&gt;&lt;Say voice=".." language=".."&gt;text&lt;/Say&gt;&lt;Hangup/&gt;&lt;/Response&gt;</c>.
    /// An empty or whitespace-only text gives just <see cref="HangUp"/>; an empty voice or language leaves that
    /// attribute out (Twilio then uses its default).
    /// </summary>
    public static string MessageDrop(string text, string voice, string language)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return HangUp();
        }
        var xml = new StringBuilder(Declaration.Length + text.Length + 96).Append(Declaration).Append("<Response><Say");
        Attribute(xml, "voice", voice);
        Attribute(xml, "language", language);
        xml.Append('>');
        AppendText(xml, text);
        return xml.Append("</Say><Hangup/></Response>").ToString();
    }

    /// <summary><c>&lt;Response&gt;&lt;Hangup/&gt;&lt;/Response&gt;</c>: ends the call at once.</summary>
    public static string HangUp() => Declaration + "<Response><Hangup/></Response>";

    private static void Attribute(StringBuilder xml, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }
        xml.Append(' ').Append(name).Append("=\"");
        foreach (var c in Legal(value))
        {
            _ = c switch
            {
                '&' => xml.Append("&amp;"),
                '<' => xml.Append("&lt;"),
                '"' => xml.Append("&quot;"),
                '\t' => xml.Append("&#x9;"),
                '\n' => xml.Append("&#xA;"),
                '\r' => xml.Append("&#xD;"),
                _ => xml.Append(c),
            };
        }
        xml.Append('"');
    }

    private static void AppendText(StringBuilder xml, string text)
    {
        foreach (var c in Legal(text))
        {
            _ = c switch
            {
                '&' => xml.Append("&amp;"),
                '<' => xml.Append("&lt;"),
                '>' => xml.Append("&gt;"),
                '\r' => xml.Append("&#xD;"),
                _ => xml.Append(c),
            };
        }
    }

    /// <summary>The characters of <paramref name="s"/> that XML 1.0 allows (§2.2 Char); surrogate pairs are kept whole.</summary>
    private static IEnumerable<char> Legal(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    yield return c;
                    yield return s[++i];
                }
                continue;
            }
            if (char.IsLowSurrogate(c) || (c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is '\uFFFE' or '\uFFFF')
            {
                continue;
            }
            yield return c;
        }
    }
}
