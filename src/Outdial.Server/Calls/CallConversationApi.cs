using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Outdial.Core.Calls;
using Outdial.Core.Conversation;
using Outdial.Core.Insights;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;
using Outdial.Server.OpenApi;

namespace Outdial.Server.Calls;

/// <summary>A call's transcript: every turn (all attempts, in order) and each attempt's conversation summary.</summary>
public sealed record TranscriptResource(string CallId, IReadOnlyList<TranscriptTurn> Turns, IReadOnlyList<AttemptConversationResource> Conversations);

/// <summary>The conversation summary of one attempt (method, model, end reason, tokens, failures, transfer, opt-out, callbacks, disclosures).</summary>
public sealed record AttemptConversationResource(string AttemptId, int Attempt, ConversationSummary Conversation);

/// <summary>Every analysis of a call, newest first.</summary>
public sealed record InsightHistory(IReadOnlyList<InsightResource> Data);

/// <summary>Body of <c>POST /v1/calls/{id}/insights/rerun</c>: other questions to answer (strings or objects); absent: the call's own.</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record RerunInsightsRequest(List<InsightQuestion>? Questions);

/// <summary>
/// The conversation's results on the native API: <c>/v1/calls/{id}/transcript</c> and <c>/v1/calls/{id}/insights</c>. Another
/// account's call answers 404, like an unknown one.
/// </summary>
public static class CallConversationApi
{
    public static RouteGroupBuilder MapCallConversation(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/calls/{id}").WithTags("Calls").RequireAuthorization();
        group.MapGet("/transcript", TranscriptAsync).WithName("GetCallTranscript")
            .WithSummary("Get a call's transcript")
            .WithDescription("""
                Every turn of every attempt in order (`speaker` agent or callee, text, start and end in milliseconds from the
                attempt's answer, interruptions, DTMF, disclosures) and each attempt's conversation summary. With
                `Accept: text/plain` (preferred over JSON), the transcript as a readable script (`[mm:ss] Agent: …`). Empty while no
                one has spoken.
                """)
            .Produces<TranscriptResource>()
            .ProducesNotFound()
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The same 200 in a second media type: the readable script.
                operation.Responses?["200"].Content?.TryAdd("text/plain", new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                return Task.CompletedTask;
            });
        group.MapGet("/insights", LatestInsightsAsync).WithName("GetCallInsights")
            .WithSummary("Get a call's latest insights")
            .WithDescription("""
                The newest analysis of the call's insight questions (`pending`, `running`, `completed` or `failed`): typed answers
                with status, confidence and evidence, a summary and whether the call succeeded. 404 while the call has none (it has
                not ended).
                """)
            .Produces<InsightResource>()
            .ProducesNotFound();
        group.MapGet("/insights/history", InsightHistoryAsync).WithName("ListCallInsights")
            .WithSummary("List a call's analyses")
            .WithDescription("Every analysis of the call, newest first (the first one and every rerun); empty while it has none.")
            .Produces<InsightHistory>()
            .ProducesNotFound();
        group.MapGet("/insights/{analysisId}", InsightAsync).WithName("GetCallInsight")
            .WithSummary("Get one analysis of a call")
            .WithDescription("One analysis of the call by its id (from the history or a rerun's `Location`).")
            .Produces<InsightResource>()
            .ProducesNotFound();
        group.MapPost("/insights/rerun", RerunAsync).WithName("RerunCallInsights")
            .WithSummary("Analyse a call again")
            .WithDescription("""
                Starts a new analysis of the ended call, for the body's `questions` when given (strings or
                `{key, question, type, choices?}`), else the call's own; earlier analyses are kept. 202 with the pending analysis
                and its `Location`; it ends in a `call.insights_ready` or `call.insights_failed` event. 409 `call_not_ended`
                before the call has ended.
                """)
            .Produces<InsightResource>(StatusCodes.Status202Accepted)
            .ProducesNotFound()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "call_not_ended")
            .ProducesValidationFailed();
        return group;
    }

    /// <summary>
    /// 200 <c>{callId, turns: [{index, attempt, speaker: agent|callee, text, startMs, endMs, interrupted, dtmf?, disclosures?}],
    /// conversations: [{attemptId, attempt, conversation}]}</c>; with <c>Accept: text/plain</c>, the transcript as a readable
    /// script (<c>[mm:ss] Agent: …</c>). Empty while no one has spoken.
    /// </summary>
    public static async Task<IResult> TranscriptAsync(string id, HttpRequest request, ClaimsPrincipal user, ICallStore calls,
        ITranscriptStore transcripts, CancellationToken ct)
    {
        if (await calls.GetCallAsync(user.AccountId(), id, ct) is null)
        {
            return Problems.NotFound("call");
        }
        var turns = await transcripts.ListTurnsAsync(id, ct);
        if (WantsText(request))
        {
            return TypedResults.Text(TranscriptScript.Render(turns), "text/plain; charset=utf-8");
        }
        var attempts = await calls.ListAttemptsAsync(id, ct);
        return TypedResults.Ok(new TranscriptResource(id, turns,
            [.. attempts.Where(a => a.Conversation is not null).Select(a => new AttemptConversationResource(a.Id, a.Number, a.Conversation!))]));
    }

    /// <summary>200 with the newest analysis (pending, running, completed or failed); 404 <c>not_found</c> while the call has none (it has not ended).</summary>
    public static async Task<IResult> LatestInsightsAsync(string id, ClaimsPrincipal user, ICallStore calls, IInsightStore insights, CancellationToken ct)
    {
        if (await calls.GetCallAsync(user.AccountId(), id, ct) is null)
        {
            return Problems.NotFound("call");
        }
        var all = await insights.ListAnalysesAsync(id, ct);
        return all.Count > 0 ? TypedResults.Ok(InsightResource.Of(all[0])) : Problems.NotFound("insights");
    }

    /// <summary>200 <c>{data: [analysis, …]}</c>, newest first (empty while the call has none).</summary>
    public static async Task<IResult> InsightHistoryAsync(string id, ClaimsPrincipal user, ICallStore calls, IInsightStore insights, CancellationToken ct)
    {
        if (await calls.GetCallAsync(user.AccountId(), id, ct) is null)
        {
            return Problems.NotFound("call");
        }
        return TypedResults.Ok(new InsightHistory([.. (await insights.ListAnalysesAsync(id, ct)).Select(InsightResource.Of)]));
    }

    /// <summary>200 with one analysis; 404 when the call or the analysis is not found.</summary>
    public static async Task<IResult> InsightAsync(string id, string analysisId, ClaimsPrincipal user, ICallStore calls, IInsightStore insights, CancellationToken ct)
    {
        if (await calls.GetCallAsync(user.AccountId(), id, ct) is null)
        {
            return Problems.NotFound("call");
        }
        return (await insights.ListAnalysesAsync(id, ct)).FirstOrDefault(a => a.Id == analysisId) is { } analysis
            ? TypedResults.Ok(InsightResource.Of(analysis))
            : Problems.NotFound("insights");
    }

    /// <summary>
    /// 202 with a new pending analysis of the ended call (and <c>Location</c>), for <c>questions</c> when given, else the call's
    /// own; earlier analyses are kept (<c>/insights/history</c>). 409 <c>call_not_ended</c> before the call has ended; 422 for
    /// invalid questions. The analysis runs like the first one and ends in <c>call.insights_ready</c>.
    /// </summary>
    public static async Task<IResult> RerunAsync(string id, HttpContext http, [FromBody] RerunInsightsRequest? body, ClaimsPrincipal user,
        ICallStore calls, IAgentStore agents, IInsightStore insights, TimeProvider clock, CancellationToken ct)
    {
        if (await calls.GetCallAsync(user.AccountId(), id, ct) is not { } call)
        {
            return Problems.NotFound("call");
        }
        if (call.Status != CallStatus.Ended)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "call_not_ended", "Only an ended call can be analysed.", $"The call is {call.Status.ToWire()}.");
        }
        var questions = body?.Questions is { } asked ? InsightQuestion.Merge([], asked) : call.InsightQuestions;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body?.Questions is { } given)
        {
            foreach (var (field, message) in InsightQuestion.Validate(given))
            {
                errors["questions" + field] = [.. errors.GetValueOrDefault("questions" + field, []), message];
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var agent = await agents.GetAgentAsync(call.AccountId, call.AgentId, ct, includeDeleted: true);
        var now = clock.GetUtcNow();
        var analysis = InsightJobs.New(call, agent, "rerun", questions, now, now);
        await insights.CreateAnalysisAsync(analysis, ct);
        http.Response.Headers.Location = $"/v1/calls/{id}/insights/{analysis.Id}";
        return TypedResults.Json(InsightResource.Of(analysis), statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>True when the client prefers <c>text/plain</c> to JSON (by Accept quality; a tie goes to JSON).</summary>
    private static bool WantsText(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        double Quality(string type) => accept.Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase))
            .Select(a => a.Quality ?? 1).DefaultIfEmpty(-1).Max();
        var text = Quality("text/plain");
        return text > 0 && text > Quality("application/json");
    }
}
