using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Outdial.Core.Webhooks;
using Outdial.Server.Dialects.Aicaller;
using Outdial.Server.OpenApi;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// The served OpenAPI document (<c>GET /openapi/v1.json</c>, issue 16) is one a client can use: every operation explained, its
/// authentication declared, its errors listed; the webhooks it sends described; and the reference page at <c>/docs</c> served
/// from this server.
/// </summary>
public sealed class OpenApiDocumentTests : IClassFixture<HostFixture>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    private readonly OutdialHost _host;

    public OpenApiDocumentTests(HostFixture fixture) => _host = fixture.Host;

    [Fact]
    public async Task EveryOperation_HasASummaryAndADescription()
    {
        var document = await DocumentAsync();
        var operations = Operations(document).Concat(Webhooks(document)).ToList();

        Assert.True(operations.Count > 70, $"only {operations.Count} operations");
        Assert.All(operations, op =>
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)op.Operation["summary"]), $"{op.Name} has no summary");
            Assert.False(string.IsNullOrWhiteSpace((string?)op.Operation["description"]), $"{op.Name} has no description");
            Assert.False(string.IsNullOrWhiteSpace((string?)op.Operation["operationId"]), $"{op.Name} has no operationId");
        });
    }

    [Fact]
    public async Task EveryNativeOperation_DeclaresBearerSecurity_AndAProblemResponse()
    {
        var document = await DocumentAsync();
        var bearer = document["components"]!["securitySchemes"]![ApiSecurity.Bearer]!;
        Assert.Equal("http", (string?)bearer["type"]);
        Assert.Equal("bearer", (string?)bearer["scheme"]);

        // /v1/phoneCalls is seed 004's path, not the native API's.
        var native = Operations(document).Where(op => op.Path.StartsWith("/v1/", StringComparison.Ordinal)
            && !op.Path.StartsWith(AicallerDialect.Path, StringComparison.Ordinal)).ToList();
        Assert.True(native.Count > 60, $"only {native.Count} native operations");
        Assert.All(native, op =>
        {
            var security = Assert.IsType<JsonArray>(op.Operation["security"], exactMatch: false);
            var requirement = Assert.Single(security)!.AsObject();
            Assert.Equal([ApiSecurity.Bearer], requirement.Select(r => r.Key));
            var problems = op.Operation["responses"]!.AsObject()
                .Where(r => r.Key.StartsWith('4') && r.Value!["content"]?["application/problem+json"]?["schema"] is not null)
                .Select(r => r.Key).ToList();
            Assert.True(problems.Count > 0, $"{op.Name} declares no 4xx problem response");
            Assert.Contains("401", problems);
        });
    }

    [Fact]
    public async Task EachDialect_DeclaresWhereItTakesItsKey()
    {
        var document = await DocumentAsync();
        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal("aicaller-api-key", (string?)schemes[ApiSecurity.AicallerApiKey]!["name"]);
        Assert.Equal("header", (string?)schemes[ApiSecurity.AicallerApiKey]!["in"]);
        Assert.Equal("Authorization", (string?)schemes[ApiSecurity.VodexAuthorization]!["name"]);

        var byId = Operations(document).ToDictionary(op => (string)op.Operation["operationId"]!);
        string[] Requirements(string operationId) =>
            [.. byId[operationId].Operation["security"]!.AsArray().Select(r => string.Join("+", r!.AsObject().Select(s => s.Key)))];

        Assert.Equal([ApiSecurity.VodexAuthorization], Requirements("VodexTriggerCall"));
        Assert.Equal([ApiSecurity.Bearer], Requirements("TalkoverMakeCampaignCall"));
        Assert.Equal([ApiSecurity.Bearer], Requirements("BuildVoiceTriggerCall"));
        Assert.Equal([ApiSecurity.AicallerApiKey], Requirements("AicallerCreatePhoneCall"));
        Assert.Equal([ApiSecurity.AicallerApiKey], Requirements("AicallerGetPhoneCall"));
        Assert.Empty(Requirements("IvrCall")); // the key is the body's AccessToken
        Assert.Contains("AccessToken", byId["IvrCall"].Operation["requestBody"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(["", ApiSecurity.Bearer], Requirements("IvrCallResult")); // token-less, or Bearer
        Assert.Empty(Requirements("GetHealth"));
        // Every requirement names a declared scheme.
        Assert.All(byId.Values.SelectMany(op => op.Operation["security"]!.AsArray()).SelectMany(r => r!.AsObject()),
            r => Assert.True(schemes.ContainsKey(r.Key), $"undeclared scheme {r.Key}"));
        // Twilio's callbacks are Twilio's to call, not a client's.
        Assert.DoesNotContain(Operations(document), op => op.Path.StartsWith("/providers/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Webhooks_ListEveryEventTypeTheServerSends_WithThePayloadAndSignatureHeaders()
    {
        var document = await DocumentAsync();
        var webhooks = document["webhooks"]!.AsObject();

        Assert.Equal(WebhookEventTypes.All.Order(StringComparer.Ordinal),
            webhooks.Select(w => w.Key).Where(k => k.StartsWith("call.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var payloadTypes = document["components"]!["schemas"]![WebhookDocumentation.EventSchema]!["properties"]!["type"]!["enum"]!.AsArray()
            .Select(t => (string)t!);
        Assert.Equal(WebhookEventTypes.All.Order(StringComparer.Ordinal), payloadTypes.Order(StringComparer.Ordinal));
        foreach (var type in WebhookEventTypes.All)
        {
            var post = webhooks[type]!["post"]!;
            var headers = post["parameters"]!.AsArray().Where(p => (string?)p!["in"] == "header" && (bool?)p["required"] == true).Select(p => (string)p!["name"]!);
            Assert.Equal(["webhook-id", "webhook-signature", "webhook-timestamp"], headers.Order(StringComparer.Ordinal));
            Assert.Equal($"#/components/schemas/{WebhookDocumentation.EventSchema}",
                (string?)post["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        }
    }

    [Fact]
    public async Task Docs_ServesTheScalarReference_WithItsScriptFromThisServer()
    {
        using var anonymous = _host.NewClient(apiKey: null);

        using var page = await anonymous.GetAsync(OpenApiSetup.ReferencePath);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<title>Outdial API reference</title>", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);

        var scripts = Regex.Matches(html, "<script[^>]*src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("scalar.js", scripts); // Scalar's standalone bundle, embedded in Scalar.AspNetCore
        Assert.All(scripts, src => Assert.DoesNotMatch("^(https?:)?//", src));
        using var script = await anonymous.GetAsync(new Uri(page.RequestMessage!.RequestUri!, "scalar.js"));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("javascript", script.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000, "the bundled reference script is missing");
    }

    private async Task<JsonObject> DocumentAsync()
    {
        using var anonymous = _host.NewClient(apiKey: null);
        var document = await anonymous.GetFromJsonAsync<JsonObject>(OpenApiSetup.DocumentPath);
        Assert.NotNull(document);
        Assert.StartsWith("3.1", (string?)document["openapi"], StringComparison.Ordinal);
        return document;
    }

    private sealed record Op(string Name, string Path, JsonObject Operation);

    private static IEnumerable<Op> Operations(JsonObject document) =>
        from path in document["paths"]!.AsObject()
        from method in path.Value!.AsObject()
        where Methods.Contains(method.Key)
        select new Op($"{method.Key.ToUpperInvariant()} {path.Key}", path.Key, method.Value!.AsObject());

    private static IEnumerable<Op> Webhooks(JsonObject document) =>
        from hook in document["webhooks"]!.AsObject()
        from method in hook.Value!.AsObject()
        where Methods.Contains(method.Key)
        select new Op($"webhook {hook.Key}", hook.Key, method.Value!.AsObject());
}
