using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Outdial.Bench;

/// <summary>
/// The bulk-import measurement (<c>--import-rows N</c>): creates a campaign, streams a generated CSV of N unique contacts
/// to <c>POST /v1/campaigns/{id}/contacts</c> (never held in memory), polls the import until it completes, and prints
/// upload time, import time, rows per second and the peak memory of the server and of the bench.
/// </summary>
internal static class ImportBench
{

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs the measurement and prints it; true when the import completed with exactly N accepted contacts.</summary>
    public static async Task<bool> RunAsync(ServerProcess server, BenchOptions o, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { UseCookies = false, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        // No client timeout: the upload may take minutes; every other request gets its own 30 s deadline.
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);
        var rows = o.ImportRows;

        await using var memory = MemoryWatch.Start(server.ProcessId);
        var campaignId = await CreateCampaignAsync(http, ct);
        var baseline = memory.ServerRssNow;

        // Upload: from sending the request to the 202 (the server has buffered, spooled and fsynced the whole body).
        var content = new CsvRowsContent(rows);
        memory.BeginPhase();
        var uploadStart = Stopwatch.GetTimestamp();
        string location;
        JsonElement first;
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"v1/campaigns/{campaignId}/contacts", UriKind.Relative)) { Content = content })
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (HttpRequestException ex)
            {
                throw new InvalidOperationException($"the upload failed after {content.BytesWritten} bytes: {ex.Message}{Environment.NewLine}{server.RecentOutput}", ex);
            }
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw new InvalidOperationException($"POST /v1/campaigns/{campaignId}/contacts answered {(int)response.StatusCode}: {text}");
                }
                location = response.Headers.Location?.OriginalString
                    ?? throw new InvalidOperationException("the 202 of the upload has no Location header");
                using var doc = JsonDocument.Parse(text);
                first = doc.RootElement.Clone();
            }
        }
        var accepted202 = Stopwatch.GetTimestamp();
        var uploadSeconds = Seconds(uploadStart, accepted202);
        var uploadPeak = memory.EndPhase();
        var uploadMb = content.BytesWritten / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"upload",-9}{rows} rows, {uploadMb:0.0} MB in {uploadSeconds:0.00} s ({uploadMb / uploadSeconds:0.0} MB/s)  202 import {first.GetProperty("id").GetString()} status {first.GetProperty("status").GetString()}"));

        // Import: from the 202 to the first poll that sees the import finished.
        memory.BeginPhase();
        var deadline = accepted202 + (long)(o.ImportTimeoutSeconds * (double)Stopwatch.Frequency);
        var lastPrint = accepted202;
        long lastPrintRows = 0;
        ImportState state;
        while (true)
        {
            state = await GetImportAsync(http, server, location, ct);
            var now = Stopwatch.GetTimestamp();
            if (state.Status is "completed" or "failed")
            {
                break;
            }
            if (now >= deadline)
            {
                break;
            }
            if (Seconds(lastPrint, now) >= s_progressInterval.TotalSeconds)
            {
                var interval = Seconds(lastPrint, now);
                var rate = (state.RowsRead - lastPrintRows) / interval;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{"import",-9}{Seconds(accepted202, now),6:0.0} s  rows read {state.RowsRead,8}  accepted {state.Accepted,8}  progress {state.Progress:P1}  {rate:0} rows/s ({Batch(rate)} ms per 1,000-row batch)  server RSS {Mb(memory.ServerRssNow):0} MB"));
                lastPrint = now;
                lastPrintRows = state.RowsRead;
            }
            await Task.Delay(s_pollInterval, ct);
        }
        var finished = Stopwatch.GetTimestamp();
        var importSeconds = Seconds(accepted202, finished);
        var importPeak = memory.EndPhase();
        var totalSeconds = Seconds(uploadStart, finished);
        // The kernel updates VmHWM lazily, so it can lag the largest VmRSS sampled; the peak is the larger of the two.
        var serverPeak = Math.Max(memory.ServerPeakNow, Math.Max(uploadPeak, importPeak));
        var benchHwm = Math.Max(MemoryWatch.ReadStatusKb(Environment.ProcessId, "VmHWM") * 1024, Environment.WorkingSet);
        var dataBytes = DirectoryBytes(server.DataDirectory);

        var timedOut = state.Status is not ("completed" or "failed");
        var problems = new List<string>();
        if (state.Status != "completed")
        {
            problems.Add(timedOut
                ? $"the import was still {state.Status} after {o.ImportTimeoutSeconds} s"
                : $"the import failed: {state.FailureReason}");
        }
        if (state.RowsRead != rows)
        {
            problems.Add($"rowsRead {state.RowsRead} != {rows}");
        }
        if (state.Accepted != rows)
        {
            problems.Add($"accepted {state.Accepted} != {rows}");
        }
        if (state.Duplicate + state.Invalid + state.DncSuppressed != 0)
        {
            problems.Add($"duplicate {state.Duplicate}, invalid {state.Invalid}, dncSuppressed {state.DncSuppressed} (expected 0)");
        }

        var inv = CultureInfo.InvariantCulture;
        var importRate = state.RowsRead / importSeconds;
        Console.WriteLine();
        Console.WriteLine($"== import of {rows} CSV rows ({Environment.ProcessorCount} cores) ==");
        Console.WriteLine(string.Create(inv, $"  status          {state.Status}{(state.FailureReason is { } r ? $" ({r})" : "")}"));
        Console.WriteLine(string.Create(inv, $"  counts          rowsRead {state.RowsRead}  accepted {state.Accepted}  duplicate {state.Duplicate}  invalid {state.Invalid}  dncSuppressed {state.DncSuppressed}  progress {state.Progress:0.####}"));
        Console.WriteLine(string.Create(inv, $"  upload          {uploadSeconds,8:0.00} s  {uploadMb:0.0} MB streamed, {uploadMb / uploadSeconds:0.0} MB/s, {rows / uploadSeconds:0} rows/s (request sent → 202)"));
        Console.WriteLine(string.Create(inv, $"  import          {importSeconds,8:0.00} s  {importRate:0} rows/s, {Batch(importRate)} ms per 1,000-row batch (202 → status completed, polled every {s_pollInterval.TotalMilliseconds:0} ms)"));
        if (state.CreatedAt is { } created && state.FinishedAt is { } done)
        {
            Console.WriteLine(string.Create(inv, $"  server-side     {(done - created).TotalSeconds,8:0.00} s  createdAt → finishedAt (spooling the buffered upload + import)"));
        }
        Console.WriteLine(string.Create(inv, $"  total           {totalSeconds,8:0.00} s  {rows / totalSeconds:0} rows/s (upload + import)"));
        Console.WriteLine(string.Create(inv, $"  server memory   peak {Mb(serverPeak):0} MB (VmHWM or largest sampled VmRSS)  before upload {Mb(baseline):0} MB  max sampled RSS during upload {Mb(uploadPeak):0} MB, during import {Mb(importPeak):0} MB (every 100 ms)"));
        Console.WriteLine(string.Create(inv, $"  bench memory    peak {Mb(benchHwm):0} MB (VmHWM)  managed heap allocated in total {Mb(GC.GetTotalAllocatedBytes()):0} MB"));
        Console.WriteLine(string.Create(inv, $"  data directory  {Mb(dataBytes):0} MB after the import (SQLite database and WAL)"));
        Console.WriteLine(problems.Count == 0 ? "  check           ok" : $"  check           FAILED: {string.Join("; ", problems)}");
        return problems.Count == 0;
    }

    private static async Task<string> CreateCampaignAsync(HttpClient http, CancellationToken ct)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"bench import {DateTime.UtcNow:yyyyMMddHHmmss}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_requestTimeout);
        using var content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = name }), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("v1/campaigns", UriKind.Relative), content, timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /v1/campaigns answered {(int)response.StatusCode}: {text}");
        }
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<ImportState> GetImportAsync(HttpClient http, ServerProcess server, string location, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_requestTimeout);
        string text;
        HttpStatusCode status;
        try
        {
            using var response = await http.GetAsync(new Uri(location.TrimStart('/'), UriKind.Relative), timeout.Token);
            status = response.StatusCode;
            text = await response.Content.ReadAsStringAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new InvalidOperationException(
                $"GET {location} failed: {ex.Message}{(server.HasExited ? " (the server exited)" : "")}{Environment.NewLine}{server.RecentOutput}", ex);
        }
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {location} answered {(int)status}: {text}");
        }
        using var doc = JsonDocument.Parse(text);
        var e = doc.RootElement;
        static DateTime? Time(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetDateTime() : null;
        return new ImportState(
            e.GetProperty("status").GetString()!,
            e.GetProperty("progress").GetDouble(),
            e.GetProperty("rowsRead").GetInt64(),
            e.GetProperty("accepted").GetInt64(),
            e.GetProperty("duplicate").GetInt64(),
            e.GetProperty("invalid").GetInt64(),
            e.GetProperty("dncSuppressed").GetInt64(),
            e.TryGetProperty("failureReason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null,
            Time(e, "createdAt"),
            Time(e, "finishedAt"));
    }

    private sealed record ImportState(string Status, double Progress, long RowsRead, long Accepted, long Duplicate, long Invalid, long DncSuppressed,
        string? FailureReason, DateTime? CreatedAt, DateTime? FinishedAt);

    private static double Seconds(long from, long to) => (double)(to - from) / Stopwatch.Frequency;

    private static double Mb(long bytes) => bytes / (1024.0 * 1024.0);

    /// <summary>Milliseconds per 1,000 rows at <paramref name="rowsPerSecond"/>, or "-" when nothing moved.</summary>
    private static string Batch(double rowsPerSecond) =>
        rowsPerSecond > 0 ? (1000 * 1000 / rowsPerSecond).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static long DirectoryBytes(string directory)
    {
        try
        {
            return new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}

/// <summary>
/// A <c>text/csv</c> body of a header and <c>N</c> generated contact rows, written straight to the request stream in
/// 64 KiB chunks (chunked transfer encoding; the whole body never exists in memory). Row <c>i</c> (0-based) has the
/// phone <c>+1</c> + area code <c>i mod 20</c> of a list of real US area codes + <c>2000000 + i / 20</c> (seven digits,
/// a valid NANP exchange), so all N numbers are distinct and valid E.164.
/// </summary>
internal sealed class CsvRowsContent : HttpContent
{
    private static readonly byte[][] s_areaCodes =
        [.. new[] { "212", "213", "305", "312", "404", "415", "469", "503", "512", "602", "617", "702", "713", "718", "720", "801", "832", "917", "206", "303" }
            .Select(Encoding.ASCII.GetBytes)];

    private static readonly byte[][] s_names = [.. new[] { "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken" }.Select(Encoding.ASCII.GetBytes)];
    private static readonly byte[][] s_plans = [.. new[] { "basic", "gold", "pro" }.Select(Encoding.ASCII.GetBytes)];
    private static readonly byte[] s_header = Encoding.ASCII.GetBytes("phone,firstName,plan\n");
    private const int ChunkBytes = 64 * 1024;
    private const int MaxRowBytes = 64;

    private readonly int _rows;
    private long _bytesWritten;

    public CsvRowsContent(int rows)
    {
        _rows = rows;
        Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
    }

    /// <summary>Bytes written to the request stream so far.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        s_header.CopyTo(buffer, 0);
        var used = s_header.Length;
        for (var i = 0; i < _rows; i++)
        {
            if (used > ChunkBytes - MaxRowBytes)
            {
                await stream.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
                Interlocked.Add(ref _bytesWritten, used);
                used = 0;
            }
            used += WriteRow(buffer.AsSpan(used), i);
        }
        await stream.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
        Interlocked.Add(ref _bytesWritten, used);
    }

    /// <summary>Writes row <paramref name="i"/> (<c>+1AAASSSSSSS,Name,plan\n</c>) into <paramref name="span"/>; returns its length.</summary>
    private static int WriteRow(Span<byte> span, int i)
    {
        var n = 0;
        span[n++] = (byte)'+';
        span[n++] = (byte)'1';
        s_areaCodes[i % s_areaCodes.Length].CopyTo(span[n..]);
        n += 3;
        var subscriber = 2_000_000 + (i / s_areaCodes.Length);
        for (var d = 6; d >= 0; d--)
        {
            span[n + d] = (byte)('0' + (subscriber % 10));
            subscriber /= 10;
        }
        n += 7;
        span[n++] = (byte)',';
        var name = s_names[i % s_names.Length];
        name.CopyTo(span[n..]);
        n += name.Length;
        span[n++] = (byte)',';
        var plan = s_plans[i % s_plans.Length];
        plan.CopyTo(span[n..]);
        n += plan.Length;
        span[n++] = (byte)'\n';
        return n;
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

/// <summary>
/// Samples the server's resident memory (<c>/proc/{pid}/status</c>: VmRSS, VmHWM) every 100 ms, keeping the largest
/// RSS seen in the current phase. VmHWM is the kernel's own peak RSS of the process, so it misses nothing between samples.
/// </summary>
internal sealed class MemoryWatch : IAsyncDisposable
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(100);
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _phasePeak;

    private MemoryWatch(int pid)
    {
        _pid = pid;
        _loop = Task.Run(LoopAsync);
    }

    public static MemoryWatch Start(int pid) => new(pid);

    /// <summary>The server's RSS now, in bytes (0 when unreadable).</summary>
    public long ServerRssNow => ReadStatusKb(_pid, "VmRSS") * 1024;

    /// <summary>The server's peak RSS so far (VmHWM), in bytes.</summary>
    public long ServerPeakNow => ReadStatusKb(_pid, "VmHWM") * 1024;

    /// <summary>Starts a phase: its peak restarts from the current RSS.</summary>
    public void BeginPhase() => Interlocked.Exchange(ref _phasePeak, ServerRssNow);

    /// <summary>Ends a phase; returns the largest RSS sampled during it, in bytes.</summary>
    public long EndPhase()
    {
        Sample();
        return Interlocked.Read(ref _phasePeak);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(s_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample()
    {
        var rss = ServerRssNow;
        long seen;
        while (rss > (seen = Interlocked.Read(ref _phasePeak)) && Interlocked.CompareExchange(ref _phasePeak, rss, seen) != seen)
        {
        }
    }

    /// <summary>A <c>kB</c> field of <c>/proc/{pid}/status</c> (e.g. VmRSS, VmHWM); 0 when the file or field is missing.</summary>
    public static long ReadStatusKb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal) && line.Length > field.Length && line[field.Length] == ':')
                {
                    var value = line[(field.Length + 1)..].Trim();
                    var space = value.IndexOf(' ', StringComparison.Ordinal);
                    return long.Parse(space > 0 ? value[..space] : value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
