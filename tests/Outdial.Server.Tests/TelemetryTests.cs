using System.Net;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary>
/// OpenTelemetry over OTLP/HTTP (protobuf) to a real HTTP receiver: the SDK's own exporter sends Outdial's metrics and spans
/// once an endpoint is configured; without one, nothing is sent.
/// </summary>
public sealed class TelemetryTests
{
    private static bool Carries(ReceivedWebhook request, string name) => request.Body.Contains(name, StringComparison.Ordinal);

    [Fact]
    public async Task WithAnOtlpEndpoint_CallMetricsAndDialSpansAreExported()
    {
        await using var collector = await WebhookReceiver.StartAsync();
        collector.Respond = _ => 200;
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string>
        {
            ["Outdial:Telemetry:OtlpEndpoint"] = collector.BaseAddress.ToString(),
            ["Outdial:Telemetry:OtlpProtocol"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        var to = Numbers.Next();
        var response = await host.Client.PostCallAsync(Calls.Body(to));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;
        await host.WaitForSettledAsync(id);

        string[] metrics = ["outdial.calls.accepted", "outdial.calls.dialed", "outdial.calls.ended", "outdial.dial.duration", "outdial.calls.due",
            "outdial.webhooks.due", "outdial.store.commit.writes", "outdial.store.commit.duration", "outdial.store.write.wait", "http.server.request.duration"];
        await WebhookTests.WaitAsync(() => metrics.All(m => collector.Received.Any(r => r.Path == "/v1/metrics" && Carries(r, m))),
            "every Outdial metric to be exported", TimeSpan.FromSeconds(30));
        await WebhookTests.WaitAsync(() => collector.Received.Any(r => r.Path == "/v1/traces" && Carries(r, "outdial.dial")),
            "the dial span to be exported", TimeSpan.FromSeconds(30));
        Assert.All(collector.Received, r => Assert.Equal("application/x-protobuf", r.Headers["content-type"]));
        // No phone number or call id leaves in telemetry.
        var leaks = collector.Received.Where(r => Carries(r, id) || Carries(r, to) || Carries(r, to[1..]))
            .Select(r => string.Concat(r.Body.Where(c => c is >= ' ' and <= '~'))).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n----\n", leaks));
    }

    [Fact]
    public async Task WithoutAnEndpoint_NothingIsExported()
    {
        await using var collector = await WebhookReceiver.StartAsync();
        await using var host = await OutdialHost.StartAsync(new Dictionary<string, string> { ["OTEL_METRIC_EXPORT_INTERVAL"] = "100" });
        var id = (string)(await (await host.Client.PostCallAsync(Calls.Body(Numbers.Next()))).JsonAsync())["id"]!;
        await host.WaitForSettledAsync(id);
        Assert.Null(host.Services.GetService(typeof(OpenTelemetry.Metrics.MeterProvider)));
        Assert.Empty(collector.Received);
    }
}
