using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Outdial.Core.Webhooks;

/// <summary>
/// The three HTTP headers of a Standard Webhooks delivery (Standard Webhooks spec 1.0.0, "Webhook headers").
/// Header names are lower case as written in the spec; HTTP treats them case-insensitively.
/// </summary>
public static class WebhookHeaders
{
    /// <summary><c>webhook-id</c>: the message id, identical across retries of one event (the receiver's idempotency key).</summary>
    public const string Id = "webhook-id";

    /// <summary><c>webhook-timestamp</c>: the attempt time as integer Unix seconds (decimal text), renewed on every retry.</summary>
    public const string Timestamp = "webhook-timestamp";

    /// <summary><c>webhook-signature</c>: space-separated <c>v1,&lt;base64&gt;</c> signatures, one per active secret.</summary>
    public const string Signature = "webhook-signature";
}

/// <summary>
/// Webhook signing secrets in the two formats a receiver may hold (Standard Webhooks spec 1.0.0, "Signature scheme"):
/// the standard <c>whsec_&lt;base64&gt;</c> form, whose HMAC key is the decoded bytes, and the "raw" form used for
/// secrets a user supplies per call, whose HMAC key is the string's UTF-8 bytes.
/// </summary>
public static class WebhookSecrets
{
    /// <summary>The prefix that marks a standard, base64-serialised symmetric secret.</summary>
    public const string Prefix = "whsec_";

    /// <summary>Fewest key bytes a standard secret may have (spec: "at least 24 bytes (192 bits)").</summary>
    public const int MinimumKeyBytes = 24;

    private const int GeneratedKeyBytes = 32;

    /// <summary>
    /// A new standard secret: <c>whsec_</c> followed by the base64 (with padding) of 32 bytes from
    /// <see cref="RandomNumberGenerator"/>, 50 characters in all.
    /// </summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(GeneratedKeyBytes));

    /// <summary>
    /// The HMAC-SHA256 key of <paramref name="secret"/>.
    /// <c>whsec_&lt;base64&gt;</c> yields the decoded bytes (any non-empty length is accepted here, as the reference
    /// libraries do; <see cref="IsStandard"/> checks the 24-byte minimum). Any other string is a raw secret and yields
    /// its UTF-8 bytes — receivers using the npm <c>standardwebhooks</c> package must construct
    /// <c>new Webhook(secret, { format: "raw" })</c>, and interoperate only while the raw secret is ASCII (that package
    /// keeps the low byte of each UTF-16 code unit rather than encoding UTF-8).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="secret"/> is empty.</exception>
    /// <exception cref="FormatException">The secret starts with <c>whsec_</c> but the rest is empty, contains whitespace or is not valid base64.</exception>
    public static byte[] KeyOf(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return Encoding.UTF8.GetBytes(secret);
        }
        return TryDecode(secret.AsSpan(Prefix.Length), out var key)
            ? key
            : throw new FormatException($"A webhook secret starting with '{Prefix}' must continue with non-empty standard base64 (no whitespace).");
    }

    /// <summary>True when <paramref name="secret"/> is <c>whsec_</c> followed by valid base64 of at least <see cref="MinimumKeyBytes"/> bytes.</summary>
    public static bool IsStandard(string? secret) =>
        secret is not null
        && secret.StartsWith(Prefix, StringComparison.Ordinal)
        && TryDecode(secret.AsSpan(Prefix.Length), out var key)
        && key.Length >= MinimumKeyBytes;

    private static bool TryDecode(ReadOnlySpan<char> base64, out byte[] key)
    {
        key = [];
        // Convert skips whitespace; the reference decoders reject it, so this does too.
        if (base64.IsEmpty || base64.ContainsAny(" \t\r\n"))
        {
            return false;
        }
        var buffer = new byte[base64.Length * 3 / 4];
        if (!Convert.TryFromBase64Chars(base64, buffer, out var written) || written == 0)
        {
            return false;
        }
        key = buffer[..written];
        return true;
    }
}

/// <summary>
/// Symmetric Standard Webhooks signatures (spec 1.0.0, "Signature scheme" and "Verifying signatures"):
/// <c>v1,</c> + base64 HMAC-SHA256 over the UTF-8 bytes of <c>{msgId}.{timestampSec}.{body}</c>.
/// This is the one place that signs and verifies webhooks.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The version tag of a symmetric (HMAC-SHA256) signature.</summary>
    public const string Version = "v1";

    /// <summary>The replay window the reference libraries apply when none is given: 5 minutes either side of now.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <c>v1,&lt;base64 HMAC-SHA256(key, "{msgId}.{timestampSec}.{body}")&gt;</c>, e.g.
    /// <c>v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=</c>.
    /// </summary>
    /// <param name="secret">A <c>whsec_</c> or raw secret (see <see cref="WebhookSecrets.KeyOf"/>).</param>
    /// <param name="msgId">The <c>webhook-id</c> value; must be non-empty and contain no <c>.</c> (spec: ids must not be able to shift the delimiters).</param>
    /// <param name="timestampSec">The <c>webhook-timestamp</c> value in Unix seconds.</param>
    /// <param name="body">The exact body sent; it is signed as UTF-8, byte for byte.</param>
    /// <exception cref="ArgumentException">An empty secret, or an empty or dotted <paramref name="msgId"/>.</exception>
    /// <exception cref="FormatException">A malformed <c>whsec_</c> secret.</exception>
    public static string Sign(string secret, string msgId, long timestampSec, string body)
    {
        ArgumentException.ThrowIfNullOrEmpty(msgId);
        if (msgId.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException("A webhook message id must not contain '.'.", nameof(msgId));
        }
        return Version + "," + Convert.ToBase64String(Mac(WebhookSecrets.KeyOf(secret), msgId, timestampSec, body));
    }

    /// <summary>
    /// The <c>webhook-signature</c> header value: one <see cref="Sign"/> result per secret, in the given order,
    /// separated by single spaces (during a rotation the old and new secrets are both active).
    /// </summary>
    /// <exception cref="ArgumentException">No secrets, or any argument <see cref="Sign"/> refuses.</exception>
    /// <exception cref="FormatException">A malformed <c>whsec_</c> secret.</exception>
    public static string Header(IEnumerable<string> secrets, string msgId, long timestampSec, string body)
    {
        var signatures = secrets.Select(s => Sign(s, msgId, timestampSec, body)).ToList();
        return signatures.Count > 0
            ? string.Join(' ', signatures)
            : throw new ArgumentException("At least one webhook secret is needed to sign.", nameof(secrets));
    }

    /// <summary>
    /// True when <paramref name="timestampSec"/> is within <paramref name="tolerance"/> (inclusive, default
    /// <see cref="DefaultTolerance"/>) of <paramref name="now"/> in either direction, and some <c>v1,</c> entry of the
    /// space-separated <paramref name="signatureHeader"/> equals the signature of <paramref name="secret"/>, compared in
    /// constant time. Entries of other versions (e.g. <c>v1a</c>) are ignored. An empty or dotted id is never valid.
    /// </summary>
    /// <exception cref="ArgumentException">An empty secret.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative <paramref name="tolerance"/>.</exception>
    /// <exception cref="FormatException">A malformed <c>whsec_</c> secret (a configuration error, not a verdict on the request).</exception>
    public static bool Verify(string secret, string msgId, long timestampSec, string body, string signatureHeader, DateTimeOffset now, TimeSpan? tolerance = null)
    {
        var window = tolerance ?? DefaultTolerance;
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero, nameof(tolerance));
        var key = WebhookSecrets.KeyOf(secret);
        if (string.IsNullOrEmpty(msgId) || msgId.Contains('.', StringComparison.Ordinal) || string.IsNullOrEmpty(signatureHeader))
        {
            return false;
        }
        var nowSec = now.ToUnixTimeSeconds();
        var windowSec = window.Ticks / TimeSpan.TicksPerSecond;
        // Written as bounds on timestampSec so that no input can overflow (nowSec and windowSec are both far from long's limits).
        if (timestampSec < nowSec - windowSec || timestampSec > nowSec + windowSec)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Convert.ToBase64String(Mac(key, msgId, timestampSec, body)));
        var matched = false;
        foreach (var entry in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = entry.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || !entry.AsSpan(0, comma).SequenceEqual(Version))
            {
                continue;
            }
            // Compare the base64 text, as the reference libraries do; FixedTimeEquals returns early only on a length mismatch.
            matched |= CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(entry[(comma + 1)..]));
        }
        return matched;
    }

    private static byte[] Mac(byte[] key, string msgId, long timestampSec, string body) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{msgId}.{timestampSec}.{body}")));
}
