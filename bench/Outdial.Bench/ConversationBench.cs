using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Outdial.Tests.Shared;

namespace Outdial.Bench;

/// <summary>
/// <c>--conversations N</c>: N concurrent ConversationRelay sessions against a real server process, each answered by a fake
/// OpenAI-compatible model with a fixed time to first token. The calls go out through the Twilio provider to a minimal stand-in
/// of Twilio's REST API in this process (each create gets its own call SID); every session then opens the relay WebSocket the
/// way Twilio does (upgrade signed with <c>X-Twilio-Signature</c>), sends <c>setup</c>, and for each turn a <c>prompt</c>,
/// timing prompt sent → first <c>text</c> frame received. Outdial's own overhead is that time minus the fake's time to first
/// token; it includes loopback WebSocket and HTTP hops, so it is an upper bound of the engine's own work.
/// </summary>
internal static class ConversationBench
{
    private const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    private const string AuthToken = "bench-auth-token";
    private const string Reply = "Thanks for telling me that, I have noted it down and will pass it on to the team today.";

    public static async Task<bool> RunAsync(string serverDll, BenchOptions options, CancellationToken ct)
    {
        await using var model = await FakeOpenAi.StartAsync();
        model.TimeToFirstToken = TimeSpan.FromMilliseconds(options.TimeToFirstTokenMs);
        model.Responder = _ => FakeReply.Text(Reply);
        // The model's actual time to first token per prompt (its delay and timer slack), to subtract exactly.
        var modelTimes = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        model.FirstChunkSent = (request, elapsed) => modelTimes[request.LastUserText ?? ""] = elapsed.TotalMilliseconds;
        await using var twilio = await FakeTwilioApi.StartAsync();
        var port = ServerProcess.FreePort();
        var publicBase = $"http://127.0.0.1:{port}";
        await using var server = await ServerProcess.StartAsync(serverDll, TimeSpan.FromSeconds(60), ct,
        [
            $"--Outdial:PublicBaseUrl={publicBase}",
            $"--Outdial:Twilio:AccountSid={AccountSid}",
            $"--Outdial:Twilio:AuthToken={AuthToken}",
            $"--Outdial:Twilio:BaseUrl={twilio.BaseUrl}",
            "--Outdial:Twilio:CallsPerSecond=1000",
            $"--Outdial:Llm:Endpoint={model.Endpoint}",
            "--Outdial:Llm:Model=bench-model",
            "--Outdial:Conversation:MaxTurns=500",
            "--Outdial:Calls:MaxDurationSec=14400",
            "--Outdial:Reconciler:StaleAfter=01:00:00",
        ], port);
        Console.WriteLine($"server   {serverDll} at {server.BaseAddress} ({Environment.ProcessorCount} cores), pid {server.ProcessId}");
        Console.WriteLine($"model    fake OpenAI-compatible server, time to first token {options.TimeToFirstTokenMs} ms; turns {options.PauseMs / 2}–{options.PauseMs * 3 / 2} ms apart per session");

        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);
        Ok(await http.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/v1/account")
        {
            Content = JsonContent.Create(new JsonObject { ["maxConcurrentCalls"] = Math.Max(10, options.Conversations * 2) }),
        }, ct));
        Ok(await http.PostAsJsonAsync("/v1/phone-numbers", new JsonObject { ["number"] = "+15005550006", ["provider"] = "twilio", ["callsPerSecond"] = 100 }, ct));

        // Place the calls and wait until each attempt has been dialed (its relay URL names the attempt).
        var placing = Stopwatch.StartNew();
        var calls = await Task.WhenAll(Enumerable.Range(0, options.Conversations).Select(async i =>
        {
            var response = await http.PostAsJsonAsync("/v1/calls", new JsonObject
            {
                ["to"] = $"+1212555{i:D4}",
                ["from"] = "+15005550006",
                ["consent"] = new JsonObject { ["obtained"] = true, ["source"] = "bench" },
            }, ct);
            return (string)(await Ok(response).Content.ReadFromJsonAsync<JsonObject>(ct))!["id"]!;
        }));
        var attempts = new string[calls.Length];
        for (var i = 0; i < calls.Length; i++)
        {
            while (true)
            {
                var data = (await http.GetFromJsonAsync<JsonObject>($"/v1/calls/{calls[i]}/attempts", ct))!["data"]!.AsArray();
                if (data.Count > 0 && data[0]!["providerCallId"] is not null)
                {
                    attempts[i] = (string)data[0]!["id"]!;
                    break;
                }
                await Task.Delay(20, ct);
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dialed   {calls.Length} calls through the Twilio provider in {placing.Elapsed.TotalSeconds:0.0} s"));

        var overheads = new ConcurrentBag<double>();
        var failures = new ConcurrentBag<string>();
        var cpu = Process.GetProcessById(server.ProcessId);
        var cpuBefore = cpu.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(attempts.Select(attempt => SessionAsync(publicBase, attempt, options, modelTimes, overheads, failures, ct)));
        wall.Stop();
        cpu.Refresh();
        var cpuUsed = cpu.TotalProcessorTime - cpuBefore;

        var sorted = overheads.Order().ToList();
        if (sorted.Count == 0)
        {
            Console.WriteLine($"no turn completed; failures: {string.Join("; ", failures.Take(5))}");
            return false;
        }
        var p50 = Percentile(sorted, 0.50);
        var p99 = Percentile(sorted, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sessions {options.Conversations} concurrent, {options.Turns} turns each: {sorted.Count} turns measured (each session's first is not) in {wall.Elapsed.TotalSeconds:0.0} s, {failures.Count} failed"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overhead prompt sent → first text frame received, minus the model's own time to first token (about {options.TimeToFirstTokenMs} ms, measured per turn): p50 {p50:0.0} ms  p99 {p99:0.0} ms  max {sorted[^1]:0.0} ms"));
        var busyCores = cpuUsed.TotalSeconds / wall.Elapsed.TotalSeconds;
        var perBusyCore = busyCores > 0 ? options.Conversations / busyCores : double.NaN;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"server   {cpuUsed.TotalSeconds:0.0} s CPU in {wall.Elapsed.TotalSeconds:0.0} s = {busyCores:0.00} cores busy; {options.Conversations / (double)Environment.ProcessorCount:0} sessions per core held, {perBusyCore:0} per busy core"));
        Console.WriteLine(p99 < 10 ? "target   p99 overhead < 10 ms: met" : "target   p99 overhead < 10 ms: NOT met");
        foreach (var failure in failures.Distinct().Take(5))
        {
            Console.WriteLine("failure  " + failure);
        }
        return failures.IsEmpty;
    }

    /// <summary>One relay session as Twilio runs it: signed upgrade, <c>setup</c>, then prompt → streamed reply, <paramref name="options"/>.Turns times.</summary>
    private static async Task SessionAsync(string publicBase, string attemptId, BenchOptions options, ConcurrentDictionary<string, double> modelTimes,
        ConcurrentBag<double> overheads, ConcurrentBag<string> failures, CancellationToken ct)
    {
        var url = publicBase.Replace("http://", "ws://", StringComparison.Ordinal) + $"/providers/twilio/relay/{attemptId}";
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Twilio-Signature", Sign(url));
        try
        {
            await socket.ConnectAsync(new Uri(url), ct);
            await SendAsync(socket, $$$"""{"type":"setup","sessionId":"VX{{{attemptId}}}","callSid":"CA{{{attemptId}}}","from":"+15005550006","to":"+12125550100","direction":"outbound-api","customParameters":{}}""", ct);
            var buffer = new byte[16 * 1024];
            var random = new Random(attemptId.GetHashCode(StringComparison.Ordinal));
            for (var turn = 0; turn < options.Turns; turn++)
            {
                // A conversation's turns are seconds apart (the agent speaks, the callee answers): sessions are spread out
                // as in real calls rather than all asking at the same instant.
                await Task.Delay(TimeSpan.FromMilliseconds(options.PauseMs * (0.5 + random.NextDouble())), ct);
                var said = $"This is what I say in turn {turn} of {attemptId}.";
                var sent = Stopwatch.GetTimestamp();
                await SendAsync(socket, $$"""{"type":"prompt","voicePrompt":"{{said}}","lang":"en-US","last":true}""", ct);
                var first = true;
                while (true)
                {
                    var frame = await ReceiveAsync(socket, buffer, ct);
                    if (frame is null)
                    {
                        failures.Add("the session closed early");
                        return;
                    }
                    if ((string?)frame["type"] != "text")
                    {
                        continue;
                    }
                    if (first)
                    {
                        // The first turn also starts the session (and warms the server up): measured from the second on.
                        var total = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                        if (turn > 0)
                        {
                            overheads.Add(total - (modelTimes.TryGetValue(said, out var model) ? model : options.TimeToFirstTokenMs));
                        }
                        first = false;
                    }
                    if ((bool?)frame["last"] == true)
                    {
                        break;
                    }
                }
            }
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException)
        {
            failures.Add(ex.Message);
        }
    }

    /// <summary>Twilio's request signature of a WebSocket upgrade: base64(HMAC-SHA1(auth token, URL)), no parameters.</summary>
    private static string Sign(string url)
    {
#pragma warning disable CA5350 // Twilio's algorithm
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(AuthToken), Encoding.UTF8.GetBytes(url)));
#pragma warning restore CA5350
    }

    private static Task SendAsync(ClientWebSocket socket, string json, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, ct);

    private static async Task<JsonNode?> ReceiveAsync(ClientWebSocket socket, byte[] buffer, CancellationToken ct)
    {
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            count += result.Count;
            if (result.EndOfMessage)
            {
                return JsonNode.Parse(buffer.AsSpan(0, count));
            }
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static HttpResponseMessage Ok(HttpResponseMessage response) =>
        response.IsSuccessStatusCode ? response : throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: HTTP {(int)response.StatusCode}");

    /// <summary>A stand-in for Twilio's REST API: a create answers 201 with a new call SID; a fetch answers the call in progress.</summary>
    private sealed class FakeTwilioApi : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _next;

        private FakeTwilioApi(WebApplication app)
        {
            _app = app;
            BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        }

        public string BaseUrl { get; }

        public static async Task<FakeTwilioApi> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            FakeTwilioApi? api = null;
            app.Run(context => api!.HandleAsync(context));
            await app.StartAsync();
            api = new FakeTwilioApi(app);
            return api;
        }

        private Task HandleAsync(HttpContext context)
        {
            var sid = HttpMethods.IsPost(context.Request.Method)
                ? "CA" + Interlocked.Increment(ref _next).ToString("D32", CultureInfo.InvariantCulture)
                : context.Request.Path.Value!.Split('/')[^1].Replace(".json", "", StringComparison.Ordinal);
            context.Response.StatusCode = HttpMethods.IsPost(context.Request.Method) ? 201 : 200;
            context.Response.ContentType = "application/json";
            var now = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
            return context.Response.WriteAsync($$"""{"sid":"{{sid}}","account_sid":"{{AccountSid}}","status":"in-progress","direction":"outbound-api","date_created":"{{now}}","date_updated":"{{now}}","start_time":"{{now}}"}""");
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
