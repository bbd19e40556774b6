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
/// does with calls a limit holds back), issued together as the dispatcher issues them. Two databases hold the two queues,
/// each filled with copies of one call the server accepted (bulk SQL, new ids, due times spread over the past), and the
/// rounds alternate between them, so that the machine's changing load hits both sizes alike. Then the server runs with its
/// workers on over the large queue for <c>--rss-seconds</c> while its RSS is sampled.
/// </summary>
internal static class ClaimBench
{
    private const int Batch = 100;
    private const int WarmupRounds = 10;
    private const int FillChunk = 100_000;

    public static async Task<ClaimResult> RunAsync(string serverDll, bool postgres, BenchOptions o, CancellationToken ct)
    {
        var engine = postgres ? "PostgreSQL" : "SQLite";
        await using var small = await ClaimDatabase.CreateAsync(serverDll, postgres, BenchOptions.SmallQueue, ct);
        await using var large = await ClaimDatabase.CreateAsync(serverDll, postgres, o.Queued, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{engine}: claim queues of {BenchOptions.SmallQueue} and {o.Queued} calls filled in {small.FillSeconds:0.0} s and {large.FillSeconds:0.0} s"));
        // Rounds alternate between the two queues, so that a change in the machine's load (large here) hits both alike.
        var (smallSample, largeSample) = await MeasureAsync(small.Store, large.Store, o.ClaimRounds, ct);
        Print(engine, smallSample with { Queued = BenchOptions.SmallQueue });
        Print(engine, largeSample with { Queued = o.Queued });
        await small.CloseStoreAsync();
        await large.CloseStoreAsync();

        // The server over the large queue, workers on (the dispatcher claims the due calls and paces them at the defaults).
        large.Environment["Outdial__Workers"] = "true";
        var (rssMax, hwm) = await SampleRssAsync(serverDll, large.Environment, large.DataDirectory, TimeSpan.FromSeconds(o.RssSeconds), ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{engine}: server RSS over {o.Queued} queued calls, {o.RssSeconds} s with workers on: max sampled {rssMax:0} MB, VmHWM {hwm:0} MB"));
        return new ClaimResult(engine, smallSample with { Queued = BenchOptions.SmallQueue }, largeSample with { Queued = o.Queued }, large.FillSeconds,
            rssMax, hwm, smallSample.Claimed > 0 && largeSample.Claimed > 0 && !double.IsNaN(rssMax));
    }

    private static void Print(string engine, ClaimSample s) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{engine}: claim with {s.Queued} queued: claim p50 {s.Claim(0.5):0.00} ms p99 {s.Claim(0.99):0.00} ms; round (claim + hand-back of {Batch}) p50 {s.Round(0.5):0.0} ms p99 {s.Round(0.99):0.0} ms"));

    /// <summary>
    /// Copies the template call as calls <paramref name="from"/>…<paramref name="to"/> (ids <c>call_bench000000001</c>…, the
    /// id inside the document replaced too, due at <paramref name="dueBase"/> + n ms, no lease), in transactions of 100,000.
    /// </summary>
    internal static async Task FillAsync(Func<CancellationToken, Task<DbConnection>> open, bool postgres, string template, int from, int to, long dueBase,
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

    private static async Task<(ClaimSample Small, ClaimSample Large)> MeasureAsync(SqlStore small, SqlStore large, int rounds, CancellationToken ct)
    {
        var token = "bench-claim-" + Guid.NewGuid().ToString("N")[..8];
        var stores = new[] { small, large };
        var claims = new[] { new List<double>(rounds), new List<double>(rounds) };
        var totals = new[] { new List<double>(rounds), new List<double>(rounds) };
        var claimed = new int[2];
        for (var r = 0; r < WarmupRounds + rounds; r++)
        {
            // Which queue goes first alternates too.
            foreach (var i in r % 2 == 0 ? new[] { 0, 1 } : [1, 0])
            {
                var store = stores[i];
                var now = DateTimeOffset.UtcNow;
                var start = Stopwatch.GetTimestamp();
                var due = await store.ClaimDueCallsAsync(now, Batch, TimeSpan.FromSeconds(30), token, ct);
                var claimedAt = Stopwatch.GetTimestamp();
                await Task.WhenAll(due.Select(c => HandBackAsync(store, c.Id, token, now.AddSeconds(1), ct)));
                var end = Stopwatch.GetTimestamp();
                if (r >= WarmupRounds)
                {
                    claims[i].Add(Stopwatch.GetElapsedTime(start, claimedAt).TotalMilliseconds);
                    totals[i].Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
                    claimed[i] += due.Count;
                }
            }
        }
        ClaimSample Sample(int i)
        {
            claims[i].Sort();
            totals[i].Sort();
            return new ClaimSample(0, [.. claims[i]], [.. totals[i]], claimed[i]);
        }
        return (Sample(0), Sample(1));
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

/// <summary>
/// One database holding a queue of N copies of a call the server accepted (see <see cref="ClaimBench"/>), and the bench's
/// store on it; disposing closes the store, drops the PostgreSQL database and deletes the data directory.
/// </summary>
internal sealed class ClaimDatabase : IAsyncDisposable
{
    private string? _connection;
    private SqliteWriter? _writer;
    private SqliteDatabase? _sqlite;
    private PostgresDatabase? _pg;

    private ClaimDatabase(string dataDirectory) => DataDirectory = dataDirectory;

    public string DataDirectory { get; }

    /// <summary>The server's environment for this database (engine, connection string, workers).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public SqlStore Store { get; private set; } = null!;

    public double FillSeconds { get; private set; }

    public static async Task<ClaimDatabase> CreateAsync(string serverDll, bool postgres, int queued, CancellationToken ct)
    {
        var db = new ClaimDatabase(Directory.CreateTempSubdirectory("outdial-claim-").FullName);
        try
        {
            db.Environment["Outdial__Database__Provider"] = postgres ? "postgres" : "sqlite";
            db.Environment["Outdial__Workers"] = "false";
            if (postgres)
            {
                db._connection = await PostgresTestServer.CreateDatabaseAsync();
                db.Environment["ConnectionStrings__Outdial"] = db._connection;
            }
            // The server migrates the schema, bootstraps the account and accepts the one call the queue is copied from.
            string template;
            await using (var server = await ServerProcess.StartAsync(serverDll, TimeSpan.FromSeconds(60), ct, environment: db.Environment, dataDirectory: db.DataDirectory))
            {
                using var http = new HttpClient { BaseAddress = server.BaseAddress };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);
                template = await ScaleCluster.PostCallAsync(http, ScaleBench.Body(ScaleBench.FailingNumber(0), null, DateTimeOffset.UtcNow.AddDays(1), true), ct)
                    ?? throw new InvalidOperationException("the server refused the template call");
            }
            Func<CancellationToken, Task<DbConnection>> open;
            if (postgres)
            {
                var pg = db._pg = new PostgresDatabase(db._connection!);
                db.Store = new PostgresStore(pg);
                open = async c => await pg.OpenAsync(c);
            }
            else
            {
                var sqlite = db._sqlite = new SqliteDatabase(Path.Combine(db.DataDirectory, "outdial.db"));
                db._writer = new SqliteWriter(sqlite, "FULL", 256);
                db.Store = new SqliteStore(sqlite, db._writer);
                open = async c => await sqlite.OpenAsync(c);
            }
            var fill = Stopwatch.StartNew();
            await ClaimBench.FillAsync(open, postgres, template, 1, queued, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - queued - 60_000, ct);
            db.FillSeconds = fill.Elapsed.TotalSeconds;
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the bench's store (the SQLite writer, the PostgreSQL pool) so that the server can have the database.</summary>
    public async Task CloseStoreAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
            _writer = null;
        }
        if (_sqlite is not null)
        {
            _sqlite.Dispose();
            _sqlite = null;
        }
        if (_pg is not null)
        {
            await _pg.DisposeAsync();
            _pg = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseStoreAsync();
        if (_connection is not null)
        {
            await PostgresTestServer.DropDatabaseAsync(_connection);
        }
        ServerProcess.TryDelete(DataDirectory);
    }
}
