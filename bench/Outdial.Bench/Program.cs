using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using Outdial.Bench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"error: {ex.Message}{Environment.NewLine}{Environment.NewLine}{BenchOptions.Usage}");
    return 2;
}
if (options.ShowHelp)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    cts.Cancel();
});

try
{
    var serverDll = options.ServerDll is not null
        ? Path.GetFullPath(options.ServerDll)
        : Path.Combine(Bench.RepoRoot(), "src", "Outdial.Server", "bin", "Release", "net10.0", "Outdial.Server.dll");

    if (options.Zones > 0)
    {
        ZonesBench.Run(options.Zones);
        return 0;
    }

    if (options.Scale)
    {
        return await ScaleBench.RunAsync(serverDll, options, cts.Token) ? 0 : 1;
    }

    if (options.Conversations > 0)
    {
        return await ConversationBench.RunAsync(serverDll, options, cts.Token) ? 0 : 1;
    }

    if (options.ImportRows > 0)
    {
        // Default settings: the contacts endpoint streams uploads past the global request-body limit (it has its own, 1 GiB).
        await using var importServer = await ServerProcess.StartAsync(serverDll, TimeSpan.FromSeconds(60), cts.Token, []);
        Console.WriteLine($"server   {serverDll} at {importServer.BaseAddress} ({Environment.ProcessorCount} cores), pid {importServer.ProcessId}");
        return await ImportBench.RunAsync(importServer, options, cts.Token) ? 0 : 1;
    }

    await using var server = await ServerProcess.StartAsync(serverDll, TimeSpan.FromSeconds(60), cts.Token);
    Console.WriteLine($"server   {serverDll} at {server.BaseAddress} ({Environment.ProcessorCount} cores)");

    using var handler = new SocketsHttpHandler
    {
        MaxConnectionsPerServer = options.Clients,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        UseCookies = false,
        UseProxy = false,
    };
    using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);
    var runner = new LoadRunner(http);

    await using var receiver = options.WebhookEndpoints > 0 ? await WebhookReceiver.StartAsync(cts.Token) : null;
    var endpointIds = receiver is not null
        ? await WebhookBench.RegisterAsync(http, receiver, options.WebhookEndpoints, cts.Token)
        : [];

    var ceiling = await Bench.PhaseAsync(runner, server, options, "ceiling", "/v1/bench/parse", cts.Token);
    var calls = await Bench.PhaseAsync(runner, server, options, "calls", "/v1/calls", cts.Token);
    var callsEnd = Stopwatch.GetTimestamp();
    var ratio = ceiling.AcceptedPerSecond > 0 ? 100 * calls.AcceptedPerSecond / ceiling.AcceptedPerSecond : double.NaN;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio    calls/ceiling = {ratio:0.0} %"));

    var webhooksClean = true;
    if (receiver is not null)
    {
        var drain = await WebhookBench.DrainAsync(http, receiver, endpointIds, calls, callsEnd,
            TimeSpan.FromSeconds(options.WebhookDrainSeconds), cts.Token);
        webhooksClean = drain.IsClean;
    }
    return ceiling.Errors + calls.Errors == 0 && webhooksClean ? 0 : 1;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync("interrupted; server stopped and data directory removed");
    return 130;
}
catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or TimeoutException or DirectoryNotFoundException
    or System.Data.Common.DbException or HttpRequestException)
{
    await Console.Error.WriteLineAsync($"error: {ex.Message}");
    return 1;
}

/// <summary>Phases, output formatting and request bodies of the benchmark.</summary>
internal static class Bench
{
    private static long s_sequence;

    /// <summary>A valid call body with a <c>to</c> number unique to this request (the duplicate guard would answer 409).</summary>
    public static string CallBody()
    {
        var n = Interlocked.Increment(ref s_sequence) % 10_000_000;
        return string.Create(CultureInfo.InvariantCulture,
            $$$"""{"to":"+1555{{{n:D7}}}","contact":{"firstName":"Ada"},"consent":{"obtained":true,"source":"bench"},"metadata":{"crmId":"123"}}""");
    }

    /// <summary>Warm-up (discarded), then the measured run; prints one line (plus the status histogram on errors).</summary>
    public static async Task<PhaseResult> PhaseAsync(LoadRunner runner, ServerProcess server, BenchOptions o, string label, string path, CancellationToken ct)
    {
        if (o.WarmupSeconds > 0)
        {
            await runner.RunAsync(path, CallBody, o.Clients, TimeSpan.FromSeconds(o.WarmupSeconds), ct);
        }
        var r = await runner.RunAsync(path, CallBody, o.Clients, TimeSpan.FromSeconds(o.Seconds), ct);
        if (server.HasExited)
        {
            throw new InvalidOperationException($"the server exited during the {label} phase:{Environment.NewLine}{server.RecentOutput}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-9}{path,-17}{o.Clients} clients {o.Seconds} s: {r.AcceptedPerSecond:0} req/s  p50 {r.LatencyMs(0.50):0.0} ms  p90 {r.LatencyMs(0.90):0.0} ms  p99 {r.LatencyMs(0.99):0.0} ms  max {r.LatencyMs(1):0.0} ms  errors {r.Errors}  ({r.Requests} requests)"));
        if (r.Errors > 0)
        {
            var histogram = r.Statuses.Where(s => s.Key != 202).OrderBy(s => s.Key)
                .Select(s => string.Create(CultureInfo.InvariantCulture, $"{(s.Key == LoadRunner.TransportFailure ? "no answer" : s.Key)} x{s.Value}"));
            Console.WriteLine($"{"",-9}errors by status: {string.Join(", ", histogram)}");
        }
        return r;
    }

    /// <summary>The folder holding <c>Outdial.slnx</c>, found by walking up from the working directory, then from the bench's own folder.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Outdial.slnx")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new DirectoryNotFoundException("Outdial.slnx not found above the working directory or the bench; pass --server-dll");
    }
}
