using Twilio.Security;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// Twilio's request validation (<c>X-Twilio-Signature</c>, https://www.twilio.com/docs/usage/security § "Validating
/// Requests are coming from Twilio"): base64(HMAC-SHA1(auth token, the full URL Twilio requested followed by every POST
/// parameter sorted by name, each name immediately followed by its value)), checked by the official helper library's
/// <see cref="RequestValidator"/> (Twilio 8.2.0). A WebSocket upgrade (ConversationRelay) is signed over its
/// <c>wss://</c> URL with no parameters (https://www.twilio.com/docs/voice/conversationrelay/onboarding § "WebSocket security with signature validation").
/// <para>
/// What the library does, and so Outdial: it checks the URL as given and one variant — without its port when it has one,
/// else with a port added (443 for <c>https</c>, 80 for any other scheme, <c>wss</c> included); it compares in constant
/// time. Twilio's voice callbacks never repeat a form key, and the library takes one value per key, so a form that repeats
/// one is refused here rather than signed in a way Twilio never signs (the npm library would sign each value).
/// </para>
/// </summary>
public static class TwilioSignature
{
    /// <summary>The request header that carries the signature.</summary>
    public const string Header = "X-Twilio-Signature";

    /// <summary>
    /// True when <paramref name="headerValue"/> signs <paramref name="form"/> (pairs in any order; empty for a GET or a
    /// WebSocket upgrade) requested at <paramref name="url"/> (absolute: scheme, host, optional port, path, query string,
    /// exactly as Twilio requested it). False — never an exception — for a null or empty header, an empty auth token (an
    /// unconfigured secret must not accept everything), a form that repeats a key, or a URL that is not an absolute http(s) or
    /// ws(s) URL with a host (or that the library cannot take apart).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="url"/> or <paramref name="form"/> is null.</exception>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form, string? headerValue)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(form);
        if (string.IsNullOrEmpty(authToken) || string.IsNullOrEmpty(headerValue)
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "wss" or "ws") || uri.Host.Length == 0)
        {
            return false;
        }
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in form)
        {
            if (!parameters.TryAdd(name, value ?? ""))
            {
                return false;
            }
        }
        try
        {
            return new RequestValidator(authToken).Validate(url, parameters, headerValue);
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException)
        {
            // The library's port variant rebuilds the URL and looks the host up in it again; a host it cannot find back
            // (e.g. an internationalised name) throws instead of answering: such a URL cannot be verified.
            return false;
        }
    }
}
