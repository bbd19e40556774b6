using Outdial.Core.Agents;
using Outdial.Core.Calls;
using Outdial.Core.Common;

namespace Outdial.Core.Insights;

/// <summary>Insight analysis settings (configuration section <c>Outdial:Insights</c>).</summary>
public sealed class InsightOptions
{
    /// <summary>How long after a call ends its analysis starts, so the last transcript writes of a closing relay session land first. Default 2 s.</summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the worker looks for due analyses. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claimed analysis stays with its worker; a crashed worker's analysis runs again after it. Default 5 min.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Analyses run at once per node. Default 4.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// Seconds to wait before each retry of a failed run (model unreachable, invalid answer after the repair retry); after the
    /// last, the analysis is <see cref="AnalysisStatus.Failed"/>. Null: 30 s, 2 min, 10 min, 1 h, 6 h (6 runs in all).
    /// (Null rather than a list default: configuration binding appends to a list it finds.)
    /// </summary>
    public List<int>? RetryDelaysSec { get; set; }

    /// <summary>The retry delays in force (seconds).</summary>
    public IReadOnlyList<int> RetryDelays => RetryDelaysSec ?? [30, 120, 600, 3600, 21600];
}

/// <summary>Creation of analyses: the one rule for which ended calls are analysed.</summary>
public static class InsightJobs
{
    /// <summary>
    /// The analysis to create with a call's end (<see cref="Storage.CallChange.NewAnalysis"/>), due <paramref name="settle"/>
    /// after <paramref name="now"/>: when the call has questions, its agent has success criteria, or a person answered (a
    /// summary is worth having). Null otherwise.
    /// </summary>
    public static InsightAnalysis? ForEndedCall(Call call, Agent? agent, CallOutcome outcome, DateTimeOffset now, TimeSpan settle) =>
        call.InsightQuestions.Count > 0 || agent is { SuccessCriteria.Length: > 0 } || outcome == CallOutcome.Answered
            ? New(call, agent, "call_ended", call.InsightQuestions, now, now + settle)
            : null;

    /// <summary>A pending analysis of <paramref name="call"/> for <paramref name="questions"/>, due at <paramref name="due"/> (UTC).</summary>
    public static InsightAnalysis New(Call call, Agent? agent, string trigger, IReadOnlyList<InsightQuestion> questions, DateTimeOffset now, DateTimeOffset due) => new()
    {
        Id = Ids.New("ins", now),
        CallId = call.Id,
        AccountId = call.AccountId,
        Status = AnalysisStatus.Pending,
        Trigger = trigger,
        Questions = questions,
        SuccessCriteria = agent?.SuccessCriteria ?? "",
        NextAttemptAt = due,
        CreatedAt = now,
        UpdatedAt = now,
    };
}
