using System.Text;
using Outdial.Telephony.Twilio;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// <see cref="TwilioSignature"/> (the official .NET library's <c>RequestValidator</c>, Twilio 8.2.0) against Twilio's
/// documented example (https://www.twilio.com/docs/usage/security § "Validating Requests are coming from Twilio") and
/// against the official npm library (<c>twilio</c> 6.2.0: <c>getExpectedTwilioSignature</c>, <c>validateRequest</c>) for
/// what Twilio sends: voice callbacks (form keys never repeated) and ConversationRelay's WebSocket upgrade (a <c>wss://</c>
/// URL, no parameters). Where the two libraries differ (a repeated form key, an explicit default port), the tests pin what
/// Outdial does.
/// </summary>
public sealed class TwilioSignatureTests
{
    private const string DocumentedUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string DocumentedSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    private static readonly KeyValuePair<string, string>[] DocumentedParams =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+12349013030"),
        new("Digits", "1234"),
        new("From", "+12349013030"),
        new("To", "+18005551212"),
    ];

    [Fact]
    public async Task IsValid_TwiliosDocumentedExample_AcceptsItAndRefusesAnyChange()
    {
        Assert.True(TwilioSignature.IsValid("12345", DocumentedUrl, DocumentedParams, DocumentedSignature));
        Assert.True(TwilioSignature.IsValid("12345", DocumentedUrl, DocumentedParams.Reverse(), DocumentedSignature));
        // A received URL with a port is also checked without it (the library's one URL variant).
        Assert.True(TwilioSignature.IsValid("12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", DocumentedParams, DocumentedSignature));
        Assert.False(TwilioSignature.IsValid("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", DocumentedParams, DocumentedSignature));
        Assert.False(TwilioSignature.IsValid("12346", DocumentedUrl, DocumentedParams, DocumentedSignature));
        Assert.False(TwilioSignature.IsValid("12345", DocumentedUrl + "&x=1", DocumentedParams, DocumentedSignature));
        Assert.False(TwilioSignature.IsValid("12345", DocumentedUrl, DocumentedParams.Append(new("Extra", "")), DocumentedSignature));
        Assert.False(TwilioSignature.IsValid("12345", DocumentedUrl, [.. DocumentedParams[..4], new("To", "+18005551213")], DocumentedSignature));
        Assert.False(TwilioSignature.IsValid("12345", DocumentedUrl, DocumentedParams, null));
        Assert.False(TwilioSignature.IsValid("12345", DocumentedUrl, DocumentedParams, ""));
        Assert.False(TwilioSignature.IsValid("12345", DocumentedUrl, DocumentedParams, DocumentedSignature[..^1]));
        Assert.False(TwilioSignature.IsValid("12345", "/myapp.php?foo=1&bar=2", DocumentedParams, DocumentedSignature));
        Assert.False(TwilioSignature.IsValid("12345", "https://bücher.example/myapp.php?foo=1&bar=2", DocumentedParams, DocumentedSignature));
        // An unconfigured (empty) auth token accepts nothing, not even a signature made with the empty key.
        Assert.False(TwilioSignature.IsValid("", DocumentedUrl, DocumentedParams, await TwilioNode.SignatureAsync("", DocumentedUrl, DocumentedParams)));
    }

    [Fact]
    public async Task DocumentedExample_NpmLibraryAgrees()
    {
        var verdicts = await TwilioNode.SignAsync([new TwilioSignCase("12345", DocumentedUrl, DocumentedParams, DocumentedSignature)]);
        Assert.True(verdicts[0].Valid);
        Assert.Equal(DocumentedSignature, verdicts[0].Expected);
        Assert.Equal(DocumentedSignature, await TwilioNode.SignatureAsync("12345", DocumentedUrl, DocumentedParams));
    }

    [Fact]
    public async Task IsValid_NpmSignaturesOfRandomUnicodeForms_AreAccepted_AndRefusedOnceTampered()
    {
        var random = new Random(20261121);
        var cases = new List<TwilioSignCase>();
        for (var i = 0; i < 80; i++)
        {
            cases.Add(new TwilioSignCase(RandomString(random, random.Next(1, 40), unicode: i % 5 == 0), RandomUrl(random), RandomForm(random), null));
        }
        // Keys whose UTF-16 order differs from their code point order: both libraries sort by UTF-16 code unit (ordinal).
        cases.Add(new TwilioSignCase("token", "https://outdial.example.test/providers/twilio/calls/att_1/status",
            [new("\uFF21", "fullwidth A"), new("\U0001F600", "grinning"), new("a", "1"), new("B", "2"), new("", "empty key")], null));

        var verdicts = await TwilioNode.SignAsync(cases);

        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var signature = verdicts[i].Expected;
            Assert.True(TwilioSignature.IsValid(c.AuthToken, c.Url, c.Params, signature), $"case {i}: we refused npm's signature for {c.Url}");
            Assert.False(TwilioSignature.IsValid(c.AuthToken, c.Url, [.. c.Params, new("Injected", "1")], signature), $"case {i}: an added parameter passed");
            Assert.False(TwilioSignature.IsValid(c.AuthToken + "x", c.Url, c.Params, signature), $"case {i}: another token passed");
        }
    }

    [Fact]
    public async Task IsValid_PortVariantsAndForgeries_SameVerdictAsNpm_ExceptAnExplicitDefaultPortOnTheReceivedUrl()
    {
        var random = new Random(6);
        // (URL Twilio signed, URL Outdial reconstructs, what the .NET library answers when npm's differs).
        var urls = new (string Signed, string Received, bool? DotnetDiffers)[]
        {
            // npm strips any port from the received URL; the .NET library's variant keeps an explicit default port (its Uri
            // normalises :443/:80 away before asking for the port), so it refuses these two. Outdial reconstructs the URL from
            // Outdial:PublicBaseUrl, the very URL it gave Twilio, so only an operator's proxy rewriting the port could hit this.
            ("https://outdial.example.test/providers/twilio/calls/a/status", "https://outdial.example.test:443/providers/twilio/calls/a/status", false),
            ("http://outdial.example.test/x?y=1", "http://outdial.example.test:80/x?y=1", false),
            ("https://outdial.example.test:443/providers/twilio/calls/a/status", "https://outdial.example.test/providers/twilio/calls/a/status", null),
            ("http://outdial.example.test:8080/x?y=1", "http://outdial.example.test/x?y=1", null),
            ("https://outdial.example.test/x", "https://outdial.example.test:80/x", null),
            ("https://outdial.example.test:8443/x", "https://outdial.example.test:8443/x", null),
            ("https://user:pw@[::1]:8443/x?q=1", "https://user:pw@[::1]/x?q=1", null),
            ("https://outdial.example.test/x", "https://outdial.example.test/y", null),
            ("https://outdial.example.test/x?a=1", "https://outdial.example.test/x?a=2", null),
            ("wss://outdial.example.test/providers/twilio/relay/a", "wss://outdial.example.test/providers/twilio/relay/a", null),
            ("wss://outdial.example.test/providers/twilio/relay/a", "https://outdial.example.test/providers/twilio/relay/a", null),
            // Both libraries add port 80 to a wss URL without one (only https gets 443): neither accepts :443 here.
            ("wss://outdial.example.test:443/providers/twilio/relay/a", "wss://outdial.example.test/providers/twilio/relay/a", null),
        };
        var forms = urls.Select(u => u.Signed.StartsWith("wss", StringComparison.Ordinal) ? [] : RandomForm(random)).ToList();
        var signed = await TwilioNode.SignAsync([.. urls.Select((u, i) => new TwilioSignCase("secret", u.Signed, forms[i], null))]);
        var cases = new List<(TwilioSignCase Case, bool? DotnetDiffers)>();
        for (var i = 0; i < urls.Length; i++)
        {
            var pairs = forms[i];
            var signature = signed[i].Expected;
            cases.Add((new TwilioSignCase("secret", urls[i].Received, pairs, signature), urls[i].DotnetDiffers));
            cases.Add((new TwilioSignCase("secret", urls[i].Received, [.. pairs, new("Injected", "1")], signature), null));
            cases.Add((new TwilioSignCase("secret", urls[i].Received, pairs, null), null));
            cases.Add((new TwilioSignCase("other", urls[i].Received, pairs, signature), null));
        }

        var verdicts = await TwilioNode.SignAsync(cases.Select(c => c.Case).ToList());

        for (var i = 0; i < cases.Count; i++)
        {
            var (c, differs) = cases[i];
            var ours = TwilioSignature.IsValid(c.AuthToken, c.Url, c.Params, c.Signature);
            if (differs is { } dotnet)
            {
                Assert.True(verdicts[i].Valid != dotnet && ours == dotnet, $"case {i} ({c.Url}): npm {verdicts[i].Valid}, ours {ours}, expected {dotnet}");
            }
            else
            {
                Assert.True(verdicts[i].Valid == ours, $"case {i} ({c.Url}, signature {c.Signature ?? "none"}): npm says {verdicts[i].Valid}, ours {ours}");
            }
        }
        Assert.Contains(verdicts, v => v.Valid);
        Assert.Contains(verdicts, v => !v.Valid);
    }

    [Fact]
    public async Task IsValid_RepeatedFormKey_IsRefused_ThoughNpmSignsEveryValue()
    {
        // Twilio's voice callbacks never repeat a key. npm signs each value (sorted) under the name; the .NET library takes
        // one value per key: rather than guess, Outdial refuses such a form.
        KeyValuePair<string, string>[] pairs = [new("CallSid", "CA1"), new("Digits", "1"), new("Digits", "2")];
        var npm = (await TwilioNode.SignAsync([new TwilioSignCase("secret", DocumentedUrl, pairs, null)]))[0].Expected;
        Assert.True((await TwilioNode.SignAsync([new TwilioSignCase("secret", DocumentedUrl, pairs, npm)]))[0].Valid);

        Assert.False(TwilioSignature.IsValid("secret", DocumentedUrl, pairs, npm));
        Assert.False(TwilioSignature.IsValid("secret", DocumentedUrl, [new("Digits", "1"), new("Digits", "1")],
            await TwilioNode.SignatureAsync("secret", DocumentedUrl, [new("Digits", "1")])));
    }

    [Fact]
    public async Task IsValid_WebSocketUpgrade_SignedOverTheWssUrlWithoutParameters()
    {
        const string url = "wss://outdial.example.test/base/providers/twilio/relay/att_1";
        var signature = await TwilioNode.SignatureAsync("secret", url);

        Assert.True(TwilioSignature.IsValid("secret", url, [], signature));
        Assert.False(TwilioSignature.IsValid("secret", "https://outdial.example.test/base/providers/twilio/relay/att_1", [], signature));
        Assert.False(TwilioSignature.IsValid("secret", "wss://outdial.example.test/base/providers/twilio/relay/att_2", [], signature));
        Assert.False(TwilioSignature.IsValid("secret", url, [new("AccountSid", "AC1")], signature));
    }

    /// <summary>Up to 11 pairs with distinct keys (as Twilio posts them), Unicode and URL-special characters included.</summary>
    private static List<KeyValuePair<string, string>> RandomForm(Random random)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var count = random.Next(0, 12);
        for (var j = 0; j < count; j++)
        {
            var key = RandomString(random, random.Next(1, 16), unicode: random.Next(3) == 0);
            var value = RandomString(random, random.Next(0, 30), unicode: true);
            if (pairs.All(p => p.Key != key))
            {
                pairs.Add(new(key, value));
            }
        }
        return pairs;
    }

    private static string RandomUrl(Random random)
    {
        const string unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
        string Segment(int max) => new([.. Enumerable.Range(0, random.Next(1, max)).Select(_ => unreserved[random.Next(unreserved.Length)])]);
        var url = new StringBuilder(random.Next(2) == 0 ? "https://" : "http://").Append("host").Append(random.Next(100)).Append(".example.test");
        if (random.Next(3) == 0)
        {
            url.Append(':').Append(random.Next(1, 65536));
        }
        for (var s = random.Next(0, 4); s >= 0; s--)
        {
            url.Append('/').Append(Segment(12));
        }
        if (random.Next(2) == 0)
        {
            url.Append('?');
            for (var q = random.Next(1, 4); q > 0; q--)
            {
                url.Append(Segment(6)).Append('=').Append(Segment(8)).Append(q > 1 ? "&" : "");
            }
        }
        return url.ToString();
    }

    private static string RandomString(Random random, int length, bool unicode)
    {
        var sb = new StringBuilder();
        while (sb.Length < length)
        {
            var pick = unicode ? random.Next(6) : 0;
            _ = pick switch
            {
                0 => sb.Append((char)random.Next(0x20, 0x7F)),
                1 => sb.Append((char)random.Next(0xA0, 0x250)),
                2 => sb.Append((char)random.Next(0x4E00, 0x9FFF)),
                3 => sb.Append(char.ConvertFromUtf32(random.Next(0x1F300, 0x1FAFF))),
                4 => sb.Append("&=+%?#\"'<>\\ \t\n"[random.Next(14)]),
                _ => sb.Append((char)random.Next(0xF900, 0xFFFD)),
            };
        }
        return sb.ToString();
    }
}
