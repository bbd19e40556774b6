using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Outdial.Core.Calls;
using Outdial.Storage.Postgres;
using Outdial.Storage.Sql;
using Outdial.Storage.Sqlite;
using Outdial.Tests.Shared;

namespace Outdial.Bench;

/// <summary>Claim rounds at one queue size: milliseconds, sorted.</summary>
internal sealed record ClaimSample(int Queued, double[] ClaimMs, double[] RoundMs, int Claimed)
{
    public double Claim(double q) => ScaleBench.Quantile(ClaimMs, q);

    public double Round(double q) => ScaleBench.Quantile(RoundMs, q);
}

/// <summary>What <see cref="ClaimBench"/> measured on one engine.</summary>
internal sealed record ClaimResult(string Engine, ClaimSample Small, ClaimSample Large, double FillSeconds, double RssMaxMb, double RssHwmMb, bool Clean);

/// <summary>
/// Claim latency with 10k and <c>--queued</c> calls, store-level, in this process: the dispatcher's claim
/// (<see cref="SqlStore.ClaimDueCallsAsync"/>, a batch of 100 as <c>Outdial:Dispatcher:BatchSize</c>) and the hand-back of
/// every claimed call (read, <see cref="CallTransition.Release"/>, fenced write, due again 1 s later — what the dispatcher
/// does with calls a limit holds back), issued together as the dispatcher issues them. The queue is filled with copies of
/// one call the server accepted (bulk SQL, new ids, due times spread over the past). Then the server runs with its workers
/// on over that queue for <c>--rss-seconds</c> while its RSS is sampled.
/// </summary>
internal static class ClaimBench
{
    private const int Batch = 100;
    private const int WarmupRounds = 10;
    private const int FillChunk = 100_000;

    public static async Task<ClaimResult> RunAsync(string serverDll, bool postgres, BenchOptions o, CancellationToken ct)
    {
        var engine = postgres ? "PostgreSQL" : "SQLite";
        var dataDirectory = Directory.CreateTempSubdirectory("outdial-claim-").FullName;
        string? connection = null;
        try
        {
            var env = new Dictionary<string, string> { ["Outdial__Database__Provider"] = postgres ? "postgres" : "sqlite", ["Outdial__Workers"] = "false" };
            if (postgres)
            {
                connection = await PostgresTestServer.CreateDatabaseAsync();
                env["ConnectionStrings__Outdial"] = connection;
            }
            // The server migrates the schema, bootstraps the account and accepts the one call the queue is copied from.
            string template;
            await using (var server = await ServerProcess.StartAsync(serverDll, TimeSpan.FromSeconds(60), ct, environment: env, dataDirectory: dataDirectory))
            {
                using var http = new HttpClient { BaseAddress = server.BaseAddress };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);
                template = await ScaleCluster.PostCallAsync(http, ScaleBench.Body(ScaleBench.FailingNumber(0), null, DateTimeOffset.UtcNow.AddDays(1), true), ct)
                    ?? throw new InvalidOperationException("the server refused the template call");
            }

            ClaimSample small, large;
            var fill = Stopwatch.StartNew();
            var sqlitePath = Path.Combine(dataDirectory, "outdial.db");
            SqliteDatabase? sqliteDb = null;
            SqliteWriter? writer = null;
            PostgresDatabase? pgDb = null;
            try
            {
                SqlStore store;
                Func<CancellationToken, Task<DbConnection>> open;
                if (postgres)
                {
                    pgDb = new PostgresDatabase(connection!);
                    store = new PostgresStore(pgDb);
                    open = async c => await pgDb.OpenAsync(c);
                }
                else
                {
                    sqliteDb = new SqliteDatabase(sqlitePath);
                    writer = new SqliteWriter(sqliteDb, "FULL", 256);
                    store = new SqliteStore(sqliteDb, writer);
                    open = async c => await sqliteDb.OpenAsync(c);
                }
                var dueBase = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - o.Queued - 60_000;
                await FillAsync(open, postgres, template, 1, BenchOptions.SmallQueue, dueBase, ct);
                var smallFill = fill.Elapsed.TotalSeconds;
                small = await MeasureAsync(store, BenchOptions.SmallQueue, o.ClaimRounds, ct);
                Print(engine, small);
                fill.Restart();
                await FillAsync(open, postgres, template, BenchOptions.SmallQueue + 1, o.Queued, dueBase, ct);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{engine}: claim queue filled to {o.Queued} calls in {smallFill + fill.Elapsed.TotalSeconds:0.0} s"));
                large = await MeasureAsync(store, o.Queued, o.ClaimRounds, ct);
                Print(engine, large);
            }
            finally
            {
                if (writer is not null)
                {
                    await writer.DisposeAsync();
                }
                if (pgDb is not null)
                {
                    await pgDb.DisposeAsync();
                }
            }

            // The server over the large queue, workers on (the dispatcher claims the due calls and paces them at the defaults).
            env["Outdial__Workers"] = "true";
            var (rssMax, hwm) = await SampleRssAsync(serverDll, env, dataDirectory, TimeSpan.FromSeconds(o.RssSeconds), ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{engine}: server RSS over {o.Queued} queued calls, {o.RssSeconds} s with workers on: max sampled {rssMax:0} MB, VmHWM {hwm:0} MB"));
            return new ClaimResult(engine, small, large, fill.Elapsed.TotalSeconds, rssMax, hwm,
                small.Claimed > 0 && large.Claimed > 0 && !double.IsNaN(rssMax));
        }
        finally
        {
            if (connection is not null)
            {
                await PostgresTestServer.DropDatabaseAsync(connection);
            }
            ServerProcess.TryDelete(dataDirectory);
        }
    }

    private static void Print(string engine, ClaimSample s) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{engine}: claim with {s.Queued} queued: claim p50 {s.Claim(0.5):0.00} ms p99 {s.Claim(0.99):0.00} ms; round (claim + hand-back of {Batch}) p50 {s.Round(0.5):0.0} ms p99 {s.Round(0.99):0.0} ms"));

    /// <summary>
    /// Copies the template call as calls <paramref name="from"/>…<paramref name="to"/> (ids <c>call_bench000000001</c>…, the
    /// id inside the document replaced too, due at <paramref name="dueBase"/> + n ms, no lease), in transactions of 100,000.
    /// </summary>
    private static async Task FillAsync(Func<CancellationToken, Task<DbConnection>> open, bool postgres, string template, int from, int to, long dueBase,
        CancellationToken ct)
    {
        const string Columns = "id, account_id, status, outcome, to_number, agent_id, campaign_id, due_at, expires_at, lease_token, lease_until, created_at, updated_at, doc, contact_id, is_test, status_reason, version";
        var sql = postgres
            ? $"""
              INSERT INTO calls ({Columns})
              SELECT 'call_bench' || lpad(n::text, 9, '0'), t.account_id, t.status, t.outcome, t.to_number, t.agent_id, t.campaign_id, @dueBase + n, NULL, NULL, NULL,
                     t.created_at, t.updated_at, replace(t.doc, t.id, 'call_bench' || lpad(n::text, 9, '0')), t.contact_id, t.is_test, t.status_reason, t.version
              FROM generate_series(@first::bigint, @last::bigint) AS n, calls t WHERE t.id = @template
              """
            : $"""
              WITH RECURSIVE seq(n) AS (SELECT @first UNION ALL SELECT n + 1 FROM seq WHERE n < @last)
              INSERT INTO calls ({Columns})
              SELECT 'call_bench' || printf('%09d', n), t.account_id, t.status, t.outcome, t.to_number, t.agent_id, t.campaign_id, @dueBase + n, NULL, NULL, NULL,
                     t.created_at, t.updated_at, replace(t.doc, t.id, 'call_bench' || printf('%09d', n)), t.contact_id, t.is_test, t.status_reason, t.version
              FROM seq, calls t WHERE t.id = @template
              """;
        await using var conn = await open(ct);
        for (var first = from; first <= to; first += FillChunk)
        {
            var last = Math.Min(to, first + FillChunk - 1);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var rows = await conn.ExecuteAsync(new CommandDefinition(sql, new { first = (long)first, last = (long)last, dueBase, template }, tx,
                commandTimeout: 600, cancellationToken: ct));
            if (rows != last - first + 1)
            {
                throw new InvalidOperationException($"the fill inserted {rows} rows, not {last - first + 1}");
            }
            await tx.CommitAsync(ct);
        }
        if (postgres)
        {
            // What autovacuum would do after a bulk load, without waiting for it.
            await conn.ExecuteAsync(new CommandDefinition("ANALYZE calls", commandTimeout: 600, cancellationToken: ct));
        }
    }

    private static async Task<ClaimSample> MeasureAsync(SqlStore store, int queued, int rounds, CancellationToken ct)
    {
        var token = "bench-claim-" + Guid.NewGuid().ToString("N")[..8];
        var claims = new List<double>(rounds);
        var totals = new List<double>(rounds);
        var claimed = 0;
        for (var r = 0; r < WarmupRounds + rounds; r++)
        {
            var now = DateTimeOffset.UtcNow;
            var start = Stopwatch.GetTimestamp();
            var due = await store.ClaimDueCallsAsync(now, Batch, TimeSpan.FromSeconds(30), token, ct);
            var claimedAt = Stopwatch.GetTimestamp();
            await Task.WhenAll(due.Select(c => HandBackAsync(store, c.Id, token, now.AddSeconds(1), ct)));
            var end = Stopwatch.GetTimestamp();
            if (r >= WarmupRounds)
            {
                claims.Add(Stopwatch.GetElapsedTime(start, claimedAt).TotalMilliseconds);
                totals.Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
                claimed += due.Count;
            }
        }
        claims.Sort();
        totals.Sort();
        return new ClaimSample(queued, [.. claims], [.. totals], claimed);
    }

    /// <summary>The dispatcher's hand-back of a call a limit holds (<c>CallChanges.ReleaseLeaseAsync</c>, one try).</summary>
    private static async Task HandBackAsync(SqlStore store, string callId, string token, DateTimeOffset dueAt, CancellationToken ct)
    {
        if (await store.GetStoredCallAsync(callId, ct) is { } current && CallTransition.Release(current, token, dueAt, null) is { } write)
        {
            await store.TryWriteAsync(write, ct);
        }
    }

    /// <summary>Starts the server, samples its VmRSS every 200 ms for <paramref name="duration"/>; returns the largest sample and VmHWM, in MB.</summary>
    private static async Task<(double MaxMb, double HwmMb)> SampleRssAsync(string serverDll, Dictionary<string, string> env, string dataDirectory,
        TimeSpan duration, CancellationToken ct)
    {
        await using var server = await ServerProcess.StartAsync(serverDll, TimeSpan.FromSeconds(120), ct, environment: env, dataDirectory: dataDirectory);
        var status = $"/proc/{server.ProcessId}/status";
        var max = 0.0;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"the server exited over the large queue:{Environment.NewLine}{server.RecentOutput}");
            }
            max = Math.Max(max, ReadKb(status, "VmRSS:") / 1024.0);
            await Task.Delay(200, ct);
        }
        return (max, ReadKb(status, "VmHWM:") / 1024.0);
    }

    private static double ReadKb(string statusFile, string field)
    {
        foreach (var line in File.ReadLines(statusFile))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return double.NaN;
    }
}
