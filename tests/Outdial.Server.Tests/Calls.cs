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

    public static Task<HttpResponseMessage> PostCallAsync(this HttpClient client, JsonObject body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/calls") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return client.SendAsync(request);
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;
}
