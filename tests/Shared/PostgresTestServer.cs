using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Outdial.Tests.Shared;

/// <summary>
/// The PostgreSQL server the tests run against: the one <c>OUTDIAL_TEST_POSTGRES</c> names (an Npgsql connection string
/// without a database, e.g. <c>Host=127.0.0.1;Port=55432;Username=postgres</c>; <c>.ci/run</c> starts a throw-away cluster and
/// sets it), else a throw-away cluster this test process starts itself from the PostgreSQL installed on the machine
/// (<c>/usr/lib/postgresql/*/bin</c>, or <c>initdb</c> on the PATH) and stops when it exits. Each test gets a database of its
/// own, created empty and dropped afterwards. With neither, the tests that need PostgreSQL fail and say what to install;
/// they are not skipped.
/// </summary>
public static class PostgresTestServer
{
    /// <summary>The environment variable naming the server.</summary>
    public const string Variable = "OUTDIAL_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Server = new(ResolveAsync);

    /// <summary>Creates an empty database with a unique name on the shared test server and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync() => await CreateDatabaseAsync(await Server.Value);

    /// <summary>Creates an empty database with a unique name on <paramref name="server"/> (a connection string without a database).</summary>
    public static async Task<string> CreateDatabaseAsync(string server)
    {
        var name = "outdial_test_" + Guid.NewGuid().ToString("N")[..20];
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database <paramref name="connectionString"/> names, ending its sessions first.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var server = await Server.Value;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<string> ResolveAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
        {
            return configured;
        }
        var cluster = await PostgresCluster.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return cluster.ConnectionString;
    }

    /// <summary>The folder holding <c>initdb</c> and <c>pg_ctl</c>: the newest <c>/usr/lib/postgresql/*/bin</c>, else the PATH.</summary>
    internal static string? FindBin()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin"))
            : [];
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return candidates.Concat(path).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>The error a test without PostgreSQL fails with: what to install or set.</summary>
    internal static InvalidOperationException Missing() => new(
        $"These tests need PostgreSQL: install it (Debian/Ubuntu: apt-get install postgresql-15) so that they can start a "
        + $"throw-away cluster, or set {Variable}=\"Host=127.0.0.1;Port=<port>;Username=postgres\" to a server of yours "
        + "(docs/postgresql.md, 'Running the tests against PostgreSQL'). .ci/run does either.");

    internal static Task RunAs(bool root, string file, string[] args) =>
        root ? RunAsync("su", ["postgres", "-s", "/bin/sh", "-c", string.Join(' ', new[] { file }.Concat(args).Select(Quote))]) : RunAsync(file, args);

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    internal static async Task RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// A throw-away PostgreSQL cluster of a test's own, on a free loopback port, in a temp folder: for tests that stop or restart
/// the server (which the shared one, used by tests running in parallel, must never do). Needs PostgreSQL installed
/// (<c>/usr/lib/postgresql/*/bin</c> or <c>initdb</c> on the PATH); as root, <c>initdb</c> and <c>pg_ctl</c> run as the
/// <c>postgres</c> user. Stopped (immediately) and deleted on dispose.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _root;
    private readonly int _port;

    private PostgresCluster(string bin, string dir, bool root, int port)
    {
        _bin = bin;
        _dir = dir;
        _root = root;
        _port = port;
    }

    /// <summary>The server's connection string without a database, e.g. <c>Host=127.0.0.1;Port=41234;Username=postgres</c>.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres";

    private string Data => Path.Combine(_dir, "data");

    /// <summary>initdb and start (fsync off: nothing here outlives the test run), up to 300 connections.</summary>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed, or initdb or pg_ctl failed.</exception>
    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = PostgresTestServer.FindBin() ?? throw PostgresTestServer.Missing();
        var dir = Directory.CreateTempSubdirectory("outdial-test-pg-").FullName;
        var root = Environment.UserName == "root";
        if (root)
        {
            await PostgresTestServer.RunAsync("chown", ["postgres", dir]);
        }
        var cluster = new PostgresCluster(bin, dir, root, PostgresTestServer.FreePort());
        await PostgresTestServer.RunAs(root, Path.Combine(bin, "initdb"), ["-D", cluster.Data, "-U", "postgres", "--auth=trust", "--encoding=UTF8"]);
        await cluster.PgCtlAsync("start");
        return cluster;
    }

    /// <summary>
    /// Restarts the server the way an operator's <c>pg_ctl restart -m fast</c> or a failover does: every session is
    /// disconnected and open transactions roll back; waits until it accepts connections again.
    /// </summary>
    public Task RestartAsync() => PgCtlAsync("restart", "fast");

    private Task PgCtlAsync(string action, string? mode = null) =>
        PostgresTestServer.RunAs(_root, Path.Combine(_bin, "pg_ctl"), ["-D", Data, "-l", Path.Combine(_dir, "log"), "-w", action,
            .. (mode is null ? Array.Empty<string>() : new[] { "-m", mode }),
            "-o", $"-p {_port} -c listen_addresses=127.0.0.1 -k {_dir} -c fsync=off -c max_connections=300"]);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await PostgresTestServer.RunAs(_root, Path.Combine(_bin, "pg_ctl"), ["-D", Data, "-m", "immediate", "stop"]);
            Directory.Delete(_dir, recursive: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Best effort: the cluster lives in a temp folder.
        }
    }
}
