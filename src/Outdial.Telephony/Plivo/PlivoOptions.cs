using Outdial.Telephony.Twilio;

namespace Outdial.Telephony.Plivo;

/// <summary>
/// Plivo settings (configuration section <c>Outdial:Plivo</c>; environment <c>Outdial__Plivo__AuthId</c>,
/// <c>Outdial__Plivo__AuthToken</c>, <c>Outdial__Plivo__BaseUrl</c>, <c>Outdial__Plivo__CallsPerSecond</c>). The provider is
/// registered only when <see cref="AuthId"/> is set; the values are then validated at start (<see cref="Problems"/>).
/// REST requests use HTTP Basic with the Auth ID and Auth Token, as Plivo's npm library does (<c>dist/rest/axios.js</c>).
/// </summary>
public sealed class PlivoOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Outdial:Plivo";

    /// <summary>The account's (or subaccount's) Auth ID, e.g. <c>MAXXXXXXXXXXXXXXXXXX</c>: letters and digits, part of every REST path.</summary>
    public string AuthId { get; set; } = "";

    /// <summary>
    /// The Auth Token of <see cref="AuthId"/>: the Basic password of REST requests and the HMAC-SHA256 key of
    /// <c>X-Plivo-Signature-V3</c> on Plivo's callbacks (<see cref="PlivoSignature"/>). Never logged.
    /// </summary>
    public string AuthToken { get; set; } = "";

    /// <summary>Absolute http(s) base of the REST API, default <c>https://api.plivo.com</c>; tests point it at a local server.</summary>
    public string BaseUrl { get; set; } = "https://api.plivo.com";

    /// <summary>
    /// Calls per second the Plivo account accepts (Plivo's default outbound limit is 2 per second per account, raised on
    /// request: https://www.plivo.com/docs/voice/concepts/account-limits); &gt; 0. The dispatcher paces Plivo dials below it,
    /// so no call waits in Plivo's own queue.
    /// </summary>
    public double CallsPerSecond { get; set; } = 2;

    /// <summary>Time allowed for one HTTP exchange with Plivo (default 15 s); past it the outcome is unknown and the caller throws.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>What is wrong with these settings, one message per problem; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (AuthId.Length == 0 || !AuthId.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add("Outdial:Plivo:AuthId must be the Plivo Auth ID (letters and digits, e.g. MA followed by 18 characters).");
        }
        if (string.IsNullOrWhiteSpace(AuthToken))
        {
            problems.Add("Outdial:Plivo:AuthToken is required (it also verifies Plivo's callback signatures).");
        }
        if (!TwilioOptions.IsAbsoluteHttpUrl(BaseUrl))
        {
            problems.Add("Outdial:Plivo:BaseUrl must be an absolute http(s) URL.");
        }
        if (!(CallsPerSecond > 0) || !double.IsFinite(CallsPerSecond))
        {
            problems.Add("Outdial:Plivo:CallsPerSecond must be a positive number.");
        }
        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add("Outdial:Plivo:RequestTimeout must be positive.");
        }
        return problems;
    }
}
