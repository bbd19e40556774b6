using Outdial.Core.Calls;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Outdial.Storage.Postgres;
using Outdial.Storage.Sqlite;
using Outdial.Tests.Shared;

namespace Outdial.Storage.Tests;

/// <summary>A fresh, migrated store of one engine. The contract suite runs once per engine.</summary>
public interface IStoreEngine : IAsyncDisposable
{
    Task InitializeAsync();

    IAccountStore Accounts { get; }

    IAgentStore Agents { get; }

    ICallStore Calls { get; }

    IWebhookStore Webhooks { get; }

    ICampaignStore Campaigns { get; }

    IComplianceStore Compliance { get; }

    ITranscriptStore Transcripts { get; }

    IInsightStore Insights { get; }

    /// <summary>Closes and reopens the store on the same database (durability checks).</summary>
    Task ReopenAsync();
}


/// <summary>What Core does over an engine's stores, for the contract tests.</summary>
public static class StoreEngineExtensions
{
    extension(IStoreEngine engine)
    {
        /// <summary>Core's call writer over this engine's stores (reads, decides with <see cref="CallTransition"/>, writes fenced).</summary>
        public CallChanges Changes => new(engine.Calls, engine.Webhooks, engine.Insights);

        /// <summary>
        /// Writes <paramref name="draft"/> as intake does: its events' deliveries planned to the account's endpoints as stored
        /// now (a draft from <see cref="TestData.Write"/> plans none).
        /// </summary>
        public async Task<CreateCallResult> CreateCallAsync(NewCall draft, CancellationToken ct)
        {
            var endpoints = await engine.Webhooks.ListEndpointsAsync(draft.Call.AccountId, ct);
            var planned = NewCall.Plan(draft.Call, [.. draft.Events.Select(e => new NewCallEvent(e.Type, e.Data))], endpoints, draft.Idempotency) with
            {
                IdempotencyValidAfter = draft.IdempotencyValidAfter,
            };
            return await engine.Calls.CreateCallAsync(planned, ct);
        }
    }
}

/// <summary>A real SQLite file in a temporary folder, WAL, synchronous=FULL, through the single writer.</summary>
public sealed class SqliteEngine : IStoreEngine
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "outdial-store-" + Guid.NewGuid().ToString("N"));
    private SqliteWriter? _writer;
    private SqliteStore? _store;

    public SqliteDatabase Database { get; private set; } = null!;

    public SqliteWriter Writer => _writer!;

    public IAccountStore Accounts => _store!;

    public IAgentStore Agents => _store!;

    public ICallStore Calls => _store!;

    public IWebhookStore Webhooks => _store!;

    public ICampaignStore Campaigns => _store!;

    public IComplianceStore Compliance => _store!;

    public ITranscriptStore Transcripts => _store!;

    public IInsightStore Insights => _store!;

    public async Task InitializeAsync()
    {
        Database = new SqliteDatabase(Path.Combine(_dir, "test.db"));
        await Database.MigrateAsync(CancellationToken.None);
        _writer = new SqliteWriter(Database, "FULL", 256);
        _store = new SqliteStore(Database, _writer);
    }

    public async Task ReopenAsync()
    {
        await _writer!.DisposeAsync();
        Database.Dispose();
        await InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
        Database?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may linger on some platforms; the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>A fresh database of its own on the PostgreSQL server of <see cref="PostgresTestServer"/>, migrated, dropped afterwards.</summary>
public sealed class PostgresEngine : IStoreEngine
{
    private PostgresStore? _store;

    public string ConnectionString { get; private set; } = "";

    public PostgresDatabase Database { get; private set; } = null!;

    public IAccountStore Accounts => _store!;

    public IAgentStore Agents => _store!;

    public ICallStore Calls => _store!;

    public IWebhookStore Webhooks => _store!;

    public ICampaignStore Campaigns => _store!;

    public IComplianceStore Compliance => _store!;

    public ITranscriptStore Transcripts => _store!;

    public IInsightStore Insights => _store!;

    public async Task InitializeAsync()
    {
        if (ConnectionString.Length == 0)
        {
            ConnectionString = await PostgresTestServer.CreateDatabaseAsync();
        }
        Database = new PostgresDatabase(ConnectionString);
        await Database.MigrateAsync(CancellationToken.None);
        _store = new PostgresStore(Database);
    }

    public async Task ReopenAsync()
    {
        await Database.DisposeAsync();
        await InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        if (ConnectionString.Length > 0)
        {
            await PostgresTestServer.DropDatabaseAsync(ConnectionString);
        }
    }
}
