using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Campaigns;
using Outdial.Core.Dispatch;
using Outdial.Core.Intake;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Outdial.Storage.Postgres;
using Outdial.Storage.Sql;
using Outdial.Storage.Sqlite;

namespace Outdial.Storage;

/// <summary>
/// Registration of a storage engine: <c>services.AddOutdialCore(config).UseDatabase(config)</c> picks it by configuration;
/// <c>UseSqlite()</c> and <c>UsePostgres(connectionString)</c> name it.
/// </summary>
public static class StorageServices
{
    /// <summary>
    /// Uses the engine <c>Outdial:Database:Provider</c> names: <c>sqlite</c> (the default, embedded, one node) or
    /// <c>postgres</c> (any number of nodes), the latter at <c>ConnectionStrings:Outdial</c>. Throws
    /// <see cref="InvalidOperationException"/> for another provider name or a PostgreSQL provider without a connection string.
    /// </summary>
    public static IServiceCollection UseDatabase(this IServiceCollection services, IConfiguration config)
    {
        var provider = config["Outdial:Database:Provider"];
        if (string.IsNullOrWhiteSpace(provider) || string.Equals(provider, "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return services.UseSqlite();
        }
        if (string.Equals(provider, "postgres", StringComparison.OrdinalIgnoreCase) || string.Equals(provider, "postgresql", StringComparison.OrdinalIgnoreCase))
        {
            var connectionString = config.GetConnectionString("Outdial");
            return string.IsNullOrWhiteSpace(connectionString)
                ? throw new InvalidOperationException("Outdial:Database:Provider is postgres but ConnectionStrings:Outdial is not set")
                : services.UsePostgres(connectionString);
        }
        throw new InvalidOperationException($"Outdial:Database:Provider must be sqlite or postgres, not '{provider}'");
    }

    /// <summary>
    /// Uses the PostgreSQL database at <paramref name="connectionString"/> (Npgsql's format); migrate it with
    /// <see cref="IOutdialDatabase.MigrateAsync"/> before serving. Throws <see cref="ArgumentException"/> when the string cannot be parsed.
    /// </summary>
    public static IServiceCollection UsePostgres(this IServiceCollection services, string connectionString)
    {
        _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString); // a malformed string fails here, at registration
        services.AddSingleton(_ => new PostgresDatabase(connectionString));
        services.AddSingleton<IOutdialDatabase>(sp => new PostgresOutdialDatabase(sp.GetRequiredService<PostgresDatabase>()));
        services.AddSingleton<SqlStore>(sp => new PostgresStore(sp.GetRequiredService<PostgresDatabase>(), sp.GetService<OutboxSignal>(),
            sp.GetService<ConfigChangeSignal>()));
        // Several nodes dial through the same caller IDs: their CPS is paced through the database, not in each process.
        services.AddSingleton<IPacingLimiter>(sp => new SharedPacingLimiter(sp.GetRequiredService<IPacingStore>()));
        services.AddSingleton<IRoundRobin>(sp => new SharedRoundRobin(sp.GetRequiredService<ICounterStore>()));
        // A request replayed on another node while the first is in flight gets the same 409 as on one node.
        services.AddSingleton<IIdempotencyGate>(sp => new SharedIdempotencyGate(sp.GetRequiredService<IClaimStore>(),
            sp.GetRequiredService<Core.Nodes.NodeIdentity>(), sp.GetRequiredService<TimeProvider>()));
        // Work that becomes due on one node wakes the others' dispatchers and deliverers (LISTEN/NOTIFY).
        services.AddHostedService<PostgresWakeups>();
        return services.AddStores();
    }

    /// <summary>
    /// Uses one SQLite file at <c>{Outdial:DataDirectory}/{Outdial:Sqlite:FileName}</c>; migrate it with
    /// <see cref="SqliteDatabase.MigrateAsync"/> before serving.
    /// </summary>
    public static IServiceCollection UseSqlite(this IServiceCollection services)
    {
        services.AddOptions<SqliteOptions>().BindConfiguration("Outdial:Sqlite")
            .Validate(o => o.Synchronous is "FULL" or "NORMAL" or "EXTRA", "Outdial:Sqlite:Synchronous must be FULL, NORMAL or EXTRA")
            .Validate(o => o.MaxBatch is > 0 and <= 10_000, "Outdial:Sqlite:MaxBatch must be 1..10000")
            .Validate(o => !string.IsNullOrWhiteSpace(o.FileName), "Outdial:Sqlite:FileName must not be empty")
            .ValidateOnStart();
        services.AddSingleton(sp => new SqliteDatabase(Path.Combine(
            sp.GetRequiredService<IOptions<OutdialOptions>>().Value.DataDirectory,
            sp.GetRequiredService<IOptions<SqliteOptions>>().Value.FileName)));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<SqliteOptions>>().Value;
            return new SqliteWriter(sp.GetRequiredService<SqliteDatabase>(), o.Synchronous, o.MaxBatch);
        });
        services.AddSingleton<IOutdialDatabase>(sp => sp.GetRequiredService<SqliteDatabase>());
        services.AddSingleton<SqliteStore>();
        services.AddSingleton<SqlStore>(sp => sp.GetRequiredService<SqliteStore>());
        return services.AddStores();
    }

    private static IServiceCollection AddStores(this IServiceCollection services)
    {
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<IAgentStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<ICallStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<IWebhookStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<ICampaignStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<IComplianceStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<ITranscriptStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<IInsightStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<IPacingStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<INodeStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<ICounterStore>(sp => sp.GetRequiredService<SqlStore>());
        services.AddSingleton<IClaimStore>(sp => sp.GetRequiredService<SqlStore>());
        return services;
    }
}
