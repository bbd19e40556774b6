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

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = await Server.Value;
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
        var bin = FindBin() ?? throw new InvalidOperationException(
            $"These tests need PostgreSQL: install it (Debian/Ubuntu: apt-get install postgresql-15) so that they can start a "
            + $"throw-away cluster, or set {Variable}=\"Host=127.0.0.1;Port=<port>;Username=postgres\" to a server of yours "
            + "(docs/postgresql.md, 'Running the tests against PostgreSQL'). .ci/run does either.");
        return await StartClusterAsync(bin);
    }

    private static string? FindBin()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin"))
            : [];
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return candidates.Concat(path).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>initdb and pg_ctl refuse to run as root: as root they run as the <c>postgres</c> user.</summary>
    private static async Task<string> StartClusterAsync(string bin)
    {
        var dir = Directory.CreateTempSubdirectory("outdial-test-pg-").FullName;
        var root = Environment.UserName == "root";
        if (root)
        {
            await RunAsync("chown", ["postgres", dir]);
        }
        var port = FreePort();
        var data = Path.Combine(dir, "data");
        await RunAs(root, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8"]);
        await RunAs(root, Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(dir, "log"), "-w", "start",
            "-o", $"-p {port} -c listen_addresses=127.0.0.1 -k {dir} -c fsync=off -c max_connections=300"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAs(root, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]).GetAwaiter().GetResult();
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // Best effort: the cluster lives in a temp folder.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres";
    }

    private static Task RunAs(bool root, string file, string[] args) =>
        root ? RunAsync("su", ["postgres", "-s", "/bin/sh", "-c", string.Join(' ', new[] { file }.Concat(args).Select(Quote))]) : RunAsync(file, args);

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task RunAsync(string file, string[] args)
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
