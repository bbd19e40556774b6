using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Outdial.Core.Telemetry;

namespace Outdial.Server.Infrastructure;

/// <summary>
/// OpenTelemetry (traces and metrics over OTLP), off unless configured: set <c>Outdial:Telemetry:OtlpEndpoint</c> (e.g.
/// <c>http://127.0.0.1:4318</c> with <c>Outdial:Telemetry:OtlpProtocol</c> <c>http/protobuf</c>, or <c>http://127.0.0.1:4317</c>
/// with <c>grpc</c>, the default) or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, …). The other standard variables work as the OpenTelemetry .NET SDK documents them
/// (<c>OTEL_SERVICE_NAME</c>, default <c>outdial</c>; <c>OTEL_METRIC_EXPORT_INTERVAL</c>, ms, default 60000;
/// <c>OTEL_BSP_SCHEDULE_DELAY</c>, ms). Exported: <see cref="OutdialTelemetry"/>'s instruments and spans, the backlog
/// gauges, ASP.NET Core's and HttpClient's request spans and metrics, and .NET runtime metrics. Logs are not exported.
/// Request spans keep the route template in <c>url.path</c> (not the ids in the path) and only the scheme, host and port of
/// an outgoing URL: no call id, phone number or token leaves in telemetry.
/// </summary>
public static class Telemetry
{
    /// <summary>Configuration key of the OTLP endpoint (base URL; the per-signal paths are added for http/protobuf).</summary>
    public const string EndpointSetting = "Outdial:Telemetry:OtlpEndpoint";

    /// <summary>Configuration key of the OTLP protocol: <c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public const string ProtocolSetting = "Outdial:Telemetry:OtlpProtocol";

    /// <summary>True when an OTLP endpoint is configured (by Outdial's key or the standard variable).</summary>
    public static bool Enabled(IConfiguration config) =>
        !string.IsNullOrWhiteSpace(config[EndpointSetting]) || !string.IsNullOrWhiteSpace(config["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>Adds the OpenTelemetry SDK when <see cref="Enabled"/>; otherwise nothing.</summary>
    /// <exception cref="InvalidOperationException">The endpoint is not an absolute http(s) URL, or the protocol is unknown.</exception>
    public static void AddOutdialTelemetry(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (!Enabled(config))
        {
            return;
        }
        Action<OtlpExporterOptions> Exporter(string signalPath) => o =>
        {
            if (config[EndpointSetting] is not { Length: > 0 } endpoint)
            {
                return; // The standard OTEL_EXPORTER_OTLP_* variables, read by the exporter itself.
            }
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            {
                throw new InvalidOperationException($"{EndpointSetting} must be an absolute http(s) URL, e.g. http://127.0.0.1:4317");
            }
            o.Protocol = config[ProtocolSetting] switch
            {
                null or "" or "grpc" => OtlpExportProtocol.Grpc,
                "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
                var other => throw new InvalidOperationException($"{ProtocolSetting} must be grpc or http/protobuf, not '{other}'"),
            };
            o.Endpoint = o.Protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(baseUrl, baseUrl.AbsolutePath.TrimEnd('/') + signalPath) : baseUrl;
        };
        builder.Services.AddSingleton<BacklogGauges>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName: "outdial", serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(t => t
                .AddSource(OutdialTelemetry.Name)
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = http => !http.Request.Path.StartsWithSegments("/health");
                    // A path carries ids (an IVR call id is a bearer secret): the route template stands in for it.
                    o.EnrichWithHttpResponse = (span, response) =>
                        span.SetTag("url.path", span.GetTagItem("http.route") as string ?? "(unrouted)");
                })
                .AddHttpClientInstrumentation(o =>
                    // Outgoing URLs (webhook endpoints, provider APIs) can carry tokens and ids: only scheme, host and port are kept.
                    o.EnrichWithHttpRequestMessage = (span, request) =>
                    {
                        if (request.RequestUri is { } uri)
                        {
                            span.SetTag("url.full", uri.GetLeftPart(UriPartial.Authority) + "/");
                        }
                    })
                .AddOtlpExporter(Exporter("/v1/traces")))
            .WithMetrics(m => m
                .AddMeter(OutdialTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddOtlpExporter(Exporter("/v1/metrics")));
    }

    /// <summary>Creates the backlog gauges once the host is built (only when telemetry is on).</summary>
    public static void UseOutdialTelemetry(this WebApplication app)
    {
        if (Enabled(app.Configuration))
        {
            app.Services.GetRequiredService<BacklogGauges>();
        }
    }
}
