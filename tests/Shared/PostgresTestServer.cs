using Npgsql;

namespace Outdial.Tests.Shared;

/// <summary>
/// The PostgreSQL server the tests run against: the one <c>OUTDIAL_TEST_POSTGRES</c> names (an Npgsql connection string
/// without a database, e.g. <c>Host=127.0.0.1;Port=55432;Username=postgres</c>; <c>.ci/run</c> starts a throw-away cluster and
/// sets it). Each test gets a database of its own, created empty and dropped afterwards. Without the variable the tests
/// that need PostgreSQL fail and say how to start one; they are not skipped.
/// </summary>
public static class PostgresTestServer
{
    /// <summary>The environment variable naming the server.</summary>
    public const string Variable = "OUTDIAL_TEST_POSTGRES";

    /// <summary>The server's connection string (no database). Throws <see cref="InvalidOperationException"/> when the variable is not set.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                $"{Variable} is not set: these tests need a PostgreSQL server. Start one (docs/postgresql.md, 'Running the tests') and set "
                + $"{Variable}=\"Host=127.0.0.1;Port=<port>;Username=postgres\", or run .ci/run, which does both.");

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = "outdial_test_" + Guid.NewGuid().ToString("N")[..20];
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database <paramref name="connectionString"/> names, ending its sessions first.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }
}
