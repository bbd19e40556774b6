namespace Outdial.Server.Dialects.Ivr;

/// <summary>
/// Seed 002's own port: its URLs are <c>https://{baseUrl}:22222/v2/call</c> and <c>/v2/callresult</c>. With
/// <see cref="IvrDialect.UrlsSetting"/> set (e.g. <c>http://0.0.0.0:22222</c>, or an <c>https://</c> URL with Kestrel's
/// certificate settings), Kestrel listens there too, beside the main URLs (<c>urls</c> / <c>ASPNETCORE_URLS</c>, <c>http_ports</c>, or
/// Outdial's default <c>http://127.0.0.1:5080</c>; with <c>Kestrel:Endpoints</c>, declare the port there instead), and that port answers only the dialect's two paths (anything else is 404).
/// </summary>
public static class IvrEndpoint
{
    private static readonly string[] Paths = [IvrDialect.CallPath, IvrDialect.ResultPath];

    /// <summary>Adds the configured URLs to the host's and returns their ports; none when the setting is empty.</summary>
    /// <exception cref="InvalidOperationException">A URL is not an absolute http(s) URL with an explicit port.</exception>
    public static IReadOnlySet<int> AddUrls(WebApplicationBuilder builder)
    {
        var configured = builder.Configuration[IvrDialect.UrlsSetting];
        if (string.IsNullOrWhiteSpace(configured))
        {
            return new HashSet<int>();
        }
        var ports = new HashSet<int>();
        var urls = configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in urls)
        {
            // Kestrel's wildcard hosts (*, +) are not URI hosts; read the port from the text.
            var uri = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https") || parsed.IsDefaultPort
                || parsed.Port == 0)
            {
                throw new InvalidOperationException(
                    $"{IvrDialect.UrlsSetting} must list absolute http(s) URLs with an explicit, non-zero port (e.g. http://0.0.0.0:22222), not '{url}'.");
            }
            ports.Add(parsed.Port);
        }
        builder.WebHost.UseUrls([.. MainUrls(builder.Configuration), .. urls]);
        return ports;
    }

    /// <summary>
    /// The addresses the main API listens on, as URLs: <c>urls</c>, else <c>http_ports</c> / <c>https_ports</c> on every
    /// interface (what ASP.NET Core makes of them), else its own default.
    /// </summary>
    private static IEnumerable<string> MainUrls(IConfiguration config)
    {
        if (config[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } main && !string.IsNullOrWhiteSpace(main))
        {
            return main.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        IEnumerable<string> Ports(string key, string scheme) => (config[key] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}");
        var fromPorts = Ports(WebHostDefaults.HttpPortsKey, "http").Concat(Ports(WebHostDefaults.HttpsPortsKey, "https")).ToList();
        return fromPorts.Count > 0 ? fromPorts : ["http://localhost:5000"];
    }

    /// <summary>Answers 404 for every request that arrives on one of <paramref name="ports"/> and is not for the dialect's paths.</summary>
    public static void UseOnlyIvrOn(IApplicationBuilder app, IReadOnlySet<int> ports)
    {
        if (ports.Count == 0)
        {
            return;
        }
        app.Use(async (http, next) =>
        {
            if (ports.Contains(http.Connection.LocalPort)
                && !Paths.Any(p => string.Equals(http.Request.Path.Value?.TrimEnd('/'), p, StringComparison.OrdinalIgnoreCase)))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            await next(http);
        });
    }
}
