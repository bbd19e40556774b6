namespace Outdial.Telephony.Telnyx;

/// <summary>
/// Telnyx settings (configuration section <c>Outdial:Telnyx</c>; environment <c>Outdial__Telnyx__ApiKey</c>,
/// <c>Outdial__Telnyx__PublicKey</c>, <c>Outdial__Telnyx__ConnectionId</c>, ...). The provider is registered only when
/// <see cref="ApiKey"/> is set; the values are then validated at start (<see cref="Problems"/>).
/// Source: Telnyx "Authentication" (https://developers.telnyx.com/docs/overview/authentication) and "Receiving webhooks"
/// (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks, Ed25519 signatures).
/// </summary>
public sealed class TelnyxOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Outdial:Telnyx";

    /// <summary>The API v2 key (<c>KEY...</c>), sent as <c>Authorization: Bearer</c>. Never logged.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>
    /// The account's public key for webhook signatures (Mission Control Portal → Keys &amp; Credentials → Public Key):
    /// base64 of the 32-byte Ed25519 public key. Verifies <c>telnyx-signature-ed25519</c> on every webhook.
    /// </summary>
    public string PublicKey { get; set; } = "";

    /// <summary>The Call Control Application id (<c>connection_id</c>) calls are dialed from; its outbound voice profile must allow the destinations.</summary>
    public string ConnectionId { get; set; } = "";

    /// <summary>Absolute http(s) base of the REST API, default <c>https://api.telnyx.com</c> (paths start with <c>/v2</c>); tests point it at a mock.</summary>
    public string BaseUrl { get; set; } = "https://api.telnyx.com";

    /// <summary>Calls per second the Telnyx account accepts (the outbound voice profile's limit; default 1); &gt; 0.</summary>
    public double CallsPerSecond { get; set; } = 1;

    /// <summary>Time allowed for one HTTP exchange with Telnyx (default 15 s); past it the outcome is unknown and the caller throws.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How many times a request answered with HTTP 429 is repeated (default 3; 0 = never).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Longest wait between two tries after a 429 (default 30 s); a longer <c>Retry-After</c> is cut to it.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What is wrong with these settings, one message per problem; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            problems.Add("Outdial:Telnyx:ApiKey is required.");
        }
        if (!TelnyxSignature.TryParsePublicKey(PublicKey, out _))
        {
            problems.Add("Outdial:Telnyx:PublicKey must be the base64 Ed25519 public key (32 bytes) from the Telnyx portal; it verifies webhook signatures.");
        }
        if (string.IsNullOrWhiteSpace(ConnectionId))
        {
            problems.Add("Outdial:Telnyx:ConnectionId is required (the Call Control Application id calls are dialed from).");
        }
        if (!Twilio.TwilioOptions.IsAbsoluteHttpUrl(BaseUrl))
        {
            problems.Add("Outdial:Telnyx:BaseUrl must be an absolute http(s) URL.");
        }
        if (!(CallsPerSecond > 0) || !double.IsFinite(CallsPerSecond))
        {
            problems.Add("Outdial:Telnyx:CallsPerSecond must be a positive number.");
        }
        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add("Outdial:Telnyx:RequestTimeout must be positive.");
        }
        if (MaxRetries < 0 || MaxRetryDelay < TimeSpan.Zero)
        {
            problems.Add("Outdial:Telnyx:MaxRetries and MaxRetryDelay must not be negative.");
        }
        return problems;
    }
}
