using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Outdial.Server.Tests;

/// <summary>Request bodies for tests.</summary>
public static class Calls
{
    public static JsonObject Body(string to, Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["to"] = to,
            ["contact"] = new JsonObject { ["firstName"] = "Ada" },
            ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "web_form", ["obtainedAt"] = "2026-11-01T10:00:00Z" },
        };
        change?.Invoke(body);
        return body;
    }

    public static Task<HttpResponseMessage> PostCallAsync(this HttpClient client, JsonObject body, string? idempotencyKey = null) =>
        client.PostCallAsync(new Uri("/v1/calls", UriKind.Relative), body, idempotencyKey);

    /// <summary>POST <paramref name="body"/> to <paramref name="url"/> (relative to the client's base address, or absolute).</summary>
    public static Task<HttpResponseMessage> PostCallAsync(this HttpClient client, Uri url, JsonObject body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return client.SendAsync(request);
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;
}
