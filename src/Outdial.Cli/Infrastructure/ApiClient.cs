using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outdial.Cli.Infrastructure;

/// <summary>
/// The HTTP client of one command: <c>Authorization: Bearer &lt;key&gt;</c> on every request to <see cref="BaseUrl"/>, JSON in
/// and out. A non-2xx answer throws <see cref="ApiProblemException"/>; a connection failure or a timeout (100 s) throws
/// <see cref="CliException"/> with <see cref="ExitCodes.Unavailable"/>. The key is never printed.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(Uri baseUrl, string key)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(100) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("outdial-cli", typeof(ApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:5080/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary><c>GET path</c> → the JSON body.</summary>
    public Task<JsonNode> GetAsync(string path, CancellationToken ct) => SendJsonAsync(HttpMethod.Get, path, null, ct);

    /// <summary><c>POST path</c> with <paramref name="body"/> as JSON (none when null) → the JSON body (an empty object for 204).</summary>
    public Task<JsonNode> PostAsync(string path, JsonNode? body, CancellationToken ct) => SendJsonAsync(HttpMethod.Post, path, body, ct);

    /// <summary><c>DELETE path</c>; 204 → an empty object.</summary>
    public Task<JsonNode> DeleteAsync(string path, CancellationToken ct) => SendJsonAsync(HttpMethod.Delete, path, null, ct);

    /// <summary><c>GET path</c> with <c>Accept: text/plain</c> → the body as text.</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        using var response = await SendAsync(request, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    /// <summary>Sends <paramref name="request"/> (content and headers already set) → the JSON body.</summary>
    public async Task<JsonNode> SendAsync(HttpRequestMessage request, Func<HttpResponseMessage, Task<JsonNode>>? read, CancellationToken ct)
    {
        using var response = await SendAsync(request, ct);
        return read is null ? await ReadJsonAsync(response, ct) : await read(response);
    }

    private async Task<JsonNode> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        return await SendAsync(request, null, ct);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Unavailable, $"error: cannot reach the Outdial server at {BaseUrl} ({e.Message})", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unavailable, $"error: the Outdial server at {BaseUrl} did not answer within {_http.Timeout.TotalSeconds:0} s", e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var raw = await response.Content.ReadAsStringAsync(ct);
            throw new ApiProblemException(response.StatusCode, TryParseObject(raw), raw);
        }
    }

    private static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var raw = await response.Content.ReadAsStringAsync(ct);
        return raw.Length == 0 ? new JsonObject() : JsonNode.Parse(raw) ?? new JsonObject();
    }

    private static JsonObject? TryParseObject(string raw)
    {
        try
        {
            return raw.Length > 0 ? JsonNode.Parse(raw) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
