namespace Outdial.Storage;

/// <summary>The database a node runs on, for start-up (migrations) and the readiness probe; engine-neutral.</summary>
public interface IOutdialDatabase
{
    /// <summary>The engine's name as the start-up log and health show it: <c>SQLite</c> or <c>PostgreSQL</c>.</summary>
    string Engine { get; }

    /// <summary>Where the data lives, without secrets: the SQLite file's path, or PostgreSQL's <c>host:port/database</c>.</summary>
    string Location { get; }

    /// <summary>The schema version this build's embedded migrations reach.</summary>
    int LatestVersion { get; }

    /// <summary>Applies pending migrations (safe when several nodes start at once) and returns the schema version afterwards.</summary>
    Task<int> MigrateAsync(CancellationToken ct);

    /// <summary>The schema version applied (0 before the first migration). Throws the engine's <see cref="System.Data.Common.DbException"/> when the database cannot be read.</summary>
    Task<int> AppliedVersionAsync(CancellationToken ct);

    /// <summary>The engine's version (the SQLite library's, or the PostgreSQL server's), e.g. <c>3.53.3</c> or <c>15.18</c>.</summary>
    Task<string> EngineVersionAsync(CancellationToken ct);
}
