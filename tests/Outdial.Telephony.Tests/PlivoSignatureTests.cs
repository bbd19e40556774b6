using System.Text.Json.Nodes;
using Outdial.Telephony.Plivo;

namespace Outdial.Telephony.Tests;

/// <summary>
/// <see cref="PlivoSignature"/> against the official npm library's <c>validateV3Signature</c> (plivo 4.79.0): every signature
/// Outdial computes is accepted by the library, and every forgery (another nonce, URL, parameter or token) is refused by both.
/// </summary>
public sealed class PlivoSignatureTests
{
    private const string Token = "plivo-auth-token-0123456789";
    private const string Hangup = "https://outdial.example.com/providers/plivo/calls/att_01JD/hangup";

    private static readonly List<KeyValuePair<string, string>> Form =
    [
        new("CallUUID", "eba53b9e-8fbd-45c1-9444-696d2172fbc8"), new("CallStatus", "completed"), new("Duration", "42"),
        new("From", "15550000100"), new("To", "15551234567"), new("HangupCause", "NORMAL_CLEARING"), new("HangupCauseName", "Normal Hangup"),
        new("HangupCauseCode", "4000"), new("Event", "Hangup"), new("ALegRequestUUID", "9834029e-58b6-11e1-b8b7-a5bd0e4e126f"),
    ];

    private static JsonObject Case(string method, string url, string nonce, string signature, IEnumerable<KeyValuePair<string, string>> form, string token = Token)
    {
        var parameters = new JsonObject();
        foreach (var group in form.GroupBy(p => p.Key))
        {
            parameters[group.Key] = group.Count() == 1 ? group.First().Value : new JsonArray([.. group.Select(p => JsonValue.Create(p.Value))]);
        }
        return new JsonObject { ["method"] = method, ["url"] = url, ["nonce"] = nonce, ["authToken"] = token, ["signature"] = signature, ["params"] = parameters };
    }

    public static TheoryData<string, string, bool> Requests => new()
    {
        { "POST", Hangup, true },
        { "POST", Hangup, false },
        { "POST", "https://outdial.example.com/providers/plivo/calls/att_01JD/answer?machine=true", true },
        { "POST", "https://outdial.example.com/providers/plivo/calls/att_01JD/answer?machine=true", false },
        { "POST", "http://127.0.0.1:5080/p/providers/plivo/calls/att%2F1/ring?b=2&a=x+y&a=%41", true },
        { "GET", "https://outdial.example.com:8443/providers/plivo/calls/att_01JD/answer?z=1&CallUUID=abc", false },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task OurSignature_IsAcceptedByTheNpmLibrary_AndEveryForgeryIsRefusedByBoth(string method, string url, bool withForm)
    {
        var form = withForm ? Form : [];
        var nonce = "12345678901234567890";
        var signature = PlivoSignature.Compute(Token, method, url, form, nonce);
        var tampered = form.Count > 0 ? [.. form.Select(p => p.Key == "Duration" ? new KeyValuePair<string, string>(p.Key, "4200") : p)] : form;
        var forgeries = new (string Url, string Nonce, List<KeyValuePair<string, string>> Form, string Token)[]
        {
            (url, "12345678901234567891", form, Token),
            (url.Replace("/providers/", "/providerz/", StringComparison.Ordinal), nonce, form, Token),
            (url, nonce, [.. form, new("Machine", "true")], Token),
            (url, nonce, form, Token + "x"),
        };
        if (withForm)
        {
            forgeries = [.. forgeries, (url, nonce, tampered, Token)];
        }

        var verdicts = await PlivoNode.VerifyAsync(
            [Case(method, url, nonce, signature, form), Case(method, url, nonce, "other," + signature, form),
             .. forgeries.Select(f => Case(method, f.Url, f.Nonce, signature, f.Form, f.Token))]);

        Assert.True(verdicts[0], "the library refused our signature");
        Assert.True(verdicts[1], "the library refused our signature among several");
        Assert.All(verdicts.Skip(2), Assert.False);
        Assert.True(PlivoSignature.IsValid(Token, method, url, form, nonce, signature));
        Assert.True(PlivoSignature.IsValid(Token, method, url, form, nonce, "other," + signature));
        Assert.All(forgeries, f => Assert.False(PlivoSignature.IsValid(f.Token, method, f.Url, f.Form, f.Nonce, signature)));
    }

    [Theory]
    [InlineData("", "n", "sig")]
    [InlineData("tok", "", "sig")]
    [InlineData("tok", "n", "")]
    public void MissingTokenNonceOrSignature_IsInvalid_NeverAnException(string token, string nonce, string header)
    {
        Assert.False(PlivoSignature.IsValid(token, "POST", Hangup, Form, nonce, header));
        Assert.False(PlivoSignature.IsValid(Token, "PUT", Hangup, Form, "n", PlivoSignature.Compute(Token, "POST", Hangup, Form, "n")));
        Assert.False(PlivoSignature.IsValid(Token, "POST", "/relative", Form, "n", "sig"));
    }
}
