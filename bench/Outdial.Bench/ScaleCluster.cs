using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Outdial.Tests.Shared;

namespace Outdial.Bench;

/// <summary>
/// One column of <c>--scale</c>: one server on SQLite, or N servers over one fresh PostgreSQL database (created here and
/// dropped on dispose), workers on, sharing one sandbox ledger; an <see cref="HttpClient"/> per node with the bench's
/// key; and a read connection to the database, for the attempts the dispatchers wrote.
/// </summary>
internal sealed class ScaleCluster : IAsyncDisposable
{
    private readonly List<ServerProcess> _nodes = [];
    private readonly List<HttpClient> _clients = [];
    private readonly List<SocketsHttpHandler> _handlers = [];
    private readonly string _shared = Directory.CreateTempSubdirectory("outdial-scale-").FullName;
    private string? _postgres;

    private ScaleCluster()
    {
    }

    /// <summary>One client per node, in node order.</summary>
    public IReadOnlyList<HttpClient> Clients => _clients;

    /// <summary>The nodes, in start order.</summary>
    public IReadOnlyList<ServerProcess> Nodes => _nodes;

    /// <summary>Starts <paramref name="nodes"/> servers (one at a time: the first migrates and bootstraps) on SQLite or PostgreSQL.</summary>
    public static async Task<ScaleCluster> StartAsync(string serverDll, bool postgres, int nodes, int clients, CancellationToken ct)
    {
        var cluster = new ScaleCluster();
        try
        {
            var env = new Dictionary<string, string>
            {
                ["Outdial__Workers"] = "true",
                ["Outdial__Database__Provider"] = postgres ? "postgres" : "sqlite",
                ["Outdial__Sandbox__LedgerPath"] = Path.Combine(cluster._shared, "sandbox-ledger.jsonl"),
            };
            if (postgres)
            {
                cluster._postgres = await PostgresTestServer.CreateDatabaseAsync();
                env["ConnectionStrings__Outdial"] = cluster._postgres;
            }
            for (var i = 0; i < nodes; i++)
            {
                var node = await ServerProcess.StartAsync(serverDll, TimeSpan.FromSeconds(60), ct, environment: env);
                cluster._nodes.Add(node);
                var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(4, clients), UseCookies = false, UseProxy = false };
                cluster._handlers.Add(handler);
                var http = new HttpClient(handler) { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.ApiKey);
                cluster._clients.Add(http);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Whether a node has exited (it should not during a run).</summary>
    public void ThrowIfAnyExited(string phase)
    {
        foreach (var node in _nodes.Where(n => n.HasExited))
        {
            throw new InvalidOperationException($"a server exited during {phase}:{Environment.NewLine}{node.RecentOutput}");
        }
    }

    /// <summary>
    /// Lifts pacing for the dispatch measurement: the account's concurrent-call limit to 10,000 (the API's maximum), every
    /// sandbox caller ID to 100 calls/s (the API's maximum per number), and <paramref name="extraNumbers"/> more sandbox
    /// caller IDs at 100 calls/s. Returns the caller IDs (E.164) to spread calls over.
    /// </summary>
    public async Task<IReadOnlyList<string>> LiftPacingAsync(int extraNumbers, CancellationToken ct)
    {
        var http = _clients[0];
        await SendAsync(http, HttpMethod.Patch, "v1/account", """{"maxConcurrentCalls":10000}""", ct);
        using var list = JsonDocument.Parse(await SendAsync(http, HttpMethod.Get, "v1/phone-numbers", null, ct));
        var numbers = new List<string>();
        foreach (var pn in list.RootElement.GetProperty("data").EnumerateArray())
        {
            await SendAsync(http, HttpMethod.Patch, $"v1/phone-numbers/{pn.GetProperty("id").GetString()}", """{"callsPerSecond":100}""", ct);
            numbers.Add(pn.GetProperty("number").GetString()!);
        }
        for (var i = 0; i < extraNumbers; i++)
        {
            var number = string.Create(CultureInfo.InvariantCulture, $"+1555300{i:D4}");
            await SendAsync(http, HttpMethod.Post, "v1/phone-numbers",
                $$"""{"number":"{{number}}","provider":"sandbox","label":"bench {{i}}","callsPerSecond":100}""", ct);
            numbers.Add(number);
        }
        return numbers;
    }

    /// <summary>Every attempt written so far: its call and its <c>createdAt</c> (when the dispatcher decided to dial).</summary>
    public async Task<List<(string CallId, DateTimeOffset CreatedAt)>> AttemptsAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT call_id, doc FROM call_attempts";
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var attempts = new List<(string, DateTimeOffset)>();
        while (await reader.ReadAsync(ct))
        {
            using var doc = JsonDocument.Parse(reader.GetString(1));
            attempts.Add((reader.GetString(0), doc.RootElement.GetProperty("createdAt").GetDateTimeOffset()));
        }
        return attempts;
    }

    /// <summary>How many attempts have been written.</summary>
    public async Task<long> AttemptCountAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM call_attempts";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>Calls dialing, ringing or in progress (the dispatch burst's calls still ending).</summary>
    public async Task<long> ActiveCallCountAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM calls WHERE status IN ('dialing', 'ringing', 'in_progress')";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        DbConnection conn = _postgres is not null
            ? new NpgsqlConnection(_postgres)
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_nodes[0].DataDirectory, "outdial.db"), Pooling = false }.ToString());
        await conn.OpenAsync(ct);
        return conn;
    }

    /// <summary>Sends one request with the bench's key; returns the body; throws unless the answer is 2xx.</summary>
    public static async Task<string> SendAsync(HttpClient http, HttpMethod method, string path, string? json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} /{path} answered {(int)response.StatusCode}: {text}");
        }
        return text;
    }

    /// <summary>POSTs a call; returns its id, or null when the answer was not 202.</summary>
    public static async Task<string?> PostCallAsync(HttpClient http, string body, CancellationToken ct)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("v1/calls", UriKind.Relative), content, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("id").GetString();
    }

    /// <summary>Stops the nodes, drops the database and deletes the shared folder.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var http in _clients)
        {
            http.Dispose();
        }
        foreach (var handler in _handlers)
        {
            handler.Dispose();
        }
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        if (_postgres is not null)
        {
            await PostgresTestServer.DropDatabaseAsync(_postgres);
        }
        ServerProcess.TryDelete(_shared);
    }
}
