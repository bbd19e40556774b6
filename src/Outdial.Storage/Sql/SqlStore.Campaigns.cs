using Dapper;
using System.Data.Common;
using Outdial.Core.Campaigns;
using Outdial.Core.Common;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore
{
    private const string ContactColumns = "id, account_id, campaign_id, phone, status, call_id, skip_reason, import_id, created_at, doc";

    /// <summary>Contacts marked skipped per writer transaction by <see cref="SkipPendingContactsAsync"/>, so a large campaign does not hold the writer.</summary>
    private const int SkipChunk = 5_000;

    /// <summary>What a contact row keeps beyond its columns; null when the contact has neither a zone nor fields (most rows stay small).</summary>
    private sealed record ContactDoc(string? TimeZone, IReadOnlyDictionary<string, string>? Fields);

    private sealed record ContactRow(string id, string account_id, string campaign_id, string phone, string status, string? call_id,
        string? skip_reason, string? import_id, long created_at, string? doc)
    {
        public CampaignContact ToContact()
        {
            var extra = doc is null ? null : FromDoc<ContactDoc>(doc);
            return new CampaignContact
            {
                Id = id,
                AccountId = account_id,
                CampaignId = campaign_id,
                Phone = phone,
                TimeZone = extra?.TimeZone,
                Fields = extra?.Fields ?? new Dictionary<string, string>(),
                Status = WireNames.TryParse(status, out ContactStatus s) ? s : throw new InvalidOperationException($"unknown contact status '{status}'"),
                CallId = call_id,
                SkipReason = skip_reason,
                ImportId = import_id,
                CreatedAt = At(created_at),
            };
        }
    }

    /// <inheritdoc />
    public Task<UpsertResult> CreateCampaignAsync(Campaign campaign, CancellationToken ct) =>
        WriteUniqueAsync(conn =>
        {
            conn.Execute("""
                INSERT INTO campaigns (id, account_id, name, status, deleted_at, version, created_at, updated_at, doc)
                VALUES (@Id, @AccountId, @Name, @status, NULL, @Version, @created, @updated, @doc)
                """, CampaignArgs(campaign));
            return UpsertResult.Ok;
        }, ct);

    /// <inheritdoc />
    public Task<UpsertResult> UpdateCampaignAsync(Campaign campaign, CancellationToken ct) =>
        WriteUniqueAsync(conn => conn.Execute("""
            UPDATE campaigns SET name = @Name, status = @status, version = @Version, updated_at = @updated, doc = @doc
            WHERE id = @Id AND account_id = @AccountId AND version = @previous AND deleted_at IS NULL
            """, CampaignArgs(campaign)) == 1 ? UpsertResult.Ok : UpsertResult.NotFound, ct);

    private static object CampaignArgs(Campaign c) => new
    {
        c.Id,
        c.AccountId,
        c.Name,
        status = WireNames.Of(c.Status),
        c.Version,
        previous = c.Version - 1,
        created = Ms(c.CreatedAt),
        updated = Ms(c.UpdatedAt),
        doc = ToDoc(c),
    };

    /// <inheritdoc />
    public async Task<Campaign?> GetCampaignAsync(string accountId, string campaignId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM campaigns WHERE account_id = @accountId AND id = @campaignId AND deleted_at IS NULL;",
            new { accountId, campaignId }, ct);
        return doc is null ? null : FromDoc<Campaign>(doc);
    }

    /// <inheritdoc />
    public async Task<Campaign?> GetCampaignByIdAsync(string campaignId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM campaigns WHERE id = @campaignId AND deleted_at IS NULL;", new { campaignId }, ct);
        return doc is null ? null : FromDoc<Campaign>(doc);
    }

    /// <inheritdoc />
    public async Task<Campaign?> FindCampaignByNameAsync(string accountId, string name, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM campaigns WHERE account_id = @accountId AND name = @name AND deleted_at IS NULL;",
            new { accountId, name }, ct);
        return doc is null ? null : FromDoc<Campaign>(doc);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Campaign>> ListCampaignsAsync(string accountId, int limit, string? cursor, CampaignStatus? status, CancellationToken ct) =>
        [.. (await QueryAsync<string>("""
            SELECT doc FROM campaigns
            WHERE account_id = @accountId AND deleted_at IS NULL
              AND (@cursor IS NULL OR id < @cursor) AND (@status IS NULL OR status = @status)
            ORDER BY id DESC LIMIT @limit
            """, new { accountId, cursor, status = status is { } s ? WireNames.Of(s) : null, limit }, ct)).Select(FromDoc<Campaign>)];

    /// <inheritdoc />
    public async Task<IReadOnlyList<Campaign>> ListActiveCampaignsAsync(CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM campaigns WHERE status = 'active' AND deleted_at IS NULL ORDER BY id;", null, ct))
            .Select(FromDoc<Campaign>)];

    /// <inheritdoc />
    public Task<bool> DeleteCampaignAsync(string accountId, string campaignId, DateTimeOffset at, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            var doc = conn.QuerySingleOrDefault<string>("SELECT doc FROM campaigns WHERE account_id = @accountId AND id = @campaignId AND deleted_at IS NULL;",
                new { accountId, campaignId });
            if (doc is null)
            {
                return false;
            }
            var before = FromDoc<Campaign>(doc);
            var after = before with { Version = before.Version + 1, UpdatedAt = at };
            return conn.Execute("""
                UPDATE campaigns SET deleted_at = @at, version = @Version, updated_at = @at, doc = @doc
                WHERE id = @Id AND version = @previous AND deleted_at IS NULL
                """, new { at = Ms(at), after.Version, doc = ToDoc(after), after.Id, previous = before.Version }) == 1;
        }, ct);

    /// <summary>
    /// Inserts the batch on the writer with one prepared statement (<c>ON CONFLICT (campaign_id, phone) DO NOTHING</c>: the
    /// database decides what is a duplicate) and stores the import's progress in the same transaction. Accepted counts
    /// inserted <c>pending</c> rows; Duplicate counts <c>pending</c> rows the campaign already had. A <c>skipped</c> row
    /// (DNC-suppressed by the caller, who counted it) adds to neither, so every row is counted once.
    /// Contacts take the batch's account and campaign.
    /// </summary>
    public Task<ContactBatchResult> AddContactsAsync(ContactBatch batch, CancellationToken ct) =>
        engine.WriteAsync(conn =>
        {
            var inserted = new bool[batch.Contacts.Count];
            long accepted = 0, duplicate = 0;
            // Raw ADO.NET here: one command prepared once and re-bound per row (Dapper would re-prepare per row, and its
            // multi-row Execute does not say which rows were inserted). This is the 1,000,000-row import path.
            using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = """
                    INSERT INTO campaign_contacts (id, account_id, campaign_id, phone, status, call_id, skip_reason, import_id, created_at, doc)
                    VALUES (@id, @account, @campaign, @phone, @status, @call, @skip, @import, @created, @doc)
                    ON CONFLICT (campaign_id, phone) DO NOTHING
                    """;
                DbParameter Add(string name, System.Data.DbType type)
                {
                    var p = cmd.CreateParameter();
                    p.ParameterName = name;
                    p.DbType = type;
                    cmd.Parameters.Add(p);
                    return p;
                }
                var id = Add("id", System.Data.DbType.String);
                Add("account", System.Data.DbType.String).Value = batch.AccountId;
                Add("campaign", System.Data.DbType.String).Value = batch.CampaignId;
                var phone = Add("phone", System.Data.DbType.String);
                var status = Add("status", System.Data.DbType.String);
                var call = Add("call", System.Data.DbType.String);
                var skip = Add("skip", System.Data.DbType.String);
                var import = Add("import", System.Data.DbType.String);
                var created = Add("created", System.Data.DbType.Int64);
                var doc = Add("doc", System.Data.DbType.String);
                for (var i = 0; i < inserted.Length; i++)
                {
                    var c = batch.Contacts[i];
                    id.Value = c.Id;
                    phone.Value = c.Phone;
                    status.Value = WireNames.Of(c.Status);
                    call.Value = (object?)c.CallId ?? DBNull.Value;
                    skip.Value = (object?)c.SkipReason ?? DBNull.Value;
                    import.Value = (object?)c.ImportId ?? DBNull.Value;
                    created.Value = Ms(c.CreatedAt);
                    doc.Value = c.TimeZone is null && c.Fields.Count == 0
                        ? DBNull.Value
                        : ToDoc(new ContactDoc(c.TimeZone, c.Fields.Count == 0 ? null : c.Fields));
                    inserted[i] = cmd.ExecuteNonQuery() == 1;
                    if (c.Status != ContactStatus.Pending)
                    {
                        continue;
                    }
                    if (inserted[i])
                    {
                        accepted++;
                    }
                    else
                    {
                        duplicate++;
                    }
                }
            }
            var progress = batch.Progress is { } p ? p with { Accepted = p.Accepted + accepted, Duplicate = p.Duplicate + duplicate } : null;
            if (progress is not null)
            {
                SaveImport(conn, progress);
            }
            return new ContactBatchResult(inserted, progress);
        }, ct);

    /// <summary>Oldest first means in the order the contacts were added (file order within an import).</summary>
    public async Task<IReadOnlyList<CampaignContact>> ListPendingContactsAsync(string campaignId, int limit, CancellationToken ct) =>
        [.. (await QueryAsync<ContactRow>($"""
            SELECT {ContactColumns} FROM campaign_contacts WHERE campaign_id = @campaignId AND status = 'pending' ORDER BY seq LIMIT @limit
            """, new { campaignId, limit }, ct)).Select(r => r.ToContact())];

    /// <summary>Changes the contact only while it is pending (a contact is called or skipped once).</summary>
    public Task MarkContactAsync(string contactId, ContactStatus status, string? callId, string? skipReason, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("""
            UPDATE campaign_contacts SET status = @status, call_id = @callId, skip_reason = @skipReason WHERE id = @contactId AND status = 'pending'
            """, new { status = WireNames.Of(status), callId, skipReason, contactId }), ct);

    /// <summary>Works in chunks of <see cref="SkipChunk"/> contacts, each its own writer transaction, so other writes interleave.</summary>
    public async Task<long> SkipPendingContactsAsync(string campaignId, string reason, CancellationToken ct)
    {
        long total = 0;
        int rows;
        do
        {
            rows = await engine.WriteAsync(conn => conn.Execute("""
                UPDATE campaign_contacts SET status = 'skipped', skip_reason = @reason
                WHERE seq IN (SELECT seq FROM campaign_contacts WHERE campaign_id = @campaignId AND status = 'pending' ORDER BY seq LIMIT @chunk)
                """, new { campaignId, reason, chunk = SkipChunk }), ct);
            total += rows;
        }
        while (rows == SkipChunk);
        return total;
    }

    /// <inheritdoc />
    public async Task<int> CountOpenCallsAsync(string campaignId, DateTimeOffset dueBefore, CancellationToken ct) =>
        (int)await QuerySingleAsync<long>("""
            SELECT COUNT(*) FROM calls
            WHERE campaign_id = @campaignId
              AND (status IN ('dialing', 'ringing', 'in_progress') OR (status IN ('scheduled', 'queued') AND due_at < @dueBefore))
            """, new { campaignId, dueBefore = Ms(dueBefore) }, ct);

    /// <inheritdoc />
    public async Task<bool> HasUnfinishedWorkAsync(string campaignId, CancellationToken ct) =>
        await QuerySingleAsync<long>($"""
            SELECT CASE WHEN EXISTS (SELECT 1 FROM campaign_contacts WHERE campaign_id = @campaignId AND status = 'pending')
                OR EXISTS (SELECT 1 FROM calls WHERE campaign_id = @campaignId AND status IN {PendingOrActive}) THEN 1 ELSE 0 END
            """, new { campaignId }, ct) == 1;

    /// <inheritdoc />
    public async Task<bool> HasAnyWorkAsync(string campaignId, CancellationToken ct) =>
        await QuerySingleAsync<long>("""
            SELECT CASE WHEN EXISTS (SELECT 1 FROM campaign_contacts WHERE campaign_id = @campaignId)
                OR EXISTS (SELECT 1 FROM calls WHERE campaign_id = @campaignId) THEN 1 ELSE 0 END
            """, new { campaignId }, ct) == 1;

    /// <summary>Reads the small partial index of active calls, not the campaign index (which would cover every campaign call ever made).</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountActiveCallsByCampaignAsync(CancellationToken ct) =>
        (await QueryAsync<(string CampaignId, long Count)>($"""
            SELECT campaign_id, COUNT(*) FROM calls{(Pg ? "" : " INDEXED BY ix_calls_active")}
            WHERE campaign_id IS NOT NULL AND status IN ('dialing', 'ringing', 'in_progress')
            GROUP BY campaign_id
            """, null, ct))
            .ToDictionary(r => r.CampaignId, r => (int)r.Count, StringComparer.Ordinal);

    /// <summary>
    /// Reads every count in one read transaction (one WAL snapshot). Test calls and their attempts are left out.
    /// A skipped contact without a reason counts under <c>skipped</c>; a blocked or expired call without a status reason
    /// under its status. An attempt counts as answered when the provider reported an answer time, when it reached
    /// <c>in_progress</c>, or when its outcome is <c>answered</c> or <c>voicemail</c> (a human or a machine picked up);
    /// as answered by a human when its outcome is <c>answered</c>.
    /// </summary>
    public Task<CampaignCounts> GetCampaignCountsAsync(string campaignId, CancellationToken ct) =>
        engine.ReadAsync(conn =>
        {
            using var read = engine.BeginSnapshot(conn);
            return Task.FromResult(ReadCampaignCounts(conn, read, campaignId));
        }, ct);

    private CampaignCounts ReadCampaignCounts(DbConnection conn, DbTransaction read, string campaignId)
    {
        var args = new { campaignId };
        Dictionary<string, long> Group(string sql) => conn.Query<(string Key, long Count)>(sql, args, read)
            .ToDictionary(r => r.Key, r => r.Count, StringComparer.Ordinal);

        var contacts = Group("SELECT status, COUNT(*) FROM campaign_contacts WHERE campaign_id = @campaignId GROUP BY status;");
        var skipped = Group("""
            SELECT reason, CAST(SUM(n) AS BIGINT) FROM (
                SELECT COALESCE(skip_reason, 'skipped') AS reason, COUNT(*) AS n FROM campaign_contacts
                WHERE campaign_id = @campaignId AND status = 'skipped' GROUP BY 1
                UNION ALL
                SELECT COALESCE(status_reason, status), COUNT(*) FROM calls
                WHERE campaign_id = @campaignId AND status IN ('blocked', 'expired') AND is_test = 0 GROUP BY 1) AS s
            GROUP BY reason
            """);
        var calls = Group("SELECT status, COUNT(*) FROM calls WHERE campaign_id = @campaignId AND is_test = 0 GROUP BY status;");
        var outcomes = Group("""
            SELECT outcome, COUNT(*) FROM calls
            WHERE campaign_id = @campaignId AND status = 'ended' AND outcome IS NOT NULL AND is_test = 0 GROUP BY outcome
            """);
        var attempts = conn.QuerySingle<(long Total, long Answered, long Human)>($"""
            SELECT COUNT(*),
                COALESCE(SUM(CASE WHEN {JsonText("a.doc", "answeredAt")} IS NOT NULL OR a.status = 'in_progress'
                    OR {JsonText("a.doc", "outcome")} IN ('answered', 'voicemail') THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN {JsonText("a.doc", "outcome")} = 'answered' THEN 1 ELSE 0 END), 0)
            FROM calls c JOIN call_attempts a ON a.call_id = c.id
            WHERE c.campaign_id = @campaignId AND c.is_test = 0
            """, args, read);
        var nextDue = conn.QuerySingle<long?>("""
            SELECT MIN(due_at) FROM calls WHERE campaign_id = @campaignId AND status IN ('scheduled', 'queued') AND is_test = 0
            """, args, read);
        return new CampaignCounts(contacts, skipped, calls, outcomes, attempts.Total, attempts.Answered, attempts.Human,
            nextDue is { } due ? At(due) : null);
    }

    /// <inheritdoc />
    public Task CreateImportAsync(ContactImport import, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("""
            INSERT INTO contact_imports (id, account_id, campaign_id, status, created_at, doc) VALUES (@Id, @AccountId, @CampaignId, @status, @created, @doc)
            """, ImportArgs(import)), ct);

    /// <inheritdoc />
    public Task UpdateImportAsync(ContactImport import, CancellationToken ct) =>
        engine.WriteAsync(conn => conn.Execute("UPDATE contact_imports SET status = @status, doc = @doc WHERE id = @Id AND account_id = @AccountId;",
            ImportArgs(import)), ct);

    /// <summary>Stores an import's progress (inserting it when the caller did not create it first); never moves it to another account.</summary>
    private static void SaveImport(DbConnection conn, ContactImport import) => conn.Execute("""
        INSERT INTO contact_imports (id, account_id, campaign_id, status, created_at, doc) VALUES (@Id, @AccountId, @CampaignId, @status, @created, @doc)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, doc = excluded.doc WHERE contact_imports.account_id = excluded.account_id
        """, ImportArgs(import));

    private static object ImportArgs(ContactImport i) => new
    {
        i.Id,
        i.AccountId,
        i.CampaignId,
        status = WireNames.Of(i.Status),
        created = Ms(i.CreatedAt),
        doc = ToDoc(i),
    };

    /// <inheritdoc />
    public async Task<ContactImport?> GetImportAsync(string accountId, string importId, CancellationToken ct)
    {
        var doc = await QuerySingleAsync<string>("SELECT doc FROM contact_imports WHERE account_id = @accountId AND id = @importId;",
            new { accountId, importId }, ct);
        return doc is null ? null : FromDoc<ContactImport>(doc);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactImport>> ListImportsAsync(string accountId, string campaignId, CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM contact_imports WHERE account_id = @accountId AND campaign_id = @campaignId ORDER BY id DESC;",
            new { accountId, campaignId }, ct)).Select(FromDoc<ContactImport>)];

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContactImport>> ListRunningImportsAsync(CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM contact_imports WHERE status = 'running' ORDER BY id;", null, ct))
            .Select(FromDoc<ContactImport>)];
}
