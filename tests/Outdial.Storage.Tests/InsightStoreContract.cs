using System.Text.Json;
using System.Text.Json.Nodes;
using Outdial.Core.Calls;
using Outdial.Core.Common;
using Outdial.Core.Insights;
using Outdial.Core.Storage;
using Outdial.Core.Webhooks;
using Xunit;
using static Outdial.Storage.Tests.TestData;

namespace Outdial.Storage.Tests;

/// <summary>
/// Insight analyses every storage engine must keep: created with the call's end, claimed with leases (a crashed worker's
/// analysis runs again), finished fenced on the lease token together with the call event that announces them, kept newest
/// first.
/// </summary>
public abstract class InsightStoreContract<TEngine> : IAsyncLifetime where TEngine : IStoreEngine, new()
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly DateTimeOffset EndedAt = T0.AddMinutes(3);

    /// <summary>The event that announces a finished analysis (no constant for it in Core yet).</summary>
    private const string InsightsEvent = "call.insights";

    /// <summary>The agent's questions: a plain string (read by the converter), a choice, a boolean and a number.</summary>
    private static readonly IReadOnlyList<InsightQuestion> Questions =
    [
        JsonSerializer.Deserialize<InsightQuestion>("\"Are you interested in a demo?\"", Json.Options)!,
        new("preferred_day", "Which day suits you best?", InsightType.Choice, ["monday", "wednesday", "friday"]),
        new("has_budget", "Is there budget this quarter?", InsightType.Boolean),
        new("seats", "How many seats do they need?", InsightType.Number),
    ];

    protected TEngine Engine { get; } = new();

    public Task InitializeAsync() => Engine.InitializeAsync();

    public async Task DisposeAsync() => await Engine.DisposeAsync();

    private async Task<Tenant> TenantAsync()
    {
        var t = NewTenant();
        await Engine.Accounts.CreateAccountAsync(t.Account, t.Agent, t.Number, t.Key, Ct);
        await Engine.Webhooks.CreateEndpointAsync(new WebhookEndpoint
        {
            Id = "whe_" + t.Account.Id,
            AccountId = t.Account.Id,
            Url = "https://hooks.example.com/all",
            Enabled = true,
            Secrets = [new WebhookSecret(WebhookSecrets.Generate(), T0, null)],
            CreatedAt = T0,
            UpdatedAt = T0,
        }, Ct);
        return t;
    }

    private static InsightAnalysis Analysis(Call call, DateTimeOffset at, string trigger = "call_ended") => new()
    {
        Id = Ids.New("ins", at),
        CallId = call.Id,
        AccountId = call.AccountId,
        Status = AnalysisStatus.Pending,
        Trigger = trigger,
        Questions = Questions,
        SuccessCriteria = "The callee agrees to a demo.",
        NextAttemptAt = at,
        CreatedAt = at,
        UpdatedAt = at,
    };

    /// <summary>A call dialed (events 1–2) and ended at <see cref="EndedAt"/> (event 3) with its analysis, in one change.</summary>
    private async Task<(Call Call, InsightAnalysis Analysis)> EndedCallAsync(Tenant t, string to = "+15551230000")
    {
        var call = NewCall(t, to: to);
        await Engine.CreateCallAsync(Write(call), Ct);
        Assert.True(await Engine.Changes.TryApplyAsync(new CallChange
        {
            CallId = call.Id,
            Expected = [CallStatus.Queued],
            Next = CallStatus.Dialing,
            At = T0.AddSeconds(1),
            NewAttempt = NewAttempt(call, at: T0.AddSeconds(1)),
            Events = [new NewCallEvent(CallEventTypes.Dialing, new JsonObject { ["status"] = "dialing" })],
        }, Ct));
        var analysis = Analysis(call, EndedAt);
        Assert.True(await Engine.Changes.TryApplyAsync(End(call, analysis), Ct));
        return (call, analysis);
    }

    private static CallChange End(Call call, InsightAnalysis analysis) => new()
    {
        CallId = call.Id,
        Expected = [CallStatus.Dialing, CallStatus.Ringing, CallStatus.InProgress],
        Next = CallStatus.Ended,
        At = EndedAt,
        Outcome = CallOutcome.Answered,
        Events = [new NewCallEvent(CallEventTypes.Ended, new JsonObject { ["status"] = "ended" })],
        NewAnalysis = analysis,
    };

    private static NewCallEvent Announce(InsightAnalysis analysis) =>
        new(InsightsEvent, new JsonObject { ["analysisId"] = analysis.Id, ["status"] = WireNames.Of(analysis.Status) });

    [Fact]
    public async Task Analysis_CreatedWithTheCallsEnd_IsClaimable_AndCarriesItsQuestions()
    {
        var t = await TenantAsync();
        var (call, created) = await EndedCallAsync(t);

        var stored = Assert.Single(await Engine.Insights.ListAnalysesAsync(call.Id, Ct));
        Assert.Equal(created.Id, stored.Id);
        Assert.Equal(AnalysisStatus.Pending, stored.Status);
        Assert.Equal(0, stored.Attempts);
        var claimed = Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt, 10, Lease, "worker-1", Ct));
        Assert.Equal(created.Id, claimed.Id);
        Assert.Equal((call.Id, t.Account.Id, "call_ended", "The callee agrees to a demo."),
            (claimed.CallId, claimed.AccountId, claimed.Trigger, claimed.SuccessCriteria));
        Assert.Equal(AnalysisStatus.Running, claimed.Status);
        Assert.Equal(1, claimed.Attempts);
        Assert.Equal(EndedAt, claimed.CreatedAt);
        Assert.Equal(["are_you_interested_in_a_demo", "preferred_day", "has_budget", "seats"], claimed.Questions.Select(q => q.Key));
        Assert.Equal([InsightType.Text, InsightType.Choice, InsightType.Boolean, InsightType.Number], claimed.Questions.Select(q => q.Type));
        Assert.Equal("Are you interested in a demo?", claimed.Questions[0].Question);
        Assert.Null(claimed.Questions[0].Choices);
        Assert.Equal(["monday", "wednesday", "friday"], claimed.Questions[1].Choices!);
        var listed = Assert.Single(await Engine.Insights.ListAnalysesAsync(call.Id, Ct));
        Assert.Equal((AnalysisStatus.Running, 1, EndedAt), (listed.Status, listed.Attempts, listed.UpdatedAt));
    }

    [Fact]
    public async Task Analysis_OfARefusedChange_IsNotWritten()
    {
        var t = await TenantAsync();
        var call = NewCall(t);
        await Engine.CreateCallAsync(Write(call), Ct);
        // The call is still queued: the end does not apply, and neither does its analysis.
        Assert.False(await Engine.Changes.TryApplyAsync(End(call, Analysis(call, EndedAt)), Ct));
        Assert.Empty(await Engine.Insights.ListAnalysesAsync(call.Id, Ct));
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt.AddDays(1), 10, Lease, "worker-1", Ct));
    }

    [Fact]
    public async Task Claim_HoldsTheLeaseUntilItExpires_ThenAnotherWorkerRunsItAgain()
    {
        var t = await TenantAsync();
        var (_, created) = await EndedCallAsync(t);
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt.AddSeconds(-1), 10, Lease, "worker-1", Ct));
        Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt, 10, Lease, "worker-1", Ct));
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt.AddSeconds(30), 10, Lease, "worker-2", Ct));
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt + Lease - TimeSpan.FromMilliseconds(1), 10, Lease, "worker-2", Ct));

        // worker-1 crashed: once its lease is over the analysis is claimed again, as a second run.
        var again = Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt + Lease, 10, Lease, "worker-2", Ct));
        Assert.Equal(created.Id, again.Id);
        Assert.Equal(AnalysisStatus.Running, again.Status);
        Assert.Equal(2, again.Attempts);
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt + Lease + TimeSpan.FromSeconds(1), 10, Lease, "worker-3", Ct));
    }

    [Fact]
    public async Task Claim_TakesOldestDueFirst_UpToTheLimit()
    {
        var t = await TenantAsync();
        var (call, atEnd) = await EndedCallAsync(t);
        // Created in another order than they are due.
        var dueLast = Analysis(call, EndedAt.AddMinutes(1), trigger: "rerun") with { NextAttemptAt = EndedAt.AddMinutes(2) };
        var dueFirst = Analysis(call, EndedAt.AddMinutes(2), trigger: "rerun") with { NextAttemptAt = EndedAt.AddMinutes(-1) };
        await Engine.Insights.CreateAnalysisAsync(dueLast, Ct);
        await Engine.Insights.CreateAnalysisAsync(dueFirst, Ct);

        var now = EndedAt.AddMinutes(5);
        Assert.Equal([dueFirst.Id, atEnd.Id], (await Engine.Insights.ClaimDueAnalysesAsync(now, 2, Lease, "worker-1", Ct)).Select(a => a.Id));
        Assert.Equal([dueLast.Id], (await Engine.Insights.ClaimDueAnalysesAsync(now, 2, Lease, "worker-2", Ct)).Select(a => a.Id));
    }

    [Fact]
    public async Task Finish_WithALostLease_WritesNothing()
    {
        var t = await TenantAsync();
        var (call, _) = await EndedCallAsync(t);
        var stale = Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt, 10, Lease, "worker-1", Ct));
        var current = Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt + Lease, 10, Lease, "worker-2", Ct));
        var eventsBefore = await Engine.Calls.ListEventsAsync(call.Id, Ct);
        var deliveriesBefore = await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 100), Ct);

        var late = Completed(stale, EndedAt + Lease + TimeSpan.FromSeconds(5));
        Assert.False(await Engine.Changes.FinishAnalysisAsync(late, "worker-1", Announce(late), Ct));
        Assert.False(await Engine.Changes.FinishAnalysisAsync(late, "no-such-lease", Announce(late), Ct));

        var stored = Assert.Single(await Engine.Insights.ListAnalysesAsync(call.Id, Ct));
        Assert.Equal(AnalysisStatus.Running, stored.Status);
        Assert.Equal(2, stored.Attempts);
        Assert.Empty(stored.Answers);
        Assert.Null(stored.Summary);
        Assert.Equal(eventsBefore.Count, (await Engine.Calls.ListEventsAsync(call.Id, Ct)).Count);
        Assert.Equal(deliveriesBefore.Count, (await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 100), Ct)).Count);
        Assert.Equal(eventsBefore.Count, (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!.EventSequence);
        // The holder of the lease still finishes it.
        Assert.True(await Engine.Changes.FinishAnalysisAsync(Completed(current, late.UpdatedAt), "worker-2", null, Ct));
        Assert.Equal(AnalysisStatus.Completed, Assert.Single(await Engine.Insights.ListAnalysesAsync(call.Id, Ct)).Status);
    }

    [Fact]
    public async Task Finish_StoresTheResult_AndAppendsItsEventWithDeliveries_LeavingTheCallEnded()
    {
        var t = await TenantAsync();
        var (call, _) = await EndedCallAsync(t);
        var ended = (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!;
        Assert.Equal((CallStatus.Ended, (DateTimeOffset?)EndedAt, 3L), (ended.Status, ended.EndedAt, ended.EventSequence));
        var claimed = Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt, 10, Lease, "worker-1", Ct));
        var doneAt = EndedAt.AddSeconds(20);
        var result = Completed(claimed, doneAt);

        Assert.True(await Engine.Changes.FinishAnalysisAsync(result, "worker-1", Announce(result), Ct));

        var stored = Assert.Single(await Engine.Insights.ListAnalysesAsync(call.Id, Ct));
        Assert.Equal(AnalysisStatus.Completed, stored.Status);
        Assert.Equal(((DateTimeOffset?)doneAt, doneAt), (stored.CompletedAt, stored.UpdatedAt));
        Assert.Equal(("They want a demo on Friday for 25 seats.", (bool?)true, 812L, 96L, "llm", "gpt-4.1-mini"),
            (stored.Summary, stored.Success, stored.PromptTokens, stored.CompletionTokens, stored.Method, stored.Model));
        Assert.Equal(1, stored.Attempts);
        Assert.Equal(Questions.Select(q => q.Key), stored.Answers.Select(a => a.Key));
        Assert.Equal(JsonValueKind.String, stored.Answers[0].Answer!.GetValueKind());
        Assert.Equal("yes, next week", stored.Answers[0].Answer!.GetValue<string>());
        Assert.Equal("friday", stored.Answers[1].Answer!.GetValue<string>());
        Assert.Equal(JsonValueKind.True, stored.Answers[2].Answer!.GetValueKind());
        Assert.Equal(JsonValueKind.Number, stored.Answers[3].Answer!.GetValueKind());
        Assert.Equal(25.5m, stored.Answers[3].Answer!.GetValue<decimal>());
        Assert.Equal((InsightAnswerStatus.Answered, 0.92, InsightType.Choice), (stored.Answers[1].Status, stored.Answers[1].Confidence, stored.Answers[1].Type));
        Assert.Equal(new InsightEvidence(4, "Friday works"), Assert.Single(stored.Answers[1].Evidence));
        Assert.Equal("evidence_unverified", stored.Answers[3].Note);
        Assert.Null(stored.Answers[2].Note);
        // Finished and released: never claimed again.
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(doneAt.AddDays(1), 10, Lease, "worker-2", Ct));

        var events = await Engine.Calls.ListEventsAsync(call.Id, Ct);
        Assert.Equal([1L, 2, 3, 4], events.Select(e => e.Sequence));
        Assert.Equal((InsightsEvent, doneAt, claimed.Id), (events[3].Type, events[3].At, (string?)events[3].Data["analysisId"]));
        var delivery = Assert.Single(await Engine.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery(t.Account.Id, 100, EventType: InsightsEvent), Ct));
        Assert.Equal((events[3].Id, 4L, "whe_" + t.Account.Id), (delivery.EventId, delivery.Sequence, delivery.Destination));
        var data = JsonNode.Parse(delivery.Body)!["data"]!;
        Assert.Equal("ended", (string?)data["status"]);
        Assert.Equal(4, (long?)data["sequence"]);
        Assert.Equal(1, (int?)data["attempt"]!["number"]);

        var after = (await Engine.Calls.GetCallByIdAsync(call.Id, Ct))!;
        Assert.Equal((CallStatus.Ended, (DateTimeOffset?)EndedAt, (CallOutcome?)CallOutcome.Answered, 4L), (after.Status, after.EndedAt, after.Outcome, after.EventSequence));
        Assert.Empty(await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 10, Status: CallStatus.InProgress), Ct));
        Assert.Single(await Engine.Calls.ListCallsAsync(new CallQuery(t.Account.Id, 10, Status: CallStatus.Ended), Ct));
    }

    [Fact]
    public async Task Finish_FailedAndRescheduled_IsClaimableAgainOnlyAtItsNextTime_AFinalFailureNever()
    {
        var t = await TenantAsync();
        var (call, _) = await EndedCallAsync(t);
        var first = Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(EndedAt, 10, Lease, "worker-1", Ct));
        var retryAt = EndedAt.AddMinutes(5);
        var rescheduled = first with { Status = AnalysisStatus.Pending, NextAttemptAt = retryAt, LastError = "model_timeout", UpdatedAt = EndedAt.AddSeconds(30) };
        Assert.True(await Engine.Changes.FinishAnalysisAsync(rescheduled, "worker-1", null, Ct));
        // The lease was released with the write: its holder cannot write again.
        Assert.False(await Engine.Changes.FinishAnalysisAsync(rescheduled with { LastError = "twice" }, "worker-1", null, Ct));

        var waiting = Assert.Single(await Engine.Insights.ListAnalysesAsync(call.Id, Ct));
        Assert.Equal((AnalysisStatus.Pending, retryAt, "model_timeout"), (waiting.Status, waiting.NextAttemptAt, waiting.LastError));
        // No event was given: the call's events are as they were.
        Assert.Equal(3, (await Engine.Calls.ListEventsAsync(call.Id, Ct)).Count);
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(retryAt - TimeSpan.FromMilliseconds(1), 10, Lease, "worker-2", Ct));
        var second = Assert.Single(await Engine.Insights.ClaimDueAnalysesAsync(retryAt, 10, Lease, "worker-2", Ct));
        Assert.Equal((first.Id, 2, AnalysisStatus.Running), (second.Id, second.Attempts, second.Status));

        var failed = second with { Status = AnalysisStatus.Failed, LastError = "model_unavailable", UpdatedAt = retryAt.AddSeconds(30) };
        Assert.True(await Engine.Changes.FinishAnalysisAsync(failed, "worker-2", Announce(failed), Ct));
        Assert.Empty(await Engine.Insights.ClaimDueAnalysesAsync(retryAt.AddDays(30), 10, Lease, "worker-3", Ct));
        var final = Assert.Single(await Engine.Insights.ListAnalysesAsync(call.Id, Ct));
        Assert.Equal((AnalysisStatus.Failed, "model_unavailable", 2), (final.Status, final.LastError, final.Attempts));
        Assert.Equal("failed", (string?)(await Engine.Calls.ListEventsAsync(call.Id, Ct))[^1].Data["status"]);
    }

    [Fact]
    public async Task ListAnalyses_IsNewestFirst_PerCall()
    {
        var t = await TenantAsync();
        var (call, atEnd) = await EndedCallAsync(t, "+15551230001");
        var (other, _) = await EndedCallAsync(t, "+15551230002");
        var rerun1 = Analysis(call, EndedAt.AddHours(1), trigger: "rerun");
        var rerun2 = Analysis(call, EndedAt.AddHours(2), trigger: "rerun");
        await Engine.Insights.CreateAnalysisAsync(rerun2, Ct);
        await Engine.Insights.CreateAnalysisAsync(rerun1, Ct);

        var list = await Engine.Insights.ListAnalysesAsync(call.Id, Ct);
        Assert.Equal([rerun2.Id, rerun1.Id, atEnd.Id], list.Select(a => a.Id));
        Assert.Equal(["rerun", "rerun", "call_ended"], list.Select(a => a.Trigger));
        Assert.Equal(other.Id, Assert.Single(await Engine.Insights.ListAnalysesAsync(other.Id, Ct)).CallId);
        Assert.Empty(await Engine.Insights.ListAnalysesAsync("call_unknown", Ct));
    }

    /// <summary>What a worker writes for a completed run: an answer of every JSON kind (string, choice, boolean, number).</summary>
    private static InsightAnalysis Completed(InsightAnalysis claimed, DateTimeOffset at) => claimed with
    {
        Status = AnalysisStatus.Completed,
        Method = "llm",
        Model = "gpt-4.1-mini",
        Answers =
        [
            new InsightAnswer("are_you_interested_in_a_demo", Questions[0].Question, InsightType.Text, JsonValue.Create("yes, next week"),
                InsightAnswerStatus.Answered, 0.9, [new InsightEvidence(2, "yes, next week")]),
            new InsightAnswer("preferred_day", Questions[1].Question, InsightType.Choice, JsonValue.Create("friday"),
                InsightAnswerStatus.Answered, 0.92, [new InsightEvidence(4, "Friday works")]),
            new InsightAnswer("has_budget", Questions[2].Question, InsightType.Boolean, JsonValue.Create(true),
                InsightAnswerStatus.Answered, 0.8, [new InsightEvidence(6, "we set money aside")]),
            new InsightAnswer("seats", Questions[3].Question, InsightType.Number, JsonValue.Create(25.5m),
                InsightAnswerStatus.Answered, 0.3, []) { Note = "evidence_unverified" },
        ],
        Summary = "They want a demo on Friday for 25 seats.",
        Success = true,
        PromptTokens = 812,
        CompletionTokens = 96,
        UpdatedAt = at,
        CompletedAt = at,
    };
}

/// <summary>The contract on SQLite, plus the claim's use of its index.</summary>
public sealed class SqliteInsightStoreContract : InsightStoreContract<SqliteEngine>
{
    [Fact]
    public async Task ClaimQuery_ReadsTheDueIndex_NotTheTable()
    {
        // The claim's WHERE and ORDER BY (SqliteStore.ClaimDueAnalysesAsync): finished analyses pile up and must not be read.
        await using var conn = await Engine.Database.OpenAsync(CancellationToken.None);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            EXPLAIN QUERY PLAN SELECT doc FROM insight_analyses
            WHERE status IN ('pending', 'running') AND next_attempt_at <= 0
              AND (status = 'pending' OR lease_until <= 0)
            ORDER BY next_attempt_at
            LIMIT 10
            """;
        var plan = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }
        Assert.Contains(plan, p => p.Contains("USING INDEX ix_insight_analyses_due", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.StartsWith("SCAN insight_analyses", StringComparison.Ordinal) && !p.Contains("INDEX", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}

/// <summary>The contract on PostgreSQL.</summary>
public sealed class PostgresInsightStoreContract : InsightStoreContract<PostgresEngine>;
