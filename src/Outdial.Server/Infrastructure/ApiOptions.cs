namespace Outdial.Server.Infrastructure;

/// <summary>HTTP API settings (configuration section <c>Outdial:Api</c>).</summary>
public sealed class ApiOptions
{
    /// <summary>Requests per minute per API key before 429 (fixed one-minute window).</summary>
    public int RateLimitPerMinute { get; set; } = 100;

    /// <summary>Largest request body in bytes; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a verified API key is cached before it is looked up again (a key revoked on another node stops working within this time).</summary>
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Serves <c>POST /v1/bench/parse</c>, which only parses a call body (the benchmark's framework ceiling). Off by default.</summary>
    public bool EnableBenchEndpoint { get; set; }
}
