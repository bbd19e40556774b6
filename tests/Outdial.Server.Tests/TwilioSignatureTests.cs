using System.Text;
using Outdial.Telephony.Twilio;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// <see cref="TwilioSignature"/> against Twilio's documented example (https://www.twilio.com/docs/usage/security
/// § "Validating Requests are coming from Twilio") and against the official npm library (<c>twilio</c> 6.2.0:
/// <c>getExpectedTwilioSignature</c>, <c>validateRequest</c>).
/// </summary>
public sealed class TwilioSignatureTests
{
    private static readonly KeyValuePair<string, string>[] DocumentedParams =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+12349013030"),
        new("Digits", "1234"),
        new("From", "+12349013030"),
        new("To", "+18005551212"),
    ];

    [Fact]
    public void Compute_TwiliosDocumentedExample_GivesTheDocumentedSignature()
    {
        Assert.Equal("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", TwilioSignature.Compute("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", DocumentedParams));
        Assert.Equal("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", TwilioSignature.Compute("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", DocumentedParams.Reverse()));
    }

    [Fact]
    public void IsValid_TwiliosDocumentedExample_AcceptsItAndRefusesAnyChange()
    {
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        const string signature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        Assert.True(TwilioSignature.IsValid("12345", url, DocumentedParams, signature));
        // Twilio may sign the URL with or without the scheme's default port (npm addPort/removePort).
        Assert.True(TwilioSignature.IsValid("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", DocumentedParams, signature));
        // As in npm validateRequest, removePort strips whatever port the received URL has.
        Assert.True(TwilioSignature.IsValid("12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", DocumentedParams, signature));
        Assert.False(TwilioSignature.IsValid("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", DocumentedParams, signature));
        Assert.False(TwilioSignature.IsValid("12346", url, DocumentedParams, signature));
        Assert.False(TwilioSignature.IsValid("12345", url + "&x=1", DocumentedParams, signature));
        Assert.False(TwilioSignature.IsValid("12345", url, DocumentedParams.Append(new("Extra", "")), signature));
        Assert.False(TwilioSignature.IsValid("12345", url, [.. DocumentedParams[..4], new("To", "+18005551213")], signature));
        Assert.False(TwilioSignature.IsValid("12345", url, DocumentedParams, null));
        Assert.False(TwilioSignature.IsValid("12345", url, DocumentedParams, ""));
        Assert.False(TwilioSignature.IsValid("12345", url, DocumentedParams, signature[..^1]));
        Assert.False(TwilioSignature.IsValid("", url, DocumentedParams, TwilioSignature.Compute("", url, DocumentedParams)));
    }

    [Fact]
    public async Task DocumentedExample_NpmLibraryAgrees()
    {
        var verdicts = await TwilioNode.SignAsync([new TwilioSignCase("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", DocumentedParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")]);
        Assert.True(verdicts[0].Valid);
        Assert.Equal("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", verdicts[0].Expected);
    }

    [Fact]
    public async Task Compute_RandomUnicodeFormsAndRepeatedKeys_EqualsNpmAndNpmValidatesIt()
    {
        var random = new Random(20261121);
        var cases = new List<TwilioSignCase>();
        for (var i = 0; i < 80; i++)
        {
            var token = RandomString(random, random.Next(1, 40), unicode: i % 5 == 0);
            var url = RandomUrl(random);
            var pairs = RandomForm(random);
            cases.Add(new TwilioSignCase(token, url, pairs, TwilioSignature.Compute(token, url, pairs)));
        }
        // Keys whose UTF-16 order differs from their code point order: JavaScript sorts by UTF-16 code unit.
        KeyValuePair<string, string>[] tricky = [new("\uFF21", "fullwidth A"), new("\U0001F600", "grinning"), new("a", "1"), new("B", "2"), new("", "empty key")];
        cases.Add(new TwilioSignCase("token", "https://outdial.example.test/providers/twilio/calls/att_1/status", tricky, TwilioSignature.Compute("token", "https://outdial.example.test/providers/twilio/calls/att_1/status", tricky)));

        var verdicts = await TwilioNode.SignAsync(cases);

        for (var i = 0; i < cases.Count; i++)
        {
            Assert.True(cases[i].Signature == verdicts[i].Expected, $"case {i}: ours {cases[i].Signature}, npm {verdicts[i].Expected} for {cases[i].Url}");
            Assert.True(verdicts[i].Valid, $"case {i}: npm validateRequest refused our signature for {cases[i].Url}");
            Assert.True(TwilioSignature.IsValid(cases[i].AuthToken, cases[i].Url, cases[i].Params, verdicts[i].Expected), $"case {i}: we refused npm's signature");
        }
    }

    [Fact]
    public async Task IsValid_PortVariantsAndForgeries_SameVerdictAsNpmValidateRequest()
    {
        var random = new Random(6);
        var cases = new List<TwilioSignCase>();
        foreach (var (signedUrl, receivedUrl) in new[]
        {
            ("https://outdial.example.test/providers/twilio/calls/a/status", "https://outdial.example.test:443/providers/twilio/calls/a/status"),
            ("https://outdial.example.test:443/providers/twilio/calls/a/status", "https://outdial.example.test/providers/twilio/calls/a/status"),
            ("http://outdial.example.test/x?y=1", "http://outdial.example.test:80/x?y=1"),
            ("http://outdial.example.test:8080/x?y=1", "http://outdial.example.test/x?y=1"),
            ("https://outdial.example.test/x", "https://outdial.example.test:80/x"),
            ("https://outdial.example.test:8443/x", "https://outdial.example.test:8443/x"),
            ("https://user:pw@[::1]:8443/x?q=1", "https://user:pw@[::1]/x?q=1"),
            ("https://outdial.example.test/x", "https://outdial.example.test/y"),
            ("https://outdial.example.test/x?a=1", "https://outdial.example.test/x?a=2"),
        })
        {
            var pairs = RandomForm(random);
            var signature = TwilioSignature.Compute("secret", signedUrl, pairs);
            cases.Add(new TwilioSignCase("secret", receivedUrl, pairs, signature));
            cases.Add(new TwilioSignCase("secret", receivedUrl, [.. pairs, new("Injected", "1")], signature));
            cases.Add(new TwilioSignCase("secret", receivedUrl, pairs, null));
            cases.Add(new TwilioSignCase("other", receivedUrl, pairs, signature));
        }

        var verdicts = await TwilioNode.SignAsync(cases);

        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            Assert.True(verdicts[i].Valid == TwilioSignature.IsValid(c.AuthToken, c.Url, c.Params, c.Signature),
                $"case {i} ({c.Url}, signature {c.Signature ?? "none"}): npm says {verdicts[i].Valid}");
        }
        Assert.Contains(verdicts, v => v.Valid);
        Assert.Contains(verdicts, v => !v.Valid);
    }

    private static List<KeyValuePair<string, string>> RandomForm(Random random)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var count = random.Next(0, 12);
        for (var j = 0; j < count; j++)
        {
            // Repeat an earlier key (sometimes with the same value) a quarter of the time.
            if (pairs.Count > 0 && random.Next(4) == 0)
            {
                var earlier = pairs[random.Next(pairs.Count)];
                pairs.Add(new(earlier.Key, random.Next(2) == 0 ? earlier.Value : RandomString(random, random.Next(0, 12), unicode: true)));
                continue;
            }
            pairs.Add(new(RandomString(random, random.Next(1, 16), unicode: random.Next(3) == 0), RandomString(random, random.Next(0, 30), unicode: true)));
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
