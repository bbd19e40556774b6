namespace Outdial.Telephony.Twilio;

/// <summary>
/// The URLs under Outdial's public base URL (<c>Outdial:PublicBaseUrl</c>) that Twilio requests for one attempt. The
/// attempt id in the path ties every request to its attempt even before Twilio's call SID is known to us. The same
/// string is used to sign-check Twilio's request (X-Twilio-Signature covers the full URL).
/// </summary>
public static class TwilioUrls
{
    /// <summary>Route prefix, relative to the public base URL.</summary>
    public const string Prefix = "/providers/twilio/calls";

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/twiml</c>: Twilio fetches what to say when the call connects.</summary>
    public static string Twiml(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "twiml");

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/status</c>: status callbacks (initiated, ringing, answered, completed).</summary>
    public static string Status(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "status");

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/recording</c>: recording status callbacks.</summary>
    public static string Recording(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "recording");

    /// <summary><c>{base}/providers/twilio/calls/{attemptId}/amd</c>: asynchronous answering-machine detection result.</summary>
    public static string Amd(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "amd");

    /// <summary>
    /// <c>{base}/providers/twilio/calls/{attemptId}/relay-ended</c>: the <c>&lt;Connect action&gt;</c> Twilio requests when the
    /// ConversationRelay session ends (with <c>HandoffData</c>).
    /// </summary>
    public static string RelayEnded(string publicBaseUrl, string attemptId) => Build(publicBaseUrl, attemptId, "relay-ended");

    /// <summary>Route prefix of the ConversationRelay WebSocket, relative to the public base URL.</summary>
    public const string RelayPrefix = "/providers/twilio/relay";

    /// <summary>
    /// <c>wss://{base host and path}/providers/twilio/relay/{attemptId}</c>: the WebSocket Twilio's ConversationRelay opens for
    /// the attempt's conversation. The public base URL's <c>https</c> becomes <c>wss</c>, <c>http</c> becomes <c>ws</c>
    /// (port, path prefix and case kept), so Twilio's signature over this URL matches what the server reconstructs.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="publicBaseUrl"/> is not an absolute http(s) URL.</exception>
    public static string Relay(string publicBaseUrl, string attemptId) =>
        $"{WebSocketBase(publicBaseUrl)}{RelayPrefix}/{Uri.EscapeDataString(attemptId)}";

    /// <summary>
    /// <paramref name="publicBaseUrl"/> without its trailing slash and with its scheme as a WebSocket's: <c>https://</c> →
    /// <c>wss://</c>, <c>http://</c> → <c>ws://</c> (scheme matched case-insensitively; the rest kept as written).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="publicBaseUrl"/> does not start with <c>http://</c> or <c>https://</c>.</exception>
    public static string WebSocketBase(string publicBaseUrl)
    {
        var trimmed = publicBaseUrl.TrimEnd('/');
        if (trimmed.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return "wss://" + trimmed["https://".Length..];
        }
        if (trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return "ws://" + trimmed["http://".Length..];
        }
        throw new ArgumentException($"Outdial:PublicBaseUrl must be an absolute http(s) URL, not '{publicBaseUrl}'.", nameof(publicBaseUrl));
    }

    private static string Build(string publicBaseUrl, string attemptId, string leaf) =>
        $"{publicBaseUrl.TrimEnd('/')}{Prefix}/{Uri.EscapeDataString(attemptId)}/{leaf}";
}
