using System.Diagnostics;
using System.Net;
using System.Text;

namespace Outdial.Bench;

/// <summary>Result of one load phase: counts, wall time, latencies (sorted, in <see cref="Stopwatch"/> ticks) and status histogram.</summary>
public sealed record PhaseResult(long Requests, long Accepted, double ElapsedSeconds, long[] SortedLatencyTicks, IReadOnlyDictionary<int, long> Statuses)
{
    /// <summary>Requests answered with anything but 202, plus transport failures (status 0).</summary>
    public long Errors => Requests - Accepted;

    /// <summary>202 responses per second of wall time.</summary>
    public double AcceptedPerSecond => ElapsedSeconds > 0 ? Accepted / ElapsedSeconds : 0;

    /// <summary>Latency at quantile <paramref name="q"/> (0..1, nearest rank), in milliseconds.</summary>
    public double LatencyMs(double q)
    {
        if (SortedLatencyTicks.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(q * SortedLatencyTicks.Length) - 1;
        return SortedLatencyTicks[Math.Clamp(rank, 0, SortedLatencyTicks.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}

/// <summary>
/// Closed-loop load: N clients share one <see cref="HttpClient"/> per server node (client i uses node i mod the node
/// count, so several nodes get the clients round-robin); each sends one POST, waits for the whole answer, records its
/// latency and status, and sends the next until the phase's time is up.
/// </summary>
public sealed class LoadRunner(IReadOnlyList<HttpClient> nodes)
{
    /// <summary>Load against one server.</summary>
    public LoadRunner(HttpClient http) : this([http])
    {
    }

    /// <summary>Status code recorded for a request that failed without an HTTP answer.</summary>
    public const int TransportFailure = 0;

    /// <summary>Runs <paramref name="clients"/> loops POSTing <paramref name="body"/>() to <paramref name="path"/> for <paramref name="duration"/>.</summary>
    public async Task<PhaseResult> RunAsync(string path, Func<string> body, int clients, TimeSpan duration, CancellationToken ct)
    {
        var uri = new Uri(path, UriKind.Relative);
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = new Task<ClientStats>[clients];
        for (var i = 0; i < clients; i++)
        {
            var http = nodes[i % nodes.Count];
            loops[i] = Task.Run(() => ClientLoopAsync(http, uri, body, end, ct), ct);
        }
        var stats = await Task.WhenAll(loops);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var latencies = new long[stats.Sum(s => s.Latencies.Count)];
        var offset = 0;
        var statuses = new Dictionary<int, long>();
        long accepted = 0;
        foreach (var s in stats)
        {
            s.Latencies.CopyTo(latencies, offset);
            offset += s.Latencies.Count;
            accepted += s.Accepted;
            foreach (var (code, count) in s.Statuses)
            {
                statuses[code] = statuses.GetValueOrDefault(code) + count;
            }
        }
        Array.Sort(latencies);
        return new PhaseResult(latencies.Length, accepted, elapsed, latencies, statuses);
    }

    private static async Task<ClientStats> ClientLoopAsync(HttpClient http, Uri uri, Func<string> body, long end, CancellationToken ct)
    {
        var stats = new ClientStats();
        while (Stopwatch.GetTimestamp() < end)
        {
            ct.ThrowIfCancellationRequested();
            using var content = new StringContent(body(), Encoding.UTF8, "application/json");
            var sent = Stopwatch.GetTimestamp();
            int status;
            try
            {
                using var response = await http.PostAsync(uri, content, ct);
                await response.Content.LoadIntoBufferAsync(ct);
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException) when (!ct.IsCancellationRequested)
            {
                status = TransportFailure;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                status = TransportFailure; // HttpClient.Timeout
            }
            stats.Latencies.Add(Stopwatch.GetTimestamp() - sent);
            stats.Statuses[status] = stats.Statuses.GetValueOrDefault(status) + 1;
            if (status == (int)HttpStatusCode.Accepted)
            {
                stats.Accepted++;
            }
        }
        return stats;
    }

    private sealed class ClientStats
    {
        public List<long> Latencies { get; } = new(capacity: 1 << 14);
        public Dictionary<int, long> Statuses { get; } = [];
        public long Accepted { get; set; }
    }
}
