using System.Diagnostics;
using System.Globalization;
using Outdial.Tests.Shared;

namespace Outdial.Bench;

/// <summary>What one column (engine × nodes) measured through the API. Latencies in milliseconds; NaN = not measured.</summary>
internal sealed record ColumnResult(string Name, PhaseResult Intake, int DispatchQueued, int Dialed, double DialsPerSecond, double FirstDialMs,
    double LastDialMs, bool QueuedBeforeDue, int LatenessSent, double[] LatenessMs)
{
    /// <summary>Requests that failed in any phase, and calls not dialed by the deadline.</summary>
    public long Errors => Intake.Errors + (DispatchQueued - Dialed) + (LatenessSent - LatenessMs.Length);
}

/// <summary>
/// <c>--scale</c>: SQLite, PostgreSQL ×1 node and PostgreSQL ×3 nodes side by side in one run (issue 17's benchmark). Per
/// column, through the API of real server processes with workers on: intake, dispatch of a backlog due at one instant with
/// pacing lifted, and due-time lateness at light load. Per engine, in this process (<see cref="ClaimBench"/>): claim latency
/// with 10k and <c>--queued</c> calls, then the server's RSS over that queue. Prints one table; never asserts timing.
/// </summary>
internal static class ScaleBench
{
    /// <summary>Extra sandbox caller IDs (100 calls/s each, the API's maximum per number) the dispatch calls are spread over.</summary>
    private const int ExtraCallerIds = 19;

    private static long s_sequence;

    public static async Task<bool> RunAsync(string serverDll, BenchOptions o, CancellationToken ct)
    {
        if (!File.Exists(serverDll))
        {
            throw new FileNotFoundException($"{serverDll} not found; build the server first: dotnet build src/Outdial.Server -c Release", serverDll);
        }
        if (o.Postgres is { Length: > 0 } postgres)
        {
            Environment.SetEnvironmentVariable(PostgresTestServer.Variable, postgres);
        }
        var started = Stopwatch.GetTimestamp();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scale    {serverDll}, {Environment.ProcessorCount} cores; PostgreSQL: {(o.Postgres is { Length: > 0 } ? "--postgres" : Environment.GetEnvironmentVariable(PostgresTestServer.Variable) is { Length: > 0 } ? PostgresTestServer.Variable : "a throw-away cluster")}"));
        var columns = new List<ColumnResult>
        {
            await RunColumnAsync(serverDll, "SQLite", postgres: false, nodes: 1, o, ct),
            await RunColumnAsync(serverDll, "PostgreSQL ×1", postgres: true, nodes: 1, o, ct),
            await RunColumnAsync(serverDll, "PostgreSQL ×3", postgres: true, nodes: 3, o, ct),
        };
        var sqlite = await ClaimBench.RunAsync(serverDll, postgres: false, o, ct);
        var pg = await ClaimBench.RunAsync(serverDll, postgres: true, o, ct);
        ScaleReport.Print(columns, sqlite, pg, o, Stopwatch.GetElapsedTime(started));
        return columns.All(c => c.Errors == 0) && sqlite.Clean && pg.Clean;
    }

    private static async Task<ColumnResult> RunColumnAsync(string serverDll, string name, bool postgres, int nodes, BenchOptions o, CancellationToken ct)
    {
        Console.WriteLine($"{name}: starting {nodes} node(s)");
        await using var cluster = await ScaleCluster.StartAsync(serverDll, postgres, nodes, o.Clients, ct);
        var callerIds = await cluster.LiftPacingAsync(ExtraCallerIds, ct);

        // 1. Intake: calls due in a day, so that nothing is dialed while it runs (the dispatchers idle over them).
        var runner = new LoadRunner(cluster.Clients);
        var farAway = DateTimeOffset.UtcNow.AddDays(1);
        string IntakeBody() => Body(ToNumber(), null, farAway, allowDuplicates: false);
        if (o.WarmupSeconds > 0)
        {
            await runner.RunAsync("v1/calls", IntakeBody, o.Clients, TimeSpan.FromSeconds(o.WarmupSeconds), ct);
        }
        var intake = await runner.RunAsync("v1/calls", IntakeBody, o.Clients, TimeSpan.FromSeconds(o.Seconds), ct);
        cluster.ThrowIfAnyExited("intake");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: intake {intake.AcceptedPerSecond:0} calls/s  p50 {intake.LatencyMs(0.5):0.0} ms  p99 {intake.LatencyMs(0.99):0.0} ms  errors {intake.Errors}"));

        // 2. Dispatch: N calls due at one instant T0, queued before it; time from T0 until every one has its attempt.
        var n = o.DispatchCalls;
        // Queueing runs at 32 clients with the dispatchers awake, slower than the intake phase: three times its time, plus 1 s.
        var lead = TimeSpan.FromSeconds(1 + 3.0 * n / Math.Max(100, intake.AcceptedPerSecond));
        var due = DateTimeOffset.UtcNow + lead;
        var queued = await PostAllAsync(cluster, n, Math.Min(o.Clients, 32),
            i => Body(FailingNumber(i), callerIds[i % callerIds.Count], due, allowDuplicates: true), ct);
        var queuedBeforeDue = DateTimeOffset.UtcNow <= due;
        var attempts = await WaitForAttemptsAsync(cluster, queued.Count, due + TimeSpan.FromSeconds(120), ct);
        var times = attempts.Select(a => (a.CreatedAt - due).TotalMilliseconds).Order().ToArray();
        var last = times.Length > 0 ? times[^1] : double.NaN;
        var dialsPerSecond = times.Length > 0 ? times.Length / (Math.Max(last, 1) / 1000) : 0;
        cluster.ThrowIfAnyExited("dispatch");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: dispatch {attempts.Count}/{n} dialed, first {(times.Length > 0 ? times[0] : double.NaN):0} ms and last {last:0} ms after the due time: {dialsPerSecond:0} dials/s{(queuedBeforeDue ? "" : " (queueing ended after the due time)")}"));

        // 3. Lateness at light load: one call every 1/rate s, each due 1–2 s after it is sent.
        // Light load means the dispatch burst is over: its calls have ended (at most 30 s), then 1 s more.
        var settle = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (await cluster.ActiveCallCountAsync(ct) > 0 && DateTimeOffset.UtcNow < settle)
        {
            await Task.Delay(200, ct);
        }
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        var sent = await ScheduleLightLoadAsync(cluster, o, ct);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        var lateness = new List<double>();
        while (true)
        {
            var byCall = (await cluster.AttemptsAsync(ct)).ToDictionary(a => a.CallId, a => a.CreatedAt, StringComparer.Ordinal);
            lateness = [.. sent.Where(s => byCall.ContainsKey(s.Id)).Select(s => (byCall[s.Id] - s.Due).TotalMilliseconds)];
            if (lateness.Count == sent.Count || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(200, ct);
        }
        lateness.Sort();
        cluster.ThrowIfAnyExited("lateness");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: lateness {lateness.Count}/{o.LatenessCalls} dialed, p50 {Quantile(lateness, 0.5):0.0} ms  p99 {Quantile(lateness, 0.99):0.0} ms  max {Quantile(lateness, 1):0.0} ms"));
        return new ColumnResult(name, intake, n, attempts.Count, dialsPerSecond, times.Length > 0 ? times[0] : double.NaN, last, queuedBeforeDue,
            o.LatenessCalls, [.. lateness]);
    }

    /// <summary>
    /// Sends one call every 1/rate seconds (round-robin over the nodes), each due 1–2 s (uniformly at random) after it is
    /// sent: a fixed lead of whole send intervals would make every due time coincide with a later call's acceptance.
    /// </summary>
    private static async Task<List<(string Id, DateTimeOffset Due)>> ScheduleLightLoadAsync(ScaleCluster cluster, BenchOptions o, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var pending = new List<Task<(string? Id, DateTimeOffset Due)>>();
        for (var i = 0; i < o.LatenessCalls; i++)
        {
            var at = TimeSpan.FromSeconds((double)i / o.LatenessRate) - Stopwatch.GetElapsedTime(start);
            if (at > TimeSpan.Zero)
            {
                await Task.Delay(at, ct);
            }
            // Whole milliseconds: the store keeps due times in milliseconds.
            var due = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000 + Random.Shared.Next(1000));
            var http = cluster.Clients[i % cluster.Clients.Count];
            var body = Body(FailingNumber(i), null, due, allowDuplicates: true);
            pending.Add(Task.Run(async () => (await ScaleCluster.PostCallAsync(http, body, ct), due), ct));
        }
        var results = await Task.WhenAll(pending);
        return [.. results.Where(r => r.Id is not null).Select(r => (r.Id!, r.Due))];
    }

    /// <summary>POSTs <paramref name="count"/> calls with <paramref name="concurrency"/> clients round-robin over the nodes; returns the accepted ids.</summary>
    private static async Task<List<string>> PostAllAsync(ScaleCluster cluster, int count, int concurrency, Func<int, string> body, CancellationToken ct)
    {
        var next = -1;
        var ids = new List<string>(count);
        var loops = Enumerable.Range(0, concurrency).Select(c => Task.Run(async () =>
        {
            var http = cluster.Clients[c % cluster.Clients.Count];
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                if (await ScaleCluster.PostCallAsync(http, body(i), ct) is { } id)
                {
                    lock (ids)
                    {
                        ids.Add(id);
                    }
                }
            }
        }, ct));
        await Task.WhenAll(loops);
        return ids;
    }

    /// <summary>Polls until at least <paramref name="count"/> attempts exist or <paramref name="deadline"/> passes; returns them.</summary>
    private static async Task<List<(string CallId, DateTimeOffset CreatedAt)>> WaitForAttemptsAsync(ScaleCluster cluster, int count, DateTimeOffset deadline,
        CancellationToken ct)
    {
        while (await cluster.AttemptCountAsync(ct) < count && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }
        return await cluster.AttemptsAsync(ct);
    }

    /// <summary>A call body; <paramref name="notBefore"/> is written with millisecond precision and an explicit UTC offset.</summary>
    internal static string Body(string to, string? from, DateTimeOffset notBefore, bool allowDuplicates) =>
        string.Create(CultureInfo.InvariantCulture,
            $$$"""{"to":"{{{to}}}",{{{(from is null ? "" : $"\"from\":\"{from}\",")}}}"notBefore":"{{{notBefore.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff}}}+00:00","allowDuplicates":{{{(allowDuplicates ? "true" : "false")}}},"contact":{"firstName":"Ada"},"consent":{"obtained":true,"source":"bench"},"metadata":{"crmId":"123"}}""");

    /// <summary>A distinct number (the duplicate guard would answer 409 to a repeat).</summary>
    private static string ToNumber() =>
        string.Create(CultureInfo.InvariantCulture, $"+1555{Interlocked.Increment(ref s_sequence) % 10_000_000:D7}");

    /// <summary>A number the sandbox fails at once (last four digits 0004: invalid number, 0.5 simulated seconds after the dial).</summary>
    internal static string FailingNumber(int i) => string.Create(CultureInfo.InvariantCulture, $"+1555{i % 1000:D3}0004");

    /// <summary>Nearest-rank quantile of sorted <paramref name="values"/>; NaN when empty.</summary>
    internal static double Quantile(IReadOnlyList<double> values, double q) =>
        values.Count == 0 ? double.NaN : values[Math.Clamp((int)Math.Ceiling(q * values.Count) - 1, 0, values.Count - 1)];
}
