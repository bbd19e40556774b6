using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit;

namespace Outdial.Server.Tests;

/// <summary><c>GET /v1/events/stream</c>: the account's call events as Server-Sent Events (the dashboard's live view).</summary>
public sealed class EventStreamTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private OutdialHost Host => fixture.Host;

    /// <summary>Reads server-sent events (type, id, data) from an open stream, skipping pings.</summary>
    private sealed class EventReader(StreamReader reader)
    {
        public async Task<(string Type, string Id, JsonObject Data)> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string type = "message", id = "", data = "";
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (type != "ping" && data.Length > 0)
                    {
                        return (type, id, (JsonObject)JsonNode.Parse(data)!);
                    }
                    (type, id, data) = ("message", "", "");
                    continue;
                }
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
                switch (field)
                {
                    case "event": type = value; break;
                    case "id": id = value; break;
                    case "data": data += value; break;
                }
            }
            throw new EndOfStreamException("the event stream ended");
        }
    }

    private static async Task<(HttpResponseMessage Response, EventReader Reader)> OpenAsync(HttpClient client, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        return (response, new EventReader(new StreamReader(await response.Content.ReadAsStreamAsync())));
    }

    [Fact]
    public async Task Stream_CarriesTheAccountsOwnEventsInOrder_ResumesAfterLastEventId_AndShowsNoOtherAccount()
    {
        var (_, mine) = await Host.NewTenantAsync();
        var (_, other) = await Host.NewTenantAsync();
        var (response, reader) = await OpenAsync(mine);
        using var _ = response;
        var (otherResponse, otherReader) = await OpenAsync(other);
        using var __ = otherResponse;

        var id = (string)(await (await mine.PostCallAsync(Calls.Body(Numbers.Next()))).JsonAsync())["id"]!;
        var first = await reader.NextAsync();
        Assert.Equal("call.queued", first.Type);
        Assert.Equal(id, (string?)first.Data["callId"]);
        Assert.Equal(first.Id, (string?)first.Data["id"]);
        Assert.Equal(1, (int)first.Data["sequence"]!);
        var second = await reader.NextAsync();
        Assert.Equal(2, (int)second.Data["sequence"]!);
        Assert.Equal(id, (string?)second.Data["callId"]);

        // The other account's stream carries its own call first, never this one.
        var otherId = (string)(await (await other.PostCallAsync(Calls.Body(Numbers.Next()))).JsonAsync())["id"]!;
        var seen = await otherReader.NextAsync();
        Assert.Equal(otherId, (string?)seen.Data["callId"]);

        // Reconnecting with Last-Event-ID resumes right after that event.
        var (resumed, resumedReader) = await OpenAsync(mine, first.Id);
        using var ___ = resumed;
        Assert.Equal(second.Id, (await resumedReader.NextAsync()).Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.NewClient(null).GetAsync("/v1/events/stream")).StatusCode);
    }
}
