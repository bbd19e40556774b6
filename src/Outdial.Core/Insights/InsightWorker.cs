using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Storage;

namespace Outdial.Core.Insights;

/// <summary>
/// Runs due analyses (a durable job queue in the store): claims them with a lease, analyses each
/// (<see cref="InsightAnalyzer"/>), and finishes it fenced on the lease — completed with a <c>call.insights_ready</c> event (its
/// webhooks planned in the same transaction), or pending again after the next retry delay, or failed after the last with a
/// <c>call.insights_failed</c> event. Delivery guarantee: an analysis created with a call's end is run until it completes or
/// fails visibly; a worker that dies mid-run loses its lease and the analysis runs again (at least once).
/// </summary>
public sealed partial class InsightWorker(
    IInsightStore store,
    CallChanges changes,
    InsightAnalyzer analyzer,
    IOptions<InsightOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<InsightWorker> log,
    Nodes.NodeIdentity node) : BackgroundService
{
    private readonly string _leaseToken = node.LeaseToken(Nodes.NodeIdentity.Insights);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ClaimLoop.RunAsync(lifetime, RunOnceAsync, ct => Task.Delay(options.Value.PollInterval, clock, ct), ex => LogRoundFailed(log, ex), stoppingToken);

    /// <summary>One round: claims up to <see cref="InsightOptions.MaxConcurrency"/> due analyses and runs them together; returns how many.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var due = await store.ClaimDueAnalysesAsync(clock.GetUtcNow(), options.Value.MaxConcurrency, options.Value.LeaseDuration, _leaseToken, ct);
        await Task.WhenAll(due.Select(a => RunAsync(a, ct)));
        return due.Count;
    }

    private async Task RunAsync(InsightAnalysis analysis, CancellationToken ct)
    {
        InsightAnalysis finished;
        NewCallEvent? announce;
        try
        {
            finished = await analyzer.AnalyzeAsync(analysis, ct);
            announce = Event(CallEventTypes.InsightsReady, finished);
            LogCompleted(log, analysis.Id, analysis.CallId, finished.Method ?? "");
        }
        catch (Exception ex) when (ex is InsightAnalysisException or InvalidOperationException)
        {
            var now = clock.GetUtcNow();
            var delays = options.Value.RetryDelays;
            if (analysis.Attempts > delays.Count || ex is InvalidOperationException)
            {
                finished = analysis with { Status = AnalysisStatus.Failed, LastError = ex.Message, UpdatedAt = now, CompletedAt = now };
                announce = Event(CallEventTypes.InsightsFailed, finished);
                LogFailed(log, analysis.Id, analysis.CallId, analysis.Attempts, ex.Message);
            }
            else
            {
                var retryAt = now + TimeSpan.FromSeconds(delays[analysis.Attempts - 1]);
                finished = analysis with { Status = AnalysisStatus.Pending, LastError = ex.Message, NextAttemptAt = retryAt, UpdatedAt = now };
                announce = null;
                LogRetrying(log, analysis.Id, analysis.CallId, analysis.Attempts, retryAt, ex.Message);
            }
        }
        if (!await changes.FinishAnalysisAsync(finished, _leaseToken, announce, ct))
        {
            LogLeaseLost(log, analysis.Id);
        }
    }

    /// <summary>The call event announcing a finished analysis: <c>{"analysisId", "insights": the analysis resource}</c>.</summary>
    private static NewCallEvent Event(string type, InsightAnalysis analysis) => new(type, new JsonObject
    {
        ["analysisId"] = analysis.Id,
        ["insights"] = InsightResource.Of(analysis).ToNode(),
    });

    [LoggerMessage(EventId = 8001, Level = LogLevel.Error, Message = "Insight round failed; retrying")]
    private static partial void LogRoundFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Insights {AnalysisId} of call {CallId} completed ({Method})")]
    private static partial void LogCompleted(ILogger logger, string analysisId, string callId, string method);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Insights {AnalysisId} of call {CallId}: run {Attempt} failed ({Reason}); next run at {RetryAt:O}")]
    private static partial void LogRetrying(ILogger logger, string analysisId, string callId, int attempt, DateTimeOffset retryAt, string reason);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Error, Message = "Insights {AnalysisId} of call {CallId} failed after {Attempts} runs ({Reason})")]
    private static partial void LogFailed(ILogger logger, string analysisId, string callId, int attempts, string reason);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Insights {AnalysisId}: the lease was lost before the result was stored; another worker runs it")]
    private static partial void LogLeaseLost(ILogger logger, string analysisId);
}
