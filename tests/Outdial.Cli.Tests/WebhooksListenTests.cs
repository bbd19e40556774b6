using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Outdial.Core.Webhooks;
using Xunit;

namespace Outdial.Cli.Tests;

[Collection(CliServerCollection.Name)]
public sealed class WebhooksListenTests(CliServer server)
{
    [Fact]
    public async Task ListenWithRegister_ReceivesAndVerifiesTheServersSignedDeliveriesOfACall()
    {
        var account = await server.NewAccountAsync("webhooks");
        var env = new Dictionary<string, string?>(server.Environment(), StringComparer.Ordinal);
        foreach (var (k, v) in account)
        {
            env[k] = v;
        }
        await using var listen = RunningCli.Start(env, "webhooks", "listen", "--register", "--port", "0", "--max-events", "4", "--json");
        var secretLine = await listen.WaitForStderrAsync("Signing secret (shown only this once): whsec_");
        await listen.WaitForStderrAsync("Ready.");

        // +1…0003: the sandbox rings and the callee declines: call.queued, call.dialing, call.ringing, call.ended.
        var call = await server.RunWithAsync(account, "calls", "create", "--to", "+15551230003", "--consent", "web_form", "--json");
        Assert.True(call.ExitCode == 0, call.ToString());
        var callId = call.Json["id"]!.GetValue<string>();

        Assert.Equal(0, await listen.WaitForExitAsync());
        var events = listen.Stdout.Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["call.queued", "call.dialing", "call.ringing", "call.ended"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal(callId, e["data"]!["id"]!.GetValue<string>()));
        Assert.DoesNotContain(listen.StderrSeen, l => l.Contains("REJECTED", StringComparison.Ordinal));
        Assert.Contains(listen.StderrSeen, l => l.StartsWith("Deleted webhook endpoint whe_", StringComparison.Ordinal));
        Assert.EndsWith("=", secretLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListenWithSecret_Answers401ToABadSignatureAnd204ToAGoodOne()
    {
        var secret = WebhookSecrets.Generate();
        await using var listen = RunningCli.Start(server.Environment(), "webhooks", "listen", "--port", "0", "--secret", secret, "--max-events", "1");
        var url = (await listen.WaitForStderrAsync("Listening on ")).Split(' ')[^1];
        await listen.WaitForStderrAsync("Ready.");

        const string body = """{"id":"evt_test1","type":"call.ended","timestamp":"2026-12-06T10:00:00Z","data":{"id":"call_test1","status":"ended","outcome":"busy"}}""";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var http = new HttpClient();
        using var forged = Signed(url, body, "evt_test1", now, WebhookSignature.Sign(WebhookSecrets.Generate(), "evt_test1", now, body));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(forged)).StatusCode);
        using var stale = Signed(url, body, "evt_test1", now - 3600, WebhookSignature.Sign(secret, "evt_test1", now - 3600, body));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(stale)).StatusCode);
        using var genuine = Signed(url, body, "evt_test1", now, WebhookSignature.Sign(secret, "evt_test1", now, body));
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(genuine)).StatusCode);

        Assert.Equal(0, await listen.WaitForExitAsync());
        var line = Assert.Single(listen.Stdout);
        Assert.Contains("call.ended", line, StringComparison.Ordinal);
        Assert.Contains("call_test1  ended/busy  [verified]", line, StringComparison.Ordinal);
        Assert.Equal(2, listen.StderrSeen.Count(l => l.Contains("REJECTED evt_test1", StringComparison.Ordinal)));
    }

    private static HttpRequestMessage Signed(string url, string body, string id, long timestamp, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookHeaders.Id, id);
        request.Headers.Add(WebhookHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookHeaders.Signature, signature);
        return request;
    }
}
