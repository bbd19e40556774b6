using System.Globalization;
using System.Text;
using NSec.Cryptography;

namespace Outdial.Telephony.Telnyx;

/// <summary>
/// Telnyx's webhook signatures (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks § "Webhook
/// signing"; the official libraries' <c>webhooks.unwrap</c>/<c>constructEvent</c>): header <c>telnyx-signature-ed25519</c>
/// is base64 of the Ed25519 signature, by the account's key, of the UTF-8 bytes <c>{telnyx-timestamp}|{raw body}</c>;
/// <c>telnyx-timestamp</c> is Unix seconds and must be within <see cref="Tolerance"/> of our clock (replay protection).
/// Ed25519 is NSec's (libsodium).
/// </summary>
public static class TelnyxSignature
{
    /// <summary>Header with the base64 signature.</summary>
    public const string SignatureHeader = "telnyx-signature-ed25519";

    /// <summary>Header with the signing time, Unix seconds.</summary>
    public const string TimestampHeader = "telnyx-timestamp";

    /// <summary>How far the timestamp may be from our clock, either way (300 s, as the official libraries).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    /// <summary>True when <paramref name="base64"/> is base64 of a 32-byte Ed25519 public key; <paramref name="key"/> is then it.</summary>
    public static bool TryParsePublicKey(string? base64, out PublicKey? key)
    {
        key = null;
        var bytes = new byte[64];
        if (string.IsNullOrWhiteSpace(base64) || !Convert.TryFromBase64String(base64.Trim(), bytes, out var n) || n != 32)
        {
            return false;
        }
        return PublicKey.TryImport(SignatureAlgorithm.Ed25519, bytes.AsSpan(0, 32), KeyBlobFormat.RawPublicKey, out key);
    }

    /// <summary>
    /// True when <paramref name="signature"/> (base64, 64 bytes) signs <c>{timestamp}|{body}</c> with the key whose base64
    /// is <paramref name="publicKey"/>, and <paramref name="timestamp"/> (Unix seconds, digits only) is within
    /// <see cref="Tolerance"/> of <paramref name="now"/>. False — never an exception — for anything missing, malformed,
    /// stale or forged, and for an unusable key (an unconfigured key must not accept everything).
    /// </summary>
    public static bool IsValid(string? publicKey, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (!TryParsePublicKey(publicKey, out var key) || string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return false;
        }
        var sig = new byte[96];
        if (!Convert.TryFromBase64String(signature.Trim(), sig, out var length) || length != 64)
        {
            return false;
        }
        var prefix = Encoding.UTF8.GetBytes(timestamp + "|");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return SignatureAlgorithm.Ed25519.Verify(key!, signed, sig.AsSpan(0, 64));
    }
}
