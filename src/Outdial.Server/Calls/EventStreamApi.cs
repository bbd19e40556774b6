using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using Outdial.Core.Common;
using Outdial.Core.Storage;
using Outdial.Server.Infrastructure;

namespace Outdial.Server.Calls;

/// <summary>
/// <c>GET /v1/events/stream</c>: the account's call events as Server-Sent Events (WHATWG HTML §9.2), for live views such as
/// the dashboard. Each event: <c>id</c> = the event's id, <c>event</c> = its type (<c>call.ringing</c>, …), <c>data</c> = the
/// event as <c>GET /v1/calls/{id}/events</c> shows it. A <c>ping</c> event at the start and every 15 s of quiet keeps proxies from
/// closing the stream.
/// </summary>
public static class EventStreamApi
{
    /// <summary>How often the stream looks for new events.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How far back each look reaches behind the newest event sent: an event written by another node (or a slower write) may
    /// commit a little after a later one; ids already sent are skipped.
    /// </summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(15);
    private const int Page = 500;

    public static RouteHandlerBuilder MapEventStream(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/events/stream", Stream).WithTags("Calls").WithName("StreamCallEvents").RequireAuthorization()
            .WithSummary("Stream the account's call events")
            .WithDescription("""
                Server-Sent Events (`text/event-stream`) of every call event of the account as it happens: `id` is the event's id,
                `event` its type, `data` the event as `GET /v1/calls/{id}/events` shows it. Starts with the events after the
                `Last-Event-ID` header (a reconnecting client resumes there) or the `after` query parameter (an event id), else
                with events from now on. A `ping` event at the start and after every 15 s of quiet keeps idle connections open. Events appear within about a
                second of being written, on any node.
                """)
            .Produces<CallEventResource>(StatusCodes.Status200OK, "text/event-stream");

    private static IResult Stream(HttpRequest request, ClaimsPrincipal user, ICallStore calls, TimeProvider clock, CancellationToken ct)
    {
        var after = request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } last ? last : Paging.Str(request.Query, "after");
        return TypedResults.ServerSentEvents(EventsAsync(user.AccountId(), after, calls, clock, ct));
    }

    private static async IAsyncEnumerable<SseItem<CallEventResource?>> EventsAsync(string accountId, string? after, ICallStore calls,
        TimeProvider clock, [EnumeratorCancellation] CancellationToken ct)
    {
        // The lowest id to look from: never before the starting point; otherwise the overlap behind the newest event sent.
        var floor = after ?? Ids.LowestAt("evt", clock.GetUtcNow());
        var sent = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        DateTimeOffset? newest = null;
        var lastWrite = clock.GetUtcNow();
        // A first ping at once: the response starts (status and headers reach the client) before any event exists.
        yield return new SseItem<CallEventResource?>(null, "ping");
        while (!ct.IsCancellationRequested)
        {
            var overlap = newest is { } n ? Ids.LowestAt("evt", n - Overlap) : floor;
            var from = string.CompareOrdinal(overlap, floor) > 0 ? overlap : floor;
            IReadOnlyList<Core.Calls.CallEvent> page;
            do
            {
                page = await calls.ListAccountEventsAsync(accountId, from, Page, ct);
                foreach (var e in page)
                {
                    if (!sent.TryAdd(e.Id, e.At))
                    {
                        continue;
                    }
                    newest = newest is { } x && x > e.At ? x : e.At;
                    lastWrite = clock.GetUtcNow();
                    yield return new SseItem<CallEventResource?>(new CallEventResource(e.Id, e.CallId, e.Sequence, e.Type, e.At.UtcDateTime, e.Data), e.Type)
                    {
                        EventId = e.Id,
                    };
                }
                if (page.Count > 0)
                {
                    from = page[^1].Id;
                }
            }
            while (page.Count == Page);
            if (newest is { } latest)
            {
                foreach (var old in sent.Where(s => s.Value < latest - Overlap - Overlap).Select(s => s.Key).ToList())
                {
                    sent.Remove(old);
                }
            }
            if (clock.GetUtcNow() - lastWrite >= PingEvery)
            {
                lastWrite = clock.GetUtcNow();
                yield return new SseItem<CallEventResource?>(null, "ping");
            }
            try
            {
                await Task.Delay(PollInterval, clock, ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}
