using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Outdial.Storage.Sqlite;

namespace Outdial.Storage;

/// <summary>Registration of a storage engine: <c>services.AddOutdialCore(config).UseSqlite()</c>.</summary>
public static class StorageServices
{
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
        services.AddSingleton<SqliteStore>();
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<IAgentStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<ICallStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<IWebhookStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<ICampaignStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<IComplianceStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<ITranscriptStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<IInsightStore>(sp => sp.GetRequiredService<SqliteStore>());
        return services;
    }
}
