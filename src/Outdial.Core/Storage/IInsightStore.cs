using Outdial.Core.Calls;
using Outdial.Core.Insights;

namespace Outdial.Core.Storage;

/// <summary>
/// Insight analyses: a durable job queue and the results it produces, one row per analysis (history kept). Analyses are
/// created with the call's end (<see cref="CallChange.NewAnalysis"/>) or by a rerun, claimed with fenced leases, and finished
/// together with the call event that announces them.
/// </summary>
public interface IInsightStore
{
    /// <summary>Stores a new pending analysis (a rerun). Durable when the task completes.</summary>
    Task CreateAnalysisAsync(InsightAnalysis analysis, CancellationToken ct);

    /// <summary>The call's analyses, newest first; empty when none.</summary>
    Task<IReadOnlyList<InsightAnalysis>> ListAnalysesAsync(string callId, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="limit"/> analyses that are pending, or running with an expired lease (a crashed worker's),
    /// and due at <paramref name="now"/> (UTC), oldest due first: each becomes <see cref="AnalysisStatus.Running"/> with
    /// <see cref="InsightAnalysis.Attempts"/> one higher, held by <paramref name="leaseToken"/> until
    /// <paramref name="now"/> + <paramref name="leaseFor"/>. Returns them as stored after the claim.
    /// </summary>
    Task<IReadOnlyList<InsightAnalysis>> ClaimDueAnalysesAsync(DateTimeOffset now, int limit, TimeSpan leaseFor, string leaseToken, CancellationToken ct);

    /// <summary>
    /// Writes <paramref name="analysis"/> (completed, failed, or pending again with its next attempt time) and releases its
    /// lease, only while <paramref name="leaseToken"/> still holds it; in the same transaction persists
    /// <paramref name="callWrite"/>, when given (the call's announcing event and its deliveries, decided by
    /// <see cref="CallTransition.AppendEvent"/>), as <see cref="ICallStore.TryWriteAsync"/> does. The analysis keeps its
    /// stored call, account and creation time. <see cref="CallWriteResult.Refused"/> when the lease was lost,
    /// <see cref="CallWriteResult.CallChanged"/> when the call's version moved; nothing is written then.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="analysis"/> is still running.</exception>
    Task<CallWriteResult> FinishAnalysisAsync(InsightAnalysis analysis, string leaseToken, CallWrite? callWrite, CancellationToken ct);
}
