namespace Outdial.Telephony.Twilio;

/// <summary>
/// Twilio settings (configuration section <c>Outdial:Twilio</c>; environment <c>Outdial__Twilio__AccountSid</c>,
/// <c>Outdial__Twilio__AuthToken</c>, <c>Outdial__Twilio__BaseUrl</c>, ...). The provider is registered only when
/// <see cref="AccountSid"/> is set; the values are then validated at start (<see cref="Problems"/>).
/// </summary>
public sealed class TwilioOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Outdial:Twilio";

    /// <summary>The account SID: <c>AC</c> + 32 hex digits (Twilio "Account resource"). Part of every REST path.</summary>
    public string AccountSid { get; set; } = "";

    /// <summary>
    /// The account's auth token. Authenticates REST requests unless an API key is set, and is always the key of the
    /// HMAC-SHA1 in <c>X-Twilio-Signature</c> on Twilio's callbacks (Twilio "Webhooks security"). Never logged.
    /// </summary>
    public string AuthToken { get; set; } = "";

    /// <summary>Optional API key SID (<c>SK...</c>); with <see cref="ApiKeySecret"/> it replaces AccountSid:AuthToken as the Basic credentials.</summary>
    public string? ApiKeySid { get; set; }

    /// <summary>Secret of <see cref="ApiKeySid"/>; both or neither must be set. Never logged.</summary>
    public string? ApiKeySecret { get; set; }

    /// <summary>Absolute http(s) base of the REST API, default <c>https://api.twilio.com</c>; tests point it at a mock.</summary>
    public string BaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>Calls per second the Twilio account accepts (Twilio's default CPS is 1); &gt; 0.</summary>
    public double CallsPerSecond { get; set; } = 1;

    /// <summary>Time allowed for one HTTP exchange with Twilio (default 15 s); past it the outcome is unknown and the caller throws.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How many times a request answered with HTTP 429 is repeated (default 3; 0 = never). Twilio: "429 Too Many Requests".</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Longest wait between two tries after a 429 (default 30 s); a longer <c>Retry-After</c> is cut to it.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The user name and password of HTTP Basic authentication: the API key pair when set, else AccountSid and AuthToken.</summary>
    public (string User, string Password) BasicCredentials =>
        string.IsNullOrEmpty(ApiKeySid) ? (AccountSid, AuthToken) : (ApiKeySid, ApiKeySecret ?? "");

    /// <summary>What is wrong with these settings, one message per problem; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!AccountSid.StartsWith("AC", StringComparison.Ordinal) || AccountSid.Length != 34)
        {
            problems.Add("Outdial:Twilio:AccountSid must be a Twilio account SID (AC followed by 32 hex digits).");
        }
        if (string.IsNullOrWhiteSpace(AuthToken))
        {
            problems.Add("Outdial:Twilio:AuthToken is required (it also verifies Twilio's callback signatures).");
        }
        if (string.IsNullOrEmpty(ApiKeySid) != string.IsNullOrEmpty(ApiKeySecret))
        {
            problems.Add("Outdial:Twilio:ApiKeySid and Outdial:Twilio:ApiKeySecret must be set together.");
        }
        if (!IsAbsoluteHttpUrl(BaseUrl))
        {
            problems.Add("Outdial:Twilio:BaseUrl must be an absolute http(s) URL.");
        }
        if (!(CallsPerSecond > 0) || !double.IsFinite(CallsPerSecond))
        {
            problems.Add("Outdial:Twilio:CallsPerSecond must be a positive number.");
        }
        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add("Outdial:Twilio:RequestTimeout must be positive.");
        }
        if (MaxRetries < 0 || MaxRetryDelay < TimeSpan.Zero)
        {
            problems.Add("Outdial:Twilio:MaxRetries and MaxRetryDelay must not be negative.");
        }
        return problems;
    }

    /// <summary>True when <paramref name="url"/> is an absolute <c>http</c> or <c>https</c> URL.</summary>
    public static bool IsAbsoluteHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
