using System.Security.Cryptography;
using System.Text;

namespace Outdial.Telephony.Twilio;

/// <summary>
/// Twilio's request validation (<c>X-Twilio-Signature</c>), source: https://www.twilio.com/docs/usage/security
/// § "Validating Requests are coming from Twilio": base64(HMAC-SHA1(key = auth token as UTF-8, data = the full URL
/// Twilio requested, query string included, followed by every POST parameter sorted by name, each name immediately
/// followed by its value, no separators)). Mirrors the official npm library (<c>twilio</c> 6.2.0,
/// <c>lib/webhooks/webhooks.js</c>: <c>getExpectedTwilioSignature</c>, <c>validateRequest</c>) for form posts:
/// <list type="bullet">
/// <item>names sort by UTF-16 code unit (JavaScript's default <c>sort()</c>, i.e. <see cref="StringComparer.Ordinal"/>);</item>
/// <item>a name posted more than once contributes each distinct value once, values sorted the same way, each preceded
/// by the name (<c>toFormUrlEncodedParam</c> over an array);</item>
/// <item>validation accepts the URL as given with its port removed or with the scheme's default port added
/// (<c>removePort</c>/<c>addPort</c>), since Twilio may sign either form.</item>
/// </list>
/// Not mirrored: the library's last-resort retry with the URL re-serialised by WHATWG <c>new URL()</c> and Node's
/// legacy <c>querystring</c> (for back ends that signed a percent-escaped form of <c>'</c> and similar). Outdial
/// builds its callback URLs itself (<see cref="TwilioUrls"/>) from ids that need no escaping. The <c>bodySHA256</c>
/// scheme applies only to JSON bodies, which Twilio's voice callbacks do not send.
/// </summary>
public static class TwilioSignature
{
    /// <summary>The request header that carries the signature.</summary>
    public const string Header = "X-Twilio-Signature";

    /// <summary>
    /// The signature Twilio sends for a POST of <paramref name="form"/> to <paramref name="url"/>: base64 of the
    /// 20-byte HMAC-SHA1 (28 characters). Pass the URL exactly as Twilio requested it (scheme, host, optional port,
    /// path, query string); the form's pairs in any order, repeats allowed.
    /// </summary>
    /// <exception cref="ArgumentNullException">Any argument is null.</exception>
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(form);
        var data = new StringBuilder(url);
        foreach (var group in form.GroupBy(p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (var value in group.Select(p => p.Value ?? "").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                data.Append(group.Key).Append(value);
            }
        }
        // SHA-1 is Twilio's choice, not ours: the header is defined as HMAC-SHA1 (HMAC does not rely on SHA-1's collision resistance).
#pragma warning disable CA5350
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
#pragma warning restore CA5350
        return Convert.ToBase64String(mac);
    }

    /// <summary>
    /// True when <paramref name="headerValue"/> is the signature of <paramref name="form"/> posted to
    /// <paramref name="url"/>, to the URL without its port, or to it with the scheme's default port (443 for https,
    /// 80 otherwise) added. Compared in constant time. A null or empty header is never valid; an empty auth token
    /// is never valid (an unconfigured secret must not accept everything).
    /// </summary>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form, string? headerValue)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(form);
        if (string.IsNullOrEmpty(authToken) || string.IsNullOrEmpty(headerValue))
        {
            return false;
        }
        var pairs = form as IReadOnlyCollection<KeyValuePair<string, string>> ?? form.ToList();
        var presented = Encoding.UTF8.GetBytes(headerValue);
        var valid = false;
        foreach (var candidate in new[] { RemovePort(url), AddPort(url) }.Distinct(StringComparer.Ordinal))
        {
            var expected = Encoding.UTF8.GetBytes(Compute(authToken, candidate, pairs));
            // Lengths are fixed by the algorithm (28 characters), not secret; FixedTimeEquals answers false on a mismatch.
            valid |= CryptographicOperations.FixedTimeEquals(presented, expected);
        }
        return valid;
    }

    /// <summary>The URL with the scheme's default port inserted when it has no port (npm <c>addPort</c>).</summary>
    internal static string AddPort(string url)
    {
        if (Split(url) is not { } p || p.Port.Length > 0)
        {
            return url;
        }
        var port = p.Scheme.Equals("https://", StringComparison.OrdinalIgnoreCase) ? ":443" : ":80";
        return p.Scheme + p.UserInfo + p.Host + port + p.Rest;
    }

    /// <summary>The URL without its port, if any (npm <c>removePort</c>).</summary>
    internal static string RemovePort(string url) =>
        Split(url) is { } p ? p.Scheme + p.UserInfo + p.Host + p.Rest : url;

    private sealed record UrlParts(string Scheme, string UserInfo, string Host, string Port, string Rest);

    /// <summary>npm <c>splitUrl</c>: <c>^([a-z][a-z0-9+.-]*://)([^/?#]*)</c>, without normalising anything.</summary>
    private static UrlParts? Split(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 1 || !char.IsAsciiLetter(url[0]) || !url.AsSpan(1, schemeEnd - 1).ContainsOnlyValidSchemeChars())
        {
            return null;
        }
        var scheme = url[..(schemeEnd + 3)];
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], scheme.Length);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }
        var authority = url[scheme.Length..authorityEnd];
        var userInfoEnd = authority.LastIndexOf('@');
        var hostAndPort = authority[(userInfoEnd + 1)..];
        // A colon starts the port only after the closing bracket of an IPv6 literal.
        var portStart = hostAndPort.IndexOf(':', hostAndPort.LastIndexOf(']') + 1);
        return new UrlParts(
            scheme,
            authority[..(userInfoEnd + 1)],
            portStart < 0 ? hostAndPort : hostAndPort[..portStart],
            portStart < 0 ? "" : hostAndPort[portStart..],
            url[authorityEnd..]);
    }

    private static bool ContainsOnlyValidSchemeChars(this ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '.' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
