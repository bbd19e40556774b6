using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Outdial.Bench;

/// <summary>What the webhook drain saw; <see cref="IsClean"/> decides the exit code.</summary>
/// <param name="Received">Distinct deliveries the receiver got from its start to the end of the drain window.</param>
/// <param name="Drained">No delivery was pending before the deadline (the deliverer caught up with the outbox).</param>
/// <param name="Pending">Deliveries still pending at the deadline (0 when drained; a lower bound when the count was capped).</param>
/// <param name="Failed">Deliveries the server gave up on (status <c>failed</c>).</param>
/// <param name="Rejected">Requests the receiver could not read (answered 404).</param>
public sealed record WebhookDrainResult(long Received, bool Drained, long Pending, long Failed, long Rejected)
{
    /// <summary>Nothing failed and nothing was rejected; a backlog left at the deadline is a measurement, not an error.</summary>
    public bool IsClean => Failed == 0 && Rejected == 0;
}

/// <summary>
/// The optional webhook measurement (<c>--webhook-endpoints N</c>): registers N account endpoints pointing at a
/// <see cref="WebhookReceiver"/>, and after the <c>calls</c> phase waits until no delivery is pending, then prints
/// delivery throughput and event→arrival lag.
/// </summary>
internal static class WebhookBench
{
    /// <summary>Statuses of calls that will still write events (and so deliveries).</summary>
    private static readonly string[] s_activeCallStatuses = ["queued", "dialing", "ringing", "in_progress"];

    /// <summary>Page size of the list endpoints (their maximum).</summary>
    private const int PageSize = 100;

    /// <summary>Most pages read when counting what is left at the deadline (so at most 100 000 rows per list).</summary>
    private const int MaxCountPages = 1000;

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Registers <paramref name="count"/> endpoints <c>/hook/1</c> … <c>/hook/N</c> of <paramref name="receiver"/>; returns their ids.</summary>
    public static async Task<IReadOnlyList<string>> RegisterAsync(HttpClient http, WebhookReceiver receiver, int count, CancellationToken ct)
    {
        var ids = new List<string>(count);
        for (var n = 1; n <= count; n++)
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["url"] = receiver.HookUrl(n).ToString(),
                ["description"] = string.Create(CultureInfo.InvariantCulture, $"bench receiver {n}"),
            });
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri("v1/webhook-endpoints", UriKind.Relative), content, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"registering webhook endpoint {n} answered {(int)response.StatusCode}: {text}");
            }
            using var doc = JsonDocument.Parse(text);
            ids.Add(doc.RootElement.GetProperty("id").GetString()!);
        }
        Console.WriteLine($"webhooks {count} endpoint{(count == 1 ? "" : "s")} at {receiver.HookUrl(1)}{(count > 1 ? $" … /hook/{count}" : "")}");
        return ids;
    }

    /// <summary>
    /// Waits (at most <paramref name="timeout"/> after <paramref name="phaseEnd"/>, a <see cref="Stopwatch"/> timestamp taken
    /// when the <c>calls</c> phase returned) until no delivery of <paramref name="endpointIds"/> is pending, i.e. the
    /// deliverer has caught up with the outbox, then prints the figures. Calls the dispatcher has not finished yet will
    /// write more events later; they are counted and reported, not waited for (dials are paced, so that can take hours).
    /// </summary>
    public static async Task<WebhookDrainResult> DrainAsync(HttpClient http, WebhookReceiver receiver, IReadOnlyList<string> endpointIds,
        PhaseResult calls, long phaseEnd, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = phaseEnd + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long? caughtUp = null;
        while (true)
        {
            var polled = Stopwatch.GetTimestamp();
            if (!await AnyAsync(http, endpointIds.Select(id => $"v1/webhook-deliveries?endpointId={id}&status=pending&limit=1"), ct))
            {
                caughtUp = polled;
                break;
            }
            if (polled >= deadline)
            {
                break;
            }
            await Task.Delay(s_pollInterval, ct);
        }
        var end = caughtUp ?? deadline;
        var arrivals = receiver.Snapshot().Where(a => a.ArrivedTicks <= end).ToArray();

        var pending = new Count(0, false);
        if (caughtUp is null)
        {
            foreach (var id in endpointIds)
            {
                pending += await CountAsync(http, $"v1/webhook-deliveries?endpointId={id}&status=pending", ct);
            }
        }
        var unfinished = new Count(0, false);
        foreach (var status in s_activeCallStatuses)
        {
            unfinished += await CountAsync(http, $"v1/calls?status={status}", ct);
        }
        var failed = new Count(0, false);
        foreach (var id in endpointIds)
        {
            failed += await CountAsync(http, $"v1/webhook-deliveries?endpointId={id}&status=failed", ct);
        }

        Print(receiver, arrivals, calls, phaseEnd, caughtUp is null ? deadline : null, timeout, pending, unfinished, failed);
        return new WebhookDrainResult(arrivals.Length, caughtUp is not null, pending.Value, failed.Value, receiver.Rejected);
    }

    private static void Print(WebhookReceiver receiver, WebhookArrival[] arrivals, PhaseResult calls, long phaseEnd, long? deadline,
        TimeSpan timeout, Count pending, Count unfinished, Count failed)
    {
        var phaseStart = phaseEnd - (long)(calls.ElapsedSeconds * Stopwatch.Frequency);
        var during = arrivals.Count(a => a.ArrivedTicks >= phaseStart && a.ArrivedTicks < phaseEnd);
        var after = arrivals.Where(a => a.ArrivedTicks >= phaseEnd).ToArray();
        // The drain window runs from the phase's end to the last arrival before the outbox was seen empty, or to the deadline.
        var windowEnd = deadline ?? (after.Length > 0 ? after.Max(a => a.ArrivedTicks) : phaseEnd);
        var window = (double)(windowEnd - phaseEnd) / Stopwatch.Frequency;
        var lags = arrivals.Select(a => a.LagMs).ToArray();
        Array.Sort(lags);

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv,
            $"{"webhooks",-9}during calls {calls.ElapsedSeconds:0.0} s: {during} received ({Rate(during, calls.ElapsedSeconds)}/s)"));
        var state = deadline is null
            ? "outbox empty"
            : $"deadline {timeout.TotalSeconds:0} s reached with {pending} still pending";
        Console.WriteLine(string.Create(inv,
            $"{"webhooks",-9}drain {window:0.0} s: {after.Length} received ({Rate(after.Length, window)}/s), {state}"));
        Console.WriteLine(string.Create(inv,
            $"{"webhooks",-9}total {arrivals.Length} received  lag p50 {Quantile(lags, 0.50):0} ms  p95 {Quantile(lags, 0.95):0} ms  p99 {Quantile(lags, 0.99):0} ms  max {Quantile(lags, 1):0} ms  duplicates {receiver.Duplicates}  failed {failed}  rejected {receiver.Rejected}"));
        Console.WriteLine(string.Create(inv,
            $"{"webhooks",-9}{unfinished} calls not finished yet (dials are paced); their later events are not in these figures"));
    }

    /// <summary>A count from paging a list, and whether paging stopped at <see cref="MaxCountPages"/> (then it is a lower bound).</summary>
    private readonly record struct Count(long Value, bool Capped)
    {
        public static Count operator +(Count a, Count b) => new(a.Value + b.Value, a.Capped || b.Capped);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{(Capped ? "≥" : "")}{Value}");
    }

    /// <summary>"N/s", or "-/s" for an empty window (the outbox was already empty when the phase ended).</summary>
    private static string Rate(long count, double seconds) =>
        seconds > 0 && count > 0 ? (count / seconds).ToString("0", CultureInfo.InvariantCulture) : "-";

    /// <summary>Nearest-rank quantile of sorted <paramref name="values"/>; NaN when empty.</summary>
    private static double Quantile(double[] values, double q)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(q * values.Length) - 1;
        return values[Math.Clamp(rank, 0, values.Length - 1)];
    }

    /// <summary>Whether any of the list <paramref name="queries"/> returns at least one item.</summary>
    private static async Task<bool> AnyAsync(HttpClient http, IEnumerable<string> queries, CancellationToken ct)
    {
        foreach (var query in queries)
        {
            var (items, _) = await PageAsync(http, query, ct);
            if (items > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Counts a list by paging through it (at most <see cref="MaxCountPages"/> pages).</summary>
    private static async Task<Count> CountAsync(HttpClient http, string query, CancellationToken ct)
    {
        long count = 0;
        string? cursor = null;
        for (var page = 0; page < MaxCountPages; page++)
        {
            var (items, next) = await PageAsync(http, $"{query}&limit={PageSize}{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", ct);
            count += items;
            if (next is null)
            {
                return new Count(count, false);
            }
            cursor = next;
        }
        return new Count(count, true);
    }

    /// <summary>GETs one page of a list; returns its item count and <c>nextCursor</c>.</summary>
    private static async Task<(int Items, string? NextCursor)> PageAsync(HttpClient http, string query, CancellationToken ct)
    {
        using var response = await http.GetAsync(new Uri(query, UriKind.Relative), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /{query} answered {(int)response.StatusCode}: {text}");
        }
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        var next = root.TryGetProperty("nextCursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        return (root.GetProperty("data").GetArrayLength(), next);
    }
}
