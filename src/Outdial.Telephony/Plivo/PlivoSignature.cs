using System.Security.Cryptography;
using System.Text;

namespace Outdial.Telephony.Plivo;

/// <summary>
/// Plivo's request signature, version 3 (<c>X-Plivo-Signature-V3</c> with <c>X-Plivo-Signature-V3-Nonce</c>; Plivo
/// "Validation" https://www.plivo.com/docs/voice/xml/request/validation, and the official npm library's
/// <c>validateV3Signature</c>, plivo 4.79.0 <c>dist/utils/v3Security.js</c>, which this follows step by step):
/// <list type="number">
/// <item>The base URL: <c>scheme://host[:port]/path</c> as requested (path still percent-encoded; user info and fragment
/// dropped), then the query string's parameters decoded, merged with a GET's parameters, sorted by name (ordinal) and each
/// name's values sorted, written <c>name=value</c> joined by <c>&amp;</c>; <c>?</c> and that string are appended when it is
/// not empty or, for a POST, when the POST has parameters; a POST with both a query and parameters appends a <c>.</c>.</item>
/// <item>For a POST, every POST parameter sorted the same way, written <c>namevalue</c> with no separator, is appended.</item>
/// <item>The signature is base64(HMAC-SHA256(auth token, base URL + <c>.</c> + nonce)), all UTF-8.</item>
/// </list>
/// The header may carry several signatures separated by commas (one per auth token Plivo holds); one matching is enough.
/// <c>X-Plivo-Signature-Ma-V3</c> (signed with the main account's token, for subaccounts) is not checked.
/// Comparison is in constant time. The npm library passes non-ASCII text through <c>utf8.encode</c> before Node encodes
/// it again, so for non-ASCII URLs or values it computes over doubly encoded bytes; Outdial encodes once (its callback URLs
/// are ASCII; Plivo's own parameters rarely are not).
/// </summary>
public static class PlivoSignature
{
    /// <summary>The request header that carries the signature(s).</summary>
    public const string Header = "X-Plivo-Signature-V3";

    /// <summary>The request header that carries the nonce signed with the URL.</summary>
    public const string NonceHeader = "X-Plivo-Signature-V3-Nonce";

    /// <summary>
    /// The base64 signature of a request with <paramref name="method"/> (<c>GET</c> or <c>POST</c>) at <paramref name="url"/>
    /// (absolute, as Plivo requested it, with its query string) carrying <paramref name="parameters"/> (the POSTed form, or a
    /// GET's extra parameters; repeated names allowed) and <paramref name="nonce"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="method"/> is neither GET nor POST, or <paramref name="url"/> is not absolute.</exception>
    public static string Compute(string authToken, string method, string url, IEnumerable<KeyValuePair<string, string>> parameters, string nonce)
    {
        var baseUrl = method switch
        {
            "GET" => GetUrl(url, parameters, emptyPost: true),
            "POST" => PostUrl(url, [.. parameters]),
            _ => throw new ArgumentException($"Plivo signs GET and POST requests only, not {method}.", nameof(method)),
        };
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(baseUrl + "." + nonce));
        return Convert.ToBase64String(mac);
    }

    /// <summary>
    /// True when one of the comma-separated signatures in <paramref name="headerValue"/> is <see cref="Compute"/>'s for this
    /// request. False — never an exception — for an empty header, nonce or auth token (an unconfigured secret must not
    /// accept everything), another method than GET or POST, or a URL that is not an absolute http(s) URL.
    /// </summary>
    public static bool IsValid(string authToken, string method, string url, IEnumerable<KeyValuePair<string, string>> parameters, string? nonce,
        string? headerValue)
    {
        if (string.IsNullOrEmpty(authToken) || string.IsNullOrEmpty(nonce) || string.IsNullOrEmpty(headerValue)
            || method is not ("GET" or "POST")
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Compute(authToken, method, url, parameters, nonce));
        var matched = false;
        foreach (var candidate in headerValue.Split(','))
        {
            matched |= CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(candidate));
        }
        return matched;
    }

    private static string PostUrl(string url, List<KeyValuePair<string, string>> form)
    {
        var signed = new StringBuilder(GetUrl(url, [], emptyPost: form.Count == 0));
        foreach (var (name, values) in Sorted(form))
        {
            foreach (var value in values)
            {
                signed.Append(name).Append(value);
            }
        }
        return signed.ToString();
    }

    private static string GetUrl(string url, IEnumerable<KeyValuePair<string, string>> parameters, bool emptyPost)
    {
        var uri = new Uri(url, UriKind.Absolute);
        var raw = url;
        var cut = raw.IndexOfAny(['?', '#']);
        var beforeQuery = cut < 0 ? raw : raw[..cut];
        var query = cut >= 0 && raw[cut] == '?' ? raw[(cut + 1)..].Split('#')[0] : "";
        // scheme://host[:port] as written (user info dropped), then the path as written.
        var start = uri.Scheme.Length + 3;
        var authorityEnd = beforeQuery.IndexOf('/', start);
        var authority = authorityEnd < 0 ? beforeQuery[start..] : beforeQuery[start..authorityEnd];
        var path = authorityEnd < 0 ? "" : beforeQuery[authorityEnd..];
        var signed = $"{beforeQuery[..start]}{authority[(authority.LastIndexOf('@') + 1)..]}{path}";
        var pairs = ParseQuery(query).Concat(parameters).ToList();
        var sortedQuery = string.Join('&', Sorted(pairs).SelectMany(p => p.Values.Select(v => $"{p.Name}={v}")));
        if (sortedQuery.Length > 0 || !emptyPost)
        {
            signed += "?" + sortedQuery;
        }
        if (sortedQuery.Length > 0 && !emptyPost)
        {
            signed += ".";
        }
        return signed;
    }

    /// <summary>Names in ordinal order, each with its values in ordinal order (JavaScript's default sort on strings).</summary>
    private static IEnumerable<(string Name, List<string> Values)> Sorted(IEnumerable<KeyValuePair<string, string>> pairs) =>
        pairs.GroupBy(p => p.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Select(p => p.Value ?? "").Order(StringComparer.Ordinal).ToList()));

    /// <summary>Node's <c>querystring.parse</c>: pairs split on <c>&amp;</c> and <c>=</c>, <c>+</c> read as a space, percent-escapes decoded.</summary>
    private static IEnumerable<KeyValuePair<string, string>> ParseQuery(string query)
    {
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = Decode(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Decode(part[(eq + 1)..]);
            yield return new(name, value);
        }
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}
