using System.Security.Cryptography;

namespace Outdial.Core.Common;

/// <summary>
/// Creates public identifiers: a type prefix, an underscore and 26 Crockford base-32 characters
/// laid out like a ULID (48-bit Unix-millisecond timestamp, then 80 random bits), so ids sort by
/// creation time. Cursor pagination relies on that order.
/// </summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    private static readonly System.Buffers.SearchValues<char> AlphabetChars = System.Buffers.SearchValues.Create(Alphabet);

    /// <summary>Returns e.g. <c>call_01jd3x...</c>; <paramref name="now"/> is UTC wall-clock time.</summary>
    public static string New(string prefix, DateTimeOffset now) => Encode(prefix, now, random: true);

    /// <summary>
    /// The lowest id <see cref="New"/> can make at <paramref name="at"/> (UTC; random part all zero): every id made at or after
    /// that millisecond sorts above or equal to it, so it bounds a range query by time.
    /// </summary>
    public static string LowestAt(string prefix, DateTimeOffset at) => Encode(prefix, at, random: false);

    private static string Encode(string prefix, DateTimeOffset now, bool random)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        var ms = (ulong)Math.Max(0, now.ToUnixTimeMilliseconds());
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(ms & 0xff);
            ms >>= 8;
        }
        if (random)
        {
            RandomNumberGenerator.Fill(bytes[6..]);
        }
        Span<char> chars = stackalloc char[26];
        // 128 bits -> 26 base-32 digits (the first digit carries only 3 bits).
        var hi = ((ulong)bytes[0] << 56) | ((ulong)bytes[1] << 48) | ((ulong)bytes[2] << 40) | ((ulong)bytes[3] << 32)
               | ((ulong)bytes[4] << 24) | ((ulong)bytes[5] << 16) | ((ulong)bytes[6] << 8) | bytes[7];
        var lo = ((ulong)bytes[8] << 56) | ((ulong)bytes[9] << 48) | ((ulong)bytes[10] << 40) | ((ulong)bytes[11] << 32)
               | ((ulong)bytes[12] << 24) | ((ulong)bytes[13] << 16) | ((ulong)bytes[14] << 8) | bytes[15];
        var value = new UInt128(hi, lo);
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return string.Concat(prefix, "_", chars);
    }

    /// <summary>Extra base-32 characters of <see cref="NewSecret"/>: 9 × 5 = 45 random bits.</summary>
    private const int SecretExtraChars = 9;

    /// <summary>
    /// An id that is also a bearer secret: <see cref="New"/>'s 26 characters (time-ordered, 80 random bits) followed by 9 more
    /// random base-32 characters, 125 random bits in all (at least the 122 of a version-4 UUID, RFC 9562 §5.4), so it cannot
    /// be guessed and still sorts by creation time. E.g. <c>call_01jd3x…</c> of 35 characters after the prefix.
    /// </summary>
    public static string NewSecret(string prefix, DateTimeOffset now) =>
        New(prefix, now) + RandomNumberGenerator.GetString(Alphabet, SecretExtraChars);

    /// <summary>True when <paramref name="id"/> has the shape of a <see cref="NewSecret"/> id with <paramref name="prefix"/>.</summary>
    public static bool IsSecret(string id, string prefix) =>
        id.Length == prefix.Length + 1 + 26 + SecretExtraChars && id.StartsWith(prefix + "_", StringComparison.Ordinal)
        && !id.AsSpan(prefix.Length + 1).ContainsAnyExcept(AlphabetChars);
}
