using Dapper;
using System.Data.Common;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Insights;
using Outdial.Core.Storage;

namespace Outdial.Storage.Sql;

public abstract partial class SqlStore : IInsightStore
{
    private sealed record AnalysisLeaseRow(string call_id, string account_id, long created_at, string? lease_token);

    /// <inheritdoc />
    public Task CreateAnalysisAsync(InsightAnalysis analysis, CancellationToken ct) =>
        engine.WriteAsync(conn => InsertAnalysis(conn, analysis), ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<InsightAnalysis>> ListAnalysesAsync(string callId, CancellationToken ct) =>
        [.. (await QueryAsync<string>("SELECT doc FROM insight_analyses WHERE call_id = @callId ORDER BY created_at DESC, id DESC;", new { callId }, ct))
            .Select(FromDoc<InsightAnalysis>)];

    /// <inheritdoc />
    public Task<IReadOnlyList<InsightAnalysis>> ClaimDueAnalysesAsync(DateTimeOffset now, int limit, TimeSpan leaseFor, string leaseToken, CancellationToken ct) =>
        engine.ClaimAsync<IReadOnlyList<InsightAnalysis>>(conn =>
        {
            // status IN (...) repeats the due index's condition, so the claim reads only unfinished rows, in due order.
            var docs = conn.Query<string>($"""
                SELECT doc FROM insight_analyses
                WHERE status IN ('pending', 'running') AND next_attempt_at <= @now
                  AND (status = 'pending' OR lease_until <= @now)
                ORDER BY next_attempt_at
                LIMIT @limit{SkipLocked("insight_analyses")}
                """, new { now = Ms(now), limit }).AsList();
            var claimed = docs.Select(FromDoc<InsightAnalysis>)
                .Select(a => a with { Status = AnalysisStatus.Running, Attempts = a.Attempts + 1, UpdatedAt = now })
                .ToList();
            foreach (var a in claimed)
            {
                conn.Execute("""
                    UPDATE insight_analyses SET status = 'running', lease_token = @leaseToken, lease_until = @until, doc = @doc WHERE id = @Id
                    """, new { leaseToken, until = Ms(now + leaseFor), doc = ToDoc(a), a.Id });
            }
            return claimed;
        }, ct);

    /// <inheritdoc />
    /// <remarks>
    /// The event is stamped with <see cref="InsightAnalysis.UpdatedAt"/> (the time the worker finished). The analysis keeps
    /// its stored call, account and creation time whatever <paramref name="analysis"/> says.
    /// </remarks>
    public Task<CallWriteResult> FinishAnalysisAsync(InsightAnalysis analysis, string leaseToken, CallWrite? callWrite, CancellationToken ct)
    {
        if (analysis.Status == AnalysisStatus.Running)
        {
            throw new ArgumentException("a finished analysis is completed, failed, or pending again", nameof(analysis));
        }
        return engine.WriteAsync(conn =>
        {
            var row = conn.QuerySingleOrDefault<AnalysisLeaseRow>(
                "SELECT call_id, account_id, created_at, lease_token FROM insight_analyses WHERE id = @Id;", new { analysis.Id });
            if (row is null || row.lease_token != leaseToken)
            {
                return CallWriteResult.Refused;
            }
            // The call's write goes first: when its version moved, nothing is written (the single writer makes check and write one step).
            if (callWrite is not null && Write(conn, callWrite) is var written && written != CallWriteResult.Written)
            {
                return written;
            }
            var stored = analysis with { CallId = row.call_id, AccountId = row.account_id, CreatedAt = At(row.created_at) };
            conn.Execute("""
                UPDATE insight_analyses SET status = @status, next_attempt_at = @next, lease_token = NULL, lease_until = NULL, doc = @doc
                WHERE id = @Id AND lease_token = @leaseToken
                """, new { status = WireNames.Of(stored.Status), next = Ms(stored.NextAttemptAt), doc = ToDoc(stored), stored.Id, leaseToken });
            return CallWriteResult.Written;
        }, ct);
    }

    /// <summary>Inserts a new analysis (inside the caller's writer transaction: a rerun, or the change that ends the call).</summary>
    private static int InsertAnalysis(DbConnection conn, InsightAnalysis analysis) => conn.Execute("""
        INSERT INTO insight_analyses (id, call_id, account_id, status, next_attempt_at, lease_token, lease_until, created_at, doc)
        VALUES (@Id, @CallId, @AccountId, @status, @next, NULL, NULL, @created, @doc)
        """, new
    {
        analysis.Id,
        analysis.CallId,
        analysis.AccountId,
        status = WireNames.Of(analysis.Status),
        next = Ms(analysis.NextAttemptAt),
        created = Ms(analysis.CreatedAt),
        doc = ToDoc(analysis),
    });
}
