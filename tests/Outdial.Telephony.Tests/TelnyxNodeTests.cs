using System.Globalization;
using System.Text.Json.Nodes;
using NSec.Cryptography;
using Outdial.Core.Agents;
using Outdial.Core.Telephony;
using Outdial.Telephony.Telnyx;
using Outdial.Tests.Shared;

namespace Outdial.Telephony.Tests;

/// <summary>
/// Our Dial body and our webhook-signature verdicts against the official npm <c>telnyx</c> library (tests/js/telnyx-dial.mjs,
/// tests/js/telnyx-verify.mjs): the library's <c>calls.dial</c> sends, for the same arguments, the JSON we send; its
/// <c>TelnyxWebhook.verify</c> accepts exactly the webhooks <see cref="TelnyxSignature.IsValid"/> accepts.
/// </summary>
public sealed class TelnyxNodeTests
{
    public static TheoryData<bool, AnsweringMachineDetection> Variants => new()
    {
        { false, AnsweringMachineDetection.Off },
        { true, AnsweringMachineDetection.Enable },
        { true, AnsweringMachineDetection.DetectMessageEnd },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task DialBody_SameJsonAsOfficialLibrary(bool record, AnsweringMachineDetection amd)
    {
        var dial = TelnyxProvider.DialRequestFor(
            new DialRequest("att_1", "call_1", "+15551234567", "+15550000100", 30, 600, record, amd), Telnyx.ConnectionId, Telnyx.PublicBaseUrl);
        var ours = TelnyxRestClient.DialBody(dial);
        var input = new JsonObject { ["apiKey"] = "KEYtest", ["args"] = JsonNode.Parse(ours) }.ToJsonString();

        var captured = JsonNode.Parse(await NodeScript.RunAsync("telnyx-dial.mjs", "telnyx", input))!;

        Assert.Equal("POST", (string?)captured["method"]);
        Assert.Equal("/v2/calls", (string?)captured["path"]);
        Assert.Equal("Bearer KEYtest", (string?)captured["authorization"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ours), JsonNode.Parse((string)captured["body"]!)),
            $"ours: {ours}\nlibrary: {captured["body"]}");
        // The fields the issue asks for are present (and so the library knows them).
        var sent = JsonNode.Parse(ours)!.AsObject();
        foreach (var field in new[] { "connection_id", "to", "from", "webhook_url", "timeout_secs", "time_limit_secs", "client_state", "command_id" })
        {
            Assert.True(sent.ContainsKey(field), field);
        }
        Assert.Equal(amd != AnsweringMachineDetection.Off, sent.ContainsKey("answering_machine_detection"));
        Assert.Equal(record ? "record-from-answer" : null, (string?)sent["record"]);
    }

    [Fact]
    public async Task SignatureVerdicts_MatchOfficialLibrary()
    {
        var now = DateTimeOffset.UtcNow;
        var fresh = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var stale = (now.ToUnixTimeSeconds() - 310).ToString(CultureInfo.InvariantCulture);
        var future = (now.ToUnixTimeSeconds() + 310).ToString(CultureInfo.InvariantCulture);
        const string body = """{"data":{"event_type":"call.hangup","payload":{"hangup_cause":"user_busy","to":"+15551234567"}}}""";
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        var cases = new (string Name, string Key, string Body, string? Signature, string? Timestamp)[]
        {
            ("valid", Telnyx.PublicKey, body, Telnyx.Sign(fresh, body), fresh),
            ("body changed", Telnyx.PublicKey, body.Replace("user_busy", "normal_clearing", StringComparison.Ordinal), Telnyx.Sign(fresh, body), fresh),
            ("other key", Telnyx.PublicKey, body, Telnyx.Sign(fresh, body, other), fresh),
            ("timestamp changed", Telnyx.PublicKey, body, Telnyx.Sign(fresh, body), (now.ToUnixTimeSeconds() - 1).ToString(CultureInfo.InvariantCulture)),
            ("stale", Telnyx.PublicKey, body, Telnyx.Sign(stale, body), stale),
            ("future", Telnyx.PublicKey, body, Telnyx.Sign(future, body), future),
            ("no signature", Telnyx.PublicKey, body, null, fresh),
            ("no timestamp", Telnyx.PublicKey, body, Telnyx.Sign(fresh, body), null),
            ("garbage signature", Telnyx.PublicKey, body, "not-base64!", fresh),
            ("non-ASCII body", Telnyx.PublicKey, "{\"name\":\"Zoë ✓\"}", Telnyx.Sign(fresh, "{\"name\":\"Zoë ✓\"}"), fresh),
        };
        var input = new JsonObject
        {
            ["cases"] = new JsonArray([.. cases.Select(c => (JsonNode)new JsonObject
            {
                ["publicKey"] = c.Key,
                ["body"] = c.Body,
                ["headers"] = Headers(c.Signature, c.Timestamp),
            })]),
        }.ToJsonString();

        var results = JsonNode.Parse(await NodeScript.RunAsync("telnyx-verify.mjs", "telnyx", input))!["results"]!.AsArray();

        Assert.Equal(cases.Length, results.Count);
        for (var i = 0; i < cases.Length; i++)
        {
            var c = cases[i];
            var ours = TelnyxSignature.IsValid(c.Key, c.Signature, c.Timestamp, System.Text.Encoding.UTF8.GetBytes(c.Body), DateTimeOffset.UtcNow);
            Assert.True((bool)results[i]!["valid"]! == ours, $"{c.Name}: library {results[i]!.ToJsonString()}, ours {ours}");
        }
        Assert.True((bool)results[0]!["valid"]!);
        Assert.Equal(2, results.Count(r => (bool)r!["valid"]!));
    }

    private static JsonObject Headers(string? signature, string? timestamp)
    {
        var headers = new JsonObject();
        if (signature is not null)
        {
            headers[TelnyxSignature.SignatureHeader] = signature;
        }
        if (timestamp is not null)
        {
            headers[TelnyxSignature.TimestampHeader] = timestamp;
        }
        return headers;
    }
}
