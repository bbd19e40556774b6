using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NSec.Cryptography;
using Outdial.Core.Accounts;
using Outdial.Telephony.Telnyx;

namespace Outdial.Telephony.Tests;

/// <summary>Builds Telnyx clients and providers, and signs webhooks as Telnyx does, for tests.</summary>
public static class Telnyx
{
    public const string PublicBaseUrl = "https://outdial.example.com";
    public const string ConnectionId = "1684641123236054244";

    /// <summary>A fixed Ed25519 key pair (seed 1..32) standing for Telnyx's signing key.</summary>
    public static readonly Key SigningKey = Key.Import(SignatureAlgorithm.Ed25519,
        Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), KeyBlobFormat.RawPrivateKey,
        new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    /// <summary>Base64 of <see cref="SigningKey"/>'s public key, as the portal shows it.</summary>
    public static string PublicKey => Convert.ToBase64String(SigningKey.PublicKey.Export(KeyBlobFormat.RawPublicKey));

    /// <summary>Base64 Ed25519 signature of <c>{timestamp}|{body}</c> with <paramref name="key"/> (default <see cref="SigningKey"/>).</summary>
    public static string Sign(string timestamp, string body, Key? key = null) =>
        Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key ?? SigningKey, Encoding.UTF8.GetBytes($"{timestamp}|{body}")));

    public static TelnyxOptions Options(string baseUrl, Action<TelnyxOptions>? change = null)
    {
        var o = new TelnyxOptions { ApiKey = "KEYtest", PublicKey = PublicKey, ConnectionId = ConnectionId, BaseUrl = baseUrl };
        change?.Invoke(o);
        return o;
    }

    public static TelnyxRestClient Client(HttpMessageHandler handler, TelnyxOptions options, TimeProvider clock) =>
        new(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, Microsoft.Extensions.Options.Options.Create(options), clock);

    public static TelnyxProvider Provider(TelnyxRestClient client, TelnyxOptions options, TimeProvider clock, TelnyxHealth? health = null) =>
        new(client, health ?? new TelnyxHealth(clock), Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Options.Options.Create(new OutdialOptions { PublicBaseUrl = PublicBaseUrl }), clock, NullLogger<TelnyxProvider>.Instance);

    /// <summary>Telnyx's error body with one error.</summary>
    public static HttpResponseMessage Error(System.Net.HttpStatusCode status, int code, string title, string? pointer = null) =>
        StubHandler.Json(status, $$"""{"errors":[{"code":"{{code}}","title":"{{title}}","detail":"{{title}}."{{(pointer is null ? "" : $$""","source":{"pointer":"{{pointer}}"}""")}}}]}""");
}
