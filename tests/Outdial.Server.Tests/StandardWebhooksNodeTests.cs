using System.Globalization;
using Outdial.Core.Common;
using Outdial.Core.Webhooks;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// Signatures made by <see cref="WebhookSignature"/> checked by the official <c>standardwebhooks</c> npm package, as a
/// receiver would. The package compares the timestamp with its own real clock, so these use the real time (not a fake
/// clock) and sign moments before verifying.
/// </summary>
public sealed class StandardWebhooksNodeTests
{
    // The aicaller seed's example of a per-call secret; it is used raw (its UTF-8 bytes are the key).
    private const string SeedRawSecret = "NjUyOTgwMjkpJU0NmY25yzWkJFWDBE12";

    private const string Body = """{"type":"call.completed","timestamp":"2026-03-08T07:15:42.123Z","data":{"call_id":"call_01jd3x","name":"Zoë","outcome":"answered"}}""";

    private static NodeCase Signed(string signingSecret, string receiverSecret, bool raw, string body = Body, IEnumerable<string>? headerSecrets = null)
    {
        var now = DateTimeOffset.UtcNow;
        var id = Ids.New("evt", now);
        var ts = now.ToUnixTimeSeconds();
        var signature = WebhookSignature.Header(headerSecrets ?? [signingSecret], id, ts, body);
        return new NodeCase(receiverSecret, raw, id, ts.ToString(CultureInfo.InvariantCulture), signature, body);
    }

    [Fact]
    public async Task GeneratedWhsecSecret_SignatureVerifiesWithNpmPackage()
    {
        var secret = WebhookSecrets.Generate();
        var verdicts = await StandardWebhooksNode.VerifyAsync([Signed(secret, secret, raw: false)]);
        Assert.Equal(new NodeVerdict(true, null), Assert.Single(verdicts));
    }

    [Fact]
    public async Task RawPerCallSecret_SignatureVerifiesWithNpmRawFormat()
    {
        var verdicts = await StandardWebhooksNode.VerifyAsync([Signed(SeedRawSecret, SeedRawSecret, raw: true)]);
        Assert.Equal(new NodeVerdict(true, null), Assert.Single(verdicts));
    }

    [Fact]
    public async Task RawPerCallSecret_ReceiverUsingDefaultBase64Format_IsRejected()
    {
        // The seed secret happens to be valid base64, so a receiver that forgets { format: "raw" } derives another key.
        var verdicts = await StandardWebhooksNode.VerifyAsync([Signed(SeedRawSecret, SeedRawSecret, raw: false)]);
        var verdict = Assert.Single(verdicts);
        Assert.False(verdict.Ok);
        Assert.Contains("No matching signature found", verdict.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotationHeader_VerifiesWithEachSecretSeparately()
    {
        var oldSecret = WebhookSecrets.Generate();
        var newSecret = WebhookSecrets.Generate();
        var header = Signed(oldSecret, oldSecret, raw: false, headerSecrets: [oldSecret, newSecret]);
        Assert.Equal(2, header.Signature.Split(' ').Length);

        var verdicts = await StandardWebhooksNode.VerifyAsync([header, header with { Secret = newSecret }]);

        Assert.Equal([new NodeVerdict(true, null), new NodeVerdict(true, null)], verdicts);
    }

    [Fact]
    public async Task TamperedBodyOrWrongSecret_IsRejectedByNpmPackage()
    {
        var secret = WebhookSecrets.Generate();
        var good = Signed(secret, secret, raw: false);
        var tampered = good with { Body = Body.Replace("answered", "voicemail", StringComparison.Ordinal) };
        var wrongSecret = good with { Secret = WebhookSecrets.Generate() };

        var verdicts = await StandardWebhooksNode.VerifyAsync([good, tampered, wrongSecret]);

        Assert.True(verdicts[0].Ok, verdicts[0].Error);
        Assert.All(verdicts.Skip(1), v =>
        {
            Assert.False(v.Ok);
            Assert.Contains("No matching signature found", v.Error, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task TimestampOlderThanFiveMinutes_IsRejectedByNpmPackage()
    {
        var secret = WebhookSecrets.Generate();
        var id = Ids.New("evt", DateTimeOffset.UtcNow);
        var stale = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        var signature = WebhookSignature.Sign(secret, id, stale, Body);

        var verdicts = await StandardWebhooksNode.VerifyAsync(
            [new NodeCase(secret, false, id, stale.ToString(CultureInfo.InvariantCulture), signature, Body)]);

        var verdict = Assert.Single(verdicts);
        Assert.False(verdict.Ok);
        Assert.Contains("Message timestamp too old", verdict.Error, StringComparison.Ordinal);
    }
}
