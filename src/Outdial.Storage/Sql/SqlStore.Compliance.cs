using System.Text.Json;
using Dapper;
using System.Data.Common;
using Outdial.Core.Compliance;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore
{
    private const string DncColumns = "account_id, number, reason, source, opt_out, created_at";

    private sealed record DncRow(string account_id, string number, string? reason, string? source, long opt_out, long created_at)
    {
        public DncEntry ToEntry() => new(account_id, number, reason, source ?? "", opt_out != 0, At(created_at));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DncAddOutcome>> AddDncAsync(IReadOnlyList<DncEntry> entries, CancellationToken ct) =>
        engine.WriteAsync<IReadOnlyList<DncAddOutcome>>(conn => [.. entries.Select(e => AddDnc(conn, e))], ct);

    /// <summary>
    /// The one DNC write rule (<see cref="DncEntry"/>): a new number is added; an opt-out replaces a plain entry; an existing
    /// opt-out, or a plain entry met by another plain one, is kept as it is. Runs inside the caller's writer transaction.
    /// </summary>
    private static DncAddOutcome AddDnc(DbConnection conn, DncEntry e)
    {
        var args = new { e.AccountId, e.Number, e.Reason, e.Source, e.OptOut, created = Ms(e.CreatedAt) };
        if (conn.Execute("""
            INSERT INTO dnc_entries (account_id, number, reason, source, opt_out, created_at)
            VALUES (@AccountId, @Number, @Reason, @Source, CAST(@OptOut AS INTEGER), @created)
            ON CONFLICT (account_id, number) DO NOTHING
            """, args) == 1)
        {
            return DncAddOutcome.Added;
        }
        return e.OptOut && conn.Execute("""
            UPDATE dnc_entries SET reason = @Reason, source = @Source, opt_out = 1, created_at = @created
            WHERE account_id = @AccountId AND number = @Number AND opt_out = 0
            """, args) == 1
            ? DncAddOutcome.Upgraded
            : DncAddOutcome.Kept;
    }

    /// <inheritdoc />
    public async Task<DncEntry?> GetDncAsync(string accountId, string number, CancellationToken ct) =>
        (await QuerySingleAsync<DncRow>($"SELECT {DncColumns} FROM dnc_entries WHERE account_id = @accountId AND number = @number;",
            new { accountId, number }, ct))?.ToEntry();

    /// <inheritdoc />
    public async Task<IReadOnlyList<DncEntry>> GetDncManyAsync(string accountId, IReadOnlyCollection<string> numbers, CancellationToken ct)
    {
        if (numbers.Count == 0)
        {
            return [];
        }
        // One array parameter instead of an IN list: any batch size, one statement text (cached plan). SQLite takes it as JSON.
        return [.. (await QueryAsync<DncRow>(Pg
            ? $"SELECT {DncColumns} FROM dnc_entries WHERE account_id = @accountId AND number = ANY(@numbers)"
            : $"SELECT {DncColumns} FROM dnc_entries WHERE account_id = @accountId AND number IN (SELECT value FROM json_each(@numbers))",
            new { accountId, numbers = Pg ? (object)numbers.ToArray() : JsonSerializer.Serialize(numbers) }, ct)).Select(r => r.ToEntry())];
    }

    /// <inheritdoc />
    public Task<DncRemoveOutcome> RemoveDncAsync(string accountId, string number, bool removeOptOut, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            if (conn.Execute("DELETE FROM dnc_entries WHERE account_id = @accountId AND number = @number AND (opt_out = 0 OR @removeOptOut);",
                new { accountId, number, removeOptOut }) == 1)
            {
                return DncRemoveOutcome.Removed;
            }
            return conn.ExecuteScalar<long?>("SELECT 1 FROM dnc_entries WHERE account_id = @accountId AND number = @number;", new { accountId, number }) is null
                ? DncRemoveOutcome.NotFound
                : DncRemoveOutcome.OptOutProtected;
        }, ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<DncEntry>> ListDncAsync(string accountId, int limit, string? cursor, CancellationToken ct) =>
        [.. (await QueryAsync<DncRow>($"""
            SELECT {DncColumns} FROM dnc_entries
            WHERE account_id = @accountId AND (@cursor IS NULL OR number > @cursor)
            ORDER BY number LIMIT @limit
            """, new { accountId, cursor, limit }, ct)).Select(r => r.ToEntry())];

    /// <inheritdoc />
    public Task CreateConsentAsync(ConsentRecord record, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("""
            INSERT INTO consents (id, account_id, number, purpose, obtained_at, expires_at, revoked_at, created_at, doc)
            VALUES (@Id, @AccountId, @Number, @Purpose, @obtained, @expires, @revoked, @created, @doc)
            """, new
        {
            record.Id,
            record.AccountId,
            record.Number,
            record.Purpose,
            obtained = Ms(record.ObtainedAt),
            expires = Ms(record.ExpiresAt),
            revoked = Ms(record.RevokedAt),
            created = Ms(record.CreatedAt),
            doc = ToDoc(record),
        }), ct);

    /// <inheritdoc />
    public async Task<ConsentRecord?> GetConsentAsync(string accountId, string consentId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM consents WHERE account_id = @accountId AND id = @consentId;",
            new { accountId, consentId }, ct);
        return doc is null ? null : FromDoc<ConsentRecord>(doc);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ConsentRecord>> ListConsentsAsync(string accountId, string? number, int limit, string? cursor, CancellationToken ct) =>
        // Two statements rather than "@number IS NULL OR ...", so each uses its own index.
        [.. (await QueryAsync<string>(number is null
            ? """
              SELECT doc FROM consents WHERE account_id = @accountId AND (@cursor IS NULL OR id < @cursor)
              ORDER BY id DESC LIMIT @limit
              """
            : """
              SELECT doc FROM consents WHERE account_id = @accountId AND number = @number AND (@cursor IS NULL OR id < @cursor)
              ORDER BY id DESC LIMIT @limit
              """, new { accountId, number, cursor, limit }, ct)).Select(FromDoc<ConsentRecord>)];

    /// <inheritdoc />
    public Task<ConsentRecord?> RevokeConsentAsync(string accountId, string consentId, DateTimeOffset at, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            var doc = conn.QuerySingleOrDefault<string>("SELECT doc FROM consents WHERE account_id = @accountId AND id = @consentId;",
                new { accountId, consentId });
            if (doc is null)
            {
                return null;
            }
            var record = FromDoc<ConsentRecord>(doc);
            if (record.RevokedAt is not null)
            {
                return record;
            }
            var revoked = record with { RevokedAt = at };
            conn.Execute("UPDATE consents SET revoked_at = @revokedAt, doc = @doc WHERE id = @consentId AND revoked_at IS NULL;",
                new { revokedAt = Ms(at), doc = ToDoc(revoked), consentId });
            return revoked;
        }, ct);

    /// <summary>
    /// Reads the number's records, most recently obtained first (then newest id), and returns the first that
    /// <see cref="ConsentRecord.IsValidAt"/> accepts, so validity is decided in that one place. A number has few records.
    /// </summary>
    public async Task<ConsentRecord?> FindValidConsentAsync(string accountId, string number, DateTimeOffset at, string? purpose, CancellationToken ct) =>
        (await QueryAsync<string>("""
            SELECT doc FROM consents WHERE account_id = @accountId AND number = @number AND obtained_at <= @at
            ORDER BY obtained_at DESC, id DESC
            """, new { accountId, number, at = Ms(at) }, ct))
            .Select(FromDoc<ConsentRecord>)
            .FirstOrDefault(r => r.IsValidAt(at, purpose));

    /// <inheritdoc />
    public async Task<IReadOnlyList<DateTimeOffset>> ListDialTimesAsync(string accountId, string number, DateTimeOffset since, CancellationToken ct) =>
        [.. (await QueryAsync<long>("""
            SELECT at FROM dial_log WHERE account_id = @accountId AND number = @number AND at >= @since ORDER BY at
            """, new { accountId, number, since = Ms(since) }, ct)).Select(At)];
}
