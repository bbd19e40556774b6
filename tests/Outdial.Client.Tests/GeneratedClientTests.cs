using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Outdial.Client.Models;
using Outdial.Server.Tests;
using Xunit;

namespace Outdial.Client.Tests;

/// <summary>
/// The Kiota client generated from the served OpenAPI document, against a real server (Kestrel on loopback, SQLite, the sandbox
/// provider), authenticating as the document declares: the <c>bearer</c> scheme.
/// </summary>
public sealed class GeneratedClientTests
{
    /// <summary>A fictional number of the sandbox (555-01xx): dialed at once at any hour.</summary>
    private const string Fictional = "+12125550123";

    [Fact]
    public async Task GeneratedClient_WithBearerKey_CreatesACall_ReadsItBack_AndListsIt()
    {
        await using var host = await OutdialHost.StartAsync();
        using var http = new HttpClient();
        var client = Client(host, http, OutdialHost.BootstrapKey);
        var expires = new DateTimeOffset(DateTime.UtcNow.AddDays(1).Date, TimeSpan.Zero);

        var created = await client.V1.Calls.PostAsync(new CreateCallRequest
        {
            To = Fictional,
            Provider = "sandbox",
            Consent = new ConsentRequest { Obtained = true, Source = "web_form", ObtainedAt = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero) },
            Metadata = new JsonObject { AdditionalData = { ["crmId"] = "c-77" } },
            // The document declares request instants as date-times: the client sends a DateTimeOffset, the server reads it.
            ExpiresAt = expires,
        });

        Assert.NotNull(created);
        Assert.StartsWith("call_", created.Id, StringComparison.Ordinal);
        Assert.Equal(Fictional, created.To);
        Assert.Equal("sandbox", created.Provider);

        var read = await client.V1.Calls[created.Id].GetAsync();
        Assert.NotNull(read);
        Assert.Equal(created.Id, read.Id);
        Assert.Equal(expires, read.ExpiresAt);
        Assert.Equal(Fictional, read.To);
        Assert.Equal("web_form", read.Consent?.Source);
        Assert.Equal("c-77", read.Metadata?.AdditionalData["crmId"]?.ToString());

        var page = await client.V1.Calls.GetAsync(request =>
        {
            request.QueryParameters.To = Fictional;
            request.QueryParameters.Limit = 10;
        });
        Assert.NotNull(page?.Data);
        Assert.Contains(page.Data, call => call.Id == created.Id);
        Assert.All(page.Data, call => Assert.Equal(Fictional, call.To));
    }

    [Fact]
    public async Task GeneratedClient_ThrowsTheDocumentedProblem_ForAnUnknownCallAndForAMissingKey()
    {
        await using var host = await OutdialHost.StartAsync();
        using var http = new HttpClient();

        var notFound = await Assert.ThrowsAsync<ProblemDetails>(() => Client(host, http, OutdialHost.BootstrapKey).V1.Calls["call_unknown"].GetAsync());
        Assert.Equal(404, notFound.ResponseStatusCode);
        Assert.Equal("not_found", notFound.Code);

        var unauthorized = await Assert.ThrowsAsync<ProblemDetails>(() => Client(host, http, "od_live_notakeynotakeynotakeynotakey00").V1.Calls.GetAsync());
        Assert.Equal(401, unauthorized.ResponseStatusCode);
        Assert.Equal("unauthorized", unauthorized.Code);
    }

    /// <summary>The generated client on <paramref name="host"/>, sending <paramref name="apiKey"/> as <c>Authorization: Bearer</c>.</summary>
    private static OutdialClient Client(OutdialHost host, HttpClient http, string apiKey)
    {
        var auth = new BaseBearerTokenAuthenticationProvider(new StaticKey(apiKey, host.BaseAddress.Host));
        return new OutdialClient(new HttpClientRequestAdapter(auth, httpClient: http) { BaseUrl = host.BaseAddress.ToString().TrimEnd('/') });
    }

    /// <summary>An API key as the bearer token, for the test server's host only.</summary>
    private sealed class StaticKey(string key, string host) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new([host]);

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(AllowedHostsValidator.IsUrlHostValid(uri) ? key : "");
    }
}
