using System.Security.Cryptography;
using System.Text;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony.Telnyx;

/// <summary>
/// The URLs under Outdial's public base URL (<c>Outdial:PublicBaseUrl</c>) that Telnyx requests for one attempt: the
/// webhook URL of its call (every Call Control event) and the Conversation Relay WebSocket. The attempt id in the path ties
/// each request to its attempt even before Telnyx's <c>call_control_id</c> is known to us.
/// </summary>
public static class TelnyxUrls
{
    /// <summary>Route prefix of the webhooks, relative to the public base URL.</summary>
    public const string Prefix = "/providers/telnyx/calls";

    /// <summary>Route prefix of the Conversation Relay WebSocket, relative to the public base URL.</summary>
    public const string RelayPrefix = "/providers/telnyx/relay";

    /// <summary><c>{base}/providers/telnyx/calls/{attemptId}/events</c>: the dial's <c>webhook_url</c> (all the call's events, POST JSON).</summary>
    public static string Events(string publicBaseUrl, string attemptId) =>
        $"{publicBaseUrl.TrimEnd('/')}{Prefix}/{Uri.EscapeDataString(attemptId)}/events";

    /// <summary>
    /// <c>wss://{base host and path}/providers/telnyx/relay/{attemptId}/{token}</c>: the WebSocket Telnyx's Conversation Relay
    /// opens for the attempt. Telnyx does not sign the WebSocket upgrade, so the URL carries <see cref="RelayToken"/>, which
    /// only this server can compute; the scheme follows <see cref="TwilioUrls.WebSocketBase"/> (https → wss, http → ws).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="publicBaseUrl"/> is not an absolute http(s) URL.</exception>
    public static string Relay(string publicBaseUrl, string attemptId, string apiKey) =>
        $"{TwilioUrls.WebSocketBase(publicBaseUrl)}{RelayPrefix}/{Uri.EscapeDataString(attemptId)}/{RelayToken(apiKey, attemptId)}";

    /// <summary>
    /// The relay URL's token for <paramref name="attemptId"/>: base64url (no padding) of HMAC-SHA256 keyed with the API key
    /// (<c>Outdial:Telnyx:ApiKey</c>, a secret only this server and Telnyx hold) over <c>relay:{attemptId}</c>. 43 characters.
    /// </summary>
    public static string RelayToken(string apiKey, string attemptId)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiKey), Encoding.UTF8.GetBytes("relay:" + attemptId));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>True when <paramref name="token"/> is <see cref="RelayToken"/> for the attempt (constant-time); false for an empty key.</summary>
    public static bool IsValidRelayToken(string apiKey, string attemptId, string? token) =>
        !string.IsNullOrEmpty(apiKey) && !string.IsNullOrEmpty(token)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(RelayToken(apiKey, attemptId)), Encoding.ASCII.GetBytes(token));

    /// <summary>The dial's <c>client_state</c>: base64 of the UTF-8 attempt id (Telnyx requires base64; it echoes it on every event).</summary>
    public static string ClientState(string attemptId) => Convert.ToBase64String(Encoding.UTF8.GetBytes(attemptId));
}
