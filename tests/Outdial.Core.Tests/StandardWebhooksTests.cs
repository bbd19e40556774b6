using System.Security.Cryptography;
using System.Text;
using Outdial.Core.Webhooks;

namespace Outdial.Core.Tests;

public class StandardWebhooksTests
{
    // The Standard Webhooks reference libraries' test vector.
    private const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long VectorTimestamp = 1614265330;
    private const string VectorBody = "{\"test\": 2432232314}";
    private const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    // A per-call secret as users give it (the aicaller seed's example); it is used raw, not base64-decoded.
    private const string RawSecret = "NjUyOTgwMjkpJU0NmY25yzWkJFWDBE12";

    private static readonly DateTimeOffset VectorNow = DateTimeOffset.FromUnixTimeSeconds(VectorTimestamp);

    [Fact]
    public void Sign_ReferenceVector_MatchesTheSpecLibrariesExactly()
    {
        Assert.Equal(VectorSignature, WebhookSignature.Sign(VectorSecret, VectorId, VectorTimestamp, VectorBody));
    }

    [Fact]
    public void Verify_ReferenceVector_AtItsTimestamp_IsTrue()
    {
        Assert.True(WebhookSignature.Verify(VectorSecret, VectorId, VectorTimestamp, VectorBody, VectorSignature, VectorNow));
    }

    [Fact]
    public void Sign_RawSecret_MatchesNpmPackageWithRawFormat()
    {
        // Produced by standardwebhooks 1.1.1: new Webhook(RawSecret, { format: "raw" }).sign(...).
        Assert.Equal("v1,j0pMqvVmM19wY+ICjcFB7PhSDG9lhhRAPyWmZu8GmcY=", WebhookSignature.Sign(RawSecret, VectorId, VectorTimestamp, VectorBody));
    }

    [Fact]
    public void Sign_NonAsciiBody_IsSignedAsUtf8()
    {
        // Produced by standardwebhooks 1.1.1 with the vector secret.
        Assert.Equal("v1,PKIWAKKeqwIb/hKFHwh/PrTPS67u9NIinZasa1U52Oc=",
            WebhookSignature.Sign(VectorSecret, VectorId, VectorTimestamp, "{\"name\": \"Zoë ☎\"}"));
    }

    [Fact]
    public void Generate_IsWhsecPrefixedBase64Of32Bytes()
    {
        var secret = WebhookSecrets.Generate();
        Assert.StartsWith(WebhookSecrets.Prefix, secret, StringComparison.Ordinal);
        Assert.Equal(50, secret.Length);
        Assert.Equal(32, Convert.FromBase64String(secret[WebhookSecrets.Prefix.Length..]).Length);
        Assert.True(WebhookSecrets.IsStandard(secret));
        Assert.Equal(32, WebhookSecrets.KeyOf(secret).Length);
    }

    [Fact]
    public void Generate_ReturnsADifferentSecretEachTime()
    {
        var secrets = Enumerable.Range(0, 100).Select(_ => WebhookSecrets.Generate()).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(100, secrets.Count);
    }

    [Theory]
    [InlineData(VectorSecret, true)] // exactly 24 bytes
    [InlineData("whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", true)] // 32 bytes
    [InlineData("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", false)] // 22 bytes: below the spec's minimum
    [InlineData("whsec_not base64 at all!!!!!!!!!!!!!", false)]
    [InlineData("whsec_", false)]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false)] // valid base64 but no prefix: a raw secret here
    [InlineData(RawSecret, false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsStandard_RequiresPrefixAndBase64OfAtLeast24Bytes(string? secret, bool expected)
    {
        Assert.Equal(expected, WebhookSecrets.IsStandard(secret));
    }

    [Fact]
    public void KeyOf_WhsecSecret_IsTheDecodedBase64()
    {
        Assert.Equal(Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), WebhookSecrets.KeyOf(VectorSecret));
    }

    [Fact]
    public void KeyOf_RawSecret_IsItsUtf8Bytes_EvenWhenItLooksLikeBase64()
    {
        Assert.Equal(Encoding.UTF8.GetBytes(RawSecret), WebhookSecrets.KeyOf(RawSecret));
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(RawSecret), Encoding.UTF8.GetBytes($"{VectorId}.{VectorTimestamp}.{VectorBody}")));
        Assert.Equal(expected, WebhookSignature.Sign(RawSecret, VectorId, VectorTimestamp, VectorBody));
    }

    [Theory]
    [InlineData("whsec_")]
    [InlineData("whsec_abc")]
    [InlineData("whsec_!!!!")]
    [InlineData("whsec_MfKQ9r8GKYqr TwjUPD8ILPZIo2LaLaSw")]
    public void KeyOf_MalformedWhsecSecret_ThrowsFormatException(string secret)
    {
        var error = Assert.Throws<FormatException>(() => WebhookSecrets.KeyOf(secret));
        Assert.Contains("whsec_", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyOf_EmptySecret_Throws()
    {
        Assert.Throws<ArgumentException>(() => WebhookSecrets.KeyOf(""));
    }

    [Fact]
    public void Sign_MessageIdWithADot_Throws()
    {
        Assert.Throws<ArgumentException>(() => WebhookSignature.Sign(VectorSecret, "msg.1", VectorTimestamp, VectorBody));
    }

    [Fact]
    public void Header_TwoSecrets_GivesTwoSpaceSeparatedSignaturesEachVerifying()
    {
        var oldSecret = WebhookSecrets.Generate();
        var newSecret = WebhookSecrets.Generate();
        var header = WebhookSignature.Header([oldSecret, newSecret], VectorId, VectorTimestamp, VectorBody);

        var parts = header.Split(' ');
        Assert.Equal(2, parts.Length);
        Assert.Equal(WebhookSignature.Sign(oldSecret, VectorId, VectorTimestamp, VectorBody), parts[0]);
        Assert.Equal(WebhookSignature.Sign(newSecret, VectorId, VectorTimestamp, VectorBody), parts[1]);
        Assert.True(WebhookSignature.Verify(oldSecret, VectorId, VectorTimestamp, VectorBody, header, VectorNow));
        Assert.True(WebhookSignature.Verify(newSecret, VectorId, VectorTimestamp, VectorBody, header, VectorNow));
        Assert.False(WebhookSignature.Verify(WebhookSecrets.Generate(), VectorId, VectorTimestamp, VectorBody, header, VectorNow));
    }

    [Fact]
    public void Header_NoSecrets_Throws()
    {
        Assert.Throws<ArgumentException>(() => WebhookSignature.Header([], VectorId, VectorTimestamp, VectorBody));
    }

    [Fact]
    public void Verify_TamperedBody_IsFalse()
    {
        Assert.False(WebhookSignature.Verify(VectorSecret, VectorId, VectorTimestamp, "{\"test\": 2432232315}", VectorSignature, VectorNow));
    }

    [Fact]
    public void Verify_WrongId_IsFalse()
    {
        Assert.False(WebhookSignature.Verify(VectorSecret, "msg_p5jXN8AQM9LWM0D4loKWxJeK", VectorTimestamp, VectorBody, VectorSignature, VectorNow));
    }

    [Fact]
    public void Verify_WrongSecret_IsFalse()
    {
        Assert.False(WebhookSignature.Verify(WebhookSecrets.Generate(), VectorId, VectorTimestamp, VectorBody, VectorSignature, VectorNow));
    }

    [Fact]
    public void Verify_SameKeyAsRawInsteadOfWhsec_IsFalse()
    {
        // "MfKQ..." without the prefix is a raw secret here: a different key from the vector's.
        Assert.False(WebhookSignature.Verify("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", VectorId, VectorTimestamp, VectorBody, VectorSignature, VectorNow));
    }

    [Theory]
    [InlineData(-300, true)]
    [InlineData(300, true)]
    [InlineData(-301, false)]
    [InlineData(301, false)]
    public void Verify_TimestampWindow_IsFiveMinutesEitherSideInclusive(int nowOffsetSeconds, bool expected)
    {
        var now = VectorNow.AddSeconds(nowOffsetSeconds);
        Assert.Equal(expected, WebhookSignature.Verify(VectorSecret, VectorId, VectorTimestamp, VectorBody, VectorSignature, now));
    }

    [Fact]
    public void Verify_CustomTolerance_IsApplied()
    {
        var now = VectorNow.AddSeconds(61);
        Assert.False(WebhookSignature.Verify(VectorSecret, VectorId, VectorTimestamp, VectorBody, VectorSignature, now, TimeSpan.FromMinutes(1)));
        Assert.True(WebhookSignature.Verify(VectorSecret, VectorId, VectorTimestamp, VectorBody, VectorSignature, now, TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void Verify_ExtremeTimestamps_AreFalseWithoutOverflow()
    {
        Assert.False(WebhookSignature.Verify(VectorSecret, VectorId, long.MinValue, VectorBody, VectorSignature, VectorNow));
        Assert.False(WebhookSignature.Verify(VectorSecret, VectorId, long.MaxValue, VectorBody, VectorSignature, VectorNow));
    }

    [Theory]
    [InlineData("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")] // asymmetric tag: not ours
    [InlineData("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")] // no version
    [InlineData("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE")] // truncated
    [InlineData("")]
    public void Verify_OnlyExactV1EntriesCount(string header)
    {
        Assert.False(WebhookSignature.Verify(VectorSecret, VectorId, VectorTimestamp, VectorBody, header, VectorNow));
    }

    [Fact]
    public void Verify_MatchingV1EntryAmongOthers_IsTrue()
    {
        var header = "v1a,aGVsbG8= v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=  " + VectorSignature;
        Assert.True(WebhookSignature.Verify(VectorSecret, VectorId, VectorTimestamp, VectorBody, header, VectorNow));
    }
}
